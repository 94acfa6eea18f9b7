"""Writes of the orgs app: organisations, units, members, API keys and the audit log."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from heedback.core import kept
from heedback.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from heedback.core.rows import RowReader
from heedback.notify.services import Email, enqueue_email
from heedback.orgs.choices import ApiKeyRole, Role, UnitKind
from heedback.orgs.models import (
    ApiKey,
    AuditEvent,
    LoginFailure,
    MemberInvitation,
    Membership,
    Organisation,
    Unit,
)

if TYPE_CHECKING:  # surveys sit above orgs: named for the type only, never imported
    from heedback.surveys.models import Survey

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$")
API_KEY_PREFIX = "hb_"
INVITATION_LIFETIME = timedelta(days=7)
ROLES_NEEDING_UNIT = {Role.MANAGER, Role.FRONTLINE}


def _digest(secret: str) -> str:
    # Keys and tokens carry 256 random bits, so a fast hash is as strong as a slow one
    # and keeps every API request cheap.
    return hashlib.sha256(secret.encode()).hexdigest()


def record_audit(
    organisation: Organisation | None,
    actor: AbstractBaseUser | None,
    action: str,
    target: str = "",
    **detail: object,
) -> AuditEvent:
    """Write one audit event; called inside the transaction of the action it records."""
    label = getattr(actor, "email", "") or getattr(actor, "username", "") or "system"
    return AuditEvent.objects.create(
        organisation=organisation,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=label,
        action=action,
        target=target[:200],
        detail=detail,
    )


@transaction.atomic
def create_organisation(
    *, name: str, slug: str, time_zone: str = "UTC", actor: AbstractBaseUser | None = None
) -> Organisation:
    """Create an organisation with a root unit named after it."""
    name = name.strip()
    errors = []
    if not name:
        errors.append(("name", _("Give the organisation a name.")))
    if not SLUG_PATTERN.match(slug):
        errors.append(("slug", _("Use 3–60 lower-case letters, digits and hyphens.")))
    if errors:
        raise InvalidInput.from_pairs(_("The organisation is not valid."), errors)
    if Organisation.objects.filter(slug=slug).exists():
        raise Conflict(_("An organisation with this slug exists."), errors={"slug": [_("taken")]})
    organisation = Organisation.objects.create(name=name, slug=slug, time_zone=time_zone)
    create_unit(organisation, name=name, kind=UnitKind.COMPANY, actor=actor)
    record_audit(organisation, actor, "organisation.create", slug)
    return organisation


#: The bounds of the minimum sample: below 5 an interval means little; above 10,000 no cell
#: of an ordinary organisation would ever be shown as confident.
MINIMUM_SAMPLE_RANGE = (5, 10_000)


@transaction.atomic
def change_minimum_sample(
    organisation: Organisation, minimum_sample: int, *, actor: AbstractBaseUser | None
) -> Organisation:
    """Set the answers a cell needs before it is ranked or tested, and audit the change."""
    low, high = MINIMUM_SAMPLE_RANGE
    if isinstance(minimum_sample, bool) or not isinstance(minimum_sample, int):
        raise InvalidInput.from_pairs(
            _("Invalid minimum sample."), [("minimum_sample", _("Give a whole number."))]
        )
    if not low <= minimum_sample <= high:
        raise InvalidInput.from_pairs(
            _("Invalid minimum sample."),
            [
                (
                    "minimum_sample",
                    _("Give a number from %(low)s to %(high)s.") % {"low": low, "high": high},
                )
            ],
        )
    previous = organisation.minimum_sample
    Organisation.objects.filter(pk=organisation.pk).update(minimum_sample=minimum_sample)
    organisation.minimum_sample = minimum_sample
    organisation_changed()
    record_audit(
        organisation,
        actor,
        "organisation.minimum_sample",
        organisation.slug,
        previous=previous,
        minimum_sample=minimum_sample,
    )
    return organisation


@transaction.atomic
def create_unit(
    organisation: Organisation,
    *,
    name: str,
    parent: Unit | None = None,
    kind: str = UnitKind.LOCATION,
    actor: AbstractBaseUser | None = None,
) -> Unit:
    """Create a unit under ``parent`` (a root when None) and give it its tree path."""
    name = name.strip()
    if not name:
        raise InvalidInput.from_pairs(
            _("The unit is not valid."), [("name", _("Give the unit a name."))]
        )
    if len(name) > 200:
        raise InvalidInput.from_pairs(
            _("The unit is not valid."), [("name", _("At most 200 characters."))]
        )
    if kind not in UnitKind.values:
        raise InvalidInput.from_pairs(
            _("The unit is not valid."),
            [("kind", _("Choose one of: %s.") % ", ".join(UnitKind.values))],
        )
    if parent is not None and parent.organisation_id != organisation.pk:
        raise NotFound(_("The parent unit does not exist."), errors={"parent": [_("not found")]})
    if Unit.objects.filter(organisation=organisation, parent=parent, name=name).exists():
        raise Conflict(
            _("A unit with this name exists under the same parent."), errors={"name": [_("taken")]}
        )
    unit = Unit.objects.create(organisation=organisation, parent=parent, name=name, kind=kind)
    unit.path = f"{parent.path if parent else ''}{unit.pk:08x}."
    unit.save(update_fields=["path"])
    record_audit(organisation, actor, "unit.create", name, unit_id=unit.pk)
    return unit


@transaction.atomic
def add_member(
    organisation: Organisation,
    user: AbstractBaseUser,
    *,
    role: str,
    unit: Unit | None = None,
    actor: AbstractBaseUser | None = None,
) -> Membership:
    """Give ``user`` a role in ``organisation`` (or change it), checking the unit it needs."""
    _check_role(organisation, role, unit)
    membership, created = Membership.objects.update_or_create(
        organisation=organisation, user=user, defaults={"role": role, "unit": unit}
    )
    record_audit(
        organisation,
        actor,
        "member.add" if created else "member.role_change",
        getattr(user, "email", "") or user.get_username(),
        role=role,
        unit_id=unit.pk if unit else None,
    )
    return membership


@transaction.atomic
def change_role(
    membership: Membership, *, role: str, unit: Unit | None, actor: Membership
) -> Membership:
    """Change a member's role; only an owner may make or unmake an owner, and one must stay."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    organisation = membership.organisation
    _check_role(organisation, role, unit)
    touches_owner = Role.OWNER in {role, membership.role}
    if touches_owner and actor.role != Role.OWNER:
        raise Forbidden(_("Only an owner can grant or remove the owner role."))
    if membership.role == Role.OWNER and role != Role.OWNER:
        owners = Membership.objects.filter(organisation=organisation, role=Role.OWNER).count()
        if owners <= 1:
            raise Conflict(
                _("An organisation needs at least one owner."), errors={"role": [_("last owner")]}
            )
    before = membership.role
    membership.role = role
    membership.unit = unit
    membership.save(update_fields=["role", "unit"])
    record_audit(
        organisation,
        actor.user,
        "member.role_change",
        membership.user.get_username(),
        before=before,
        after=role,
        unit_id=unit.pk if unit else None,
    )
    return membership


@transaction.atomic
def remove_member(membership: Membership, *, actor: Membership) -> None:
    """Remove a member, keeping at least one owner."""
    if membership.role == Role.OWNER:
        if actor.role != Role.OWNER:
            raise Forbidden(_("Only an owner can remove an owner."))
        owners = Membership.objects.filter(organisation=membership.organisation, role=Role.OWNER)
        if owners.count() <= 1:
            raise Conflict(_("An organisation needs at least one owner."))
    record_audit(
        membership.organisation, actor.user, "member.remove", membership.user.get_username()
    )
    membership.delete()


def _check_role(organisation: Organisation, role: str, unit: Unit | None) -> None:
    errors = []
    if role not in Role.values:
        errors.append(("role", _("Choose one of: %s.") % ", ".join(Role.values)))
    elif role in ROLES_NEEDING_UNIT and unit is None:
        errors.append(("unit", _("Managers and front-line staff belong to a unit.")))
    if unit is not None and unit.organisation_id != organisation.pk:
        errors.append(("unit", _("The unit does not exist.")))
    if errors:
        raise InvalidInput.from_pairs(_("The role is not valid."), errors)


@dataclass(frozen=True)
class InvitationSent:
    invitation: MemberInvitation
    token: str


@transaction.atomic
def invite_member(
    organisation: Organisation,
    *,
    email: str,
    role: str,
    unit: Unit | None,
    actor: Membership,
    accept_url: str,
) -> InvitationSent:
    """Invite someone by email; ``accept_url`` must contain ``{token}``.

    The email is sent after the transaction commits, so a failed invitation never mails.
    """
    email = get_user_model().objects.normalize_email(email.strip())
    if "@" not in email:
        raise InvalidInput.from_pairs(
            _("The invitation is not valid."), [("email", _("Enter a valid email address."))]
        )
    _check_role(organisation, role, unit)
    if role == Role.OWNER and actor.role != Role.OWNER:
        raise Forbidden(_("Only an owner can invite an owner."))
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise Conflict(
            _("This person is already a member."), errors={"email": [_("already a member")]}
        )
    token = secrets.token_urlsafe(32)
    invitation = MemberInvitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        unit=unit,
        token_hash=_digest(token),
        invited_by=actor.user,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    record_audit(organisation, actor.user, "member.invite", email, role=role)
    link = accept_url.format(token=token)
    subject = _("You are invited to %(organisation)s on Heedback") % {
        "organisation": organisation.name
    }
    body = _(
        "%(inviter)s invited you to join %(organisation)s on Heedback as %(role)s.\n\n"
        "Accept the invitation within 7 days: %(link)s\n"
    ) % {
        "inviter": actor.user.get_username(),
        "organisation": organisation.name,
        "role": Role(role).label,
        "link": link,
    }
    enqueue_email(
        Email(to=[email], subject=subject, body=body),
        key=f"member-invitation-{invitation.pk}",
        organisation=organisation,
    )
    return InvitationSent(invitation, token)


def find_invitation(token: str) -> MemberInvitation:
    """Return the open invitation for ``token`` or raise NotFound."""
    invitation = (
        MemberInvitation.objects.select_related("organisation", "unit")
        .filter(token_hash=_digest(token), accepted_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if invitation is None:
        raise NotFound(_("This invitation does not exist, was used or has expired."))
    return invitation


@transaction.atomic
def accept_invitation(token: str, user: AbstractBaseUser) -> Membership:
    """Turn an invitation into a membership for ``user``; a token works once."""
    invitation = find_invitation(token)
    invitation = MemberInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise NotFound(_("This invitation does not exist, was used or has expired."))
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return add_member(
        invitation.organisation, user, role=invitation.role, unit=invitation.unit, actor=user
    )


@dataclass(frozen=True)
class NewApiKey:
    api_key: ApiKey
    secret: str  # shown to its creator once, never stored


@transaction.atomic
def create_api_key(
    organisation: Organisation,
    *,
    name: str,
    role: str = ApiKeyRole.ADMIN,
    survey: Survey | None = None,
    actor: AbstractBaseUser | None = None,
) -> NewApiKey:
    """Create an API key; the returned secret is the only copy of it.

    With ``survey`` the key may submit to and read only that survey.
    """
    name = name.strip()
    errors = []
    if not name or len(name) > 100:
        errors.append(("name", _("Give the key a name of 1–100 characters.")))
    if role not in ApiKeyRole.values:
        errors.append(("role", _("Choose one of: %s.") % ", ".join(ApiKeyRole.values)))
    if survey is not None and survey.organisation_id != organisation.pk:
        errors.append(("survey", _("The survey does not exist.")))
    if errors:
        raise InvalidInput.from_pairs(_("The API key is not valid."), errors)
    prefix = secrets.token_hex(6)
    secret = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        organisation=organisation,
        name=name,
        role=role,
        survey=survey,
        prefix=prefix,
        key_hash=_digest(secret),
        created_by=actor if actor is not None and actor.pk else None,
    )
    record_audit(
        organisation,
        actor,
        "api_key.create",
        name,
        prefix=prefix,
        role=role,
        survey_id=survey.pk if survey is not None else None,
    )
    return NewApiKey(api_key, secret)


@transaction.atomic
def revoke_api_key(api_key: ApiKey, *, actor: AbstractBaseUser) -> None:
    """Revoke a key at once; requests with it fail from now on, in every process."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    record_audit(api_key.organisation, actor, "api_key.revoke", api_key.name, prefix=api_key.prefix)
    _forget_kept_keys()


def organisation_changed() -> None:
    """Make every API request see an organisation's new settings at once.

    API keys are kept per process with their organisation (``core.kept``); a change
    of the organisation (its minimum sample, time zone) must not wait for them to expire.
    Call it in the transaction that changes the organisation.
    """
    _forget_kept_keys()


def _forget_kept_keys() -> None:
    kept.rows_changed(API_KEYS)


# Every API request reads its key: SQL written once (``core.rows``), no queryset to compile.
_ACTIVE_KEY_BY_PREFIX = RowReader(
    ApiKey, "t.prefix = %s AND t.revoked_at IS NULL", related="organisation"
)
# How long a process trusts a key it has read without reading it again. A revocation
# reaches this process and every other one on this machine at once (``core.kept``); a
# process on another machine sharing the database trusts its copy for at most this long.
API_KEY_CACHE_SECONDS = 10.0


# The keys this process has read, with their organisation, by the hash of their secret.
# Reading them was a query on every API request, as costly as the rest of authentication.
API_KEYS = "api-keys"
_ACTIVE_KEYS = kept.KeptRows(API_KEYS, seconds=API_KEY_CACHE_SECONDS)


def authenticate_api_key(secret: str) -> ApiKey | None:
    """Return the active key matching ``secret``, comparing hashes in constant time."""
    parts = secret.split("_")
    if len(parts) < 3 or not secret.startswith(API_KEY_PREFIX):
        return None
    digest = _digest(secret)
    found = _ACTIVE_KEYS.get(digest)
    if found is not None:
        api_key, organisation = found
        api_key.organisation = organisation
    else:
        stamp = _ACTIVE_KEYS.stamp()  # before the read: a revocation after it is seen
        api_key = _ACTIVE_KEY_BY_PREFIX.first([parts[1]])
        if api_key is None or not hmac.compare_digest(api_key.key_hash, digest):
            return None
        _ACTIVE_KEYS.put(digest, (api_key, api_key.organisation), stamp)
    now = timezone.now()
    # Write the last use at most once a minute: a busy integration must not turn every
    # read into a write.
    if api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
        _ACTIVE_KEYS.replace(digest, (api_key, api_key.organisation))
    return api_key


def is_login_throttled(username: str, address: str | None) -> bool:
    """Return whether too many log-ins failed lately for this user name or address."""
    since = timezone.now() - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW)
    by_name = Q(username=username.lower())
    condition = by_name | Q(address=address) if address else by_name
    recent = LoginFailure.objects.filter(condition, at__gte=since)
    return recent.count() >= settings.LOGIN_THROTTLE_ATTEMPTS


def record_login_failure(username: str, address: str | None) -> None:
    """Count a failed log-in and forget failures older than the window."""
    now = timezone.now()
    LoginFailure.objects.create(username=username.lower(), address=address, at=now)
    LoginFailure.objects.filter(
        at__lt=now - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW)
    ).delete()


def clear_login_failures(username: str) -> None:
    """Forget the failures of a user name after a successful log-in."""
    LoginFailure.objects.filter(username=username.lower()).delete()


@transaction.atomic
def create_user(
    *, email: str, password: str | None, name: str = "", is_superuser: bool = False
) -> AbstractBaseUser:
    """Create a person who logs in with their email address.

    ``password=None`` leaves the account without a usable password: the person sets one
    through a reset link, or a caller (the demo) sets a hash it computed once.
    """
    User = get_user_model()
    email = User.objects.normalize_email(email.strip()).lower()
    if User.objects.filter(username=email).exists():
        raise Conflict(_("A user with this email exists."), errors={"email": [_("taken")]})
    first, _space, last = name.strip().partition(" ")
    maker = User.objects.create_superuser if is_superuser else User.objects.create_user
    try:
        return maker(
            username=email, email=email, password=password, first_name=first, last_name=last
        )
    except IntegrityError as error:
        raise Conflict(_("A user with this email exists.")) from error
