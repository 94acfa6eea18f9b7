"""Writes of email campaigns: the campaign, its contacts, sending, reminders, triggers.

Sending is a periodic job of the worker (``CollectConfig.periodic_jobs``). It takes due
invitations with ``SKIP LOCKED``, so several workers share the queue, and writes each
email to the outbox in the transaction that marks the invitation sent: a crash either
keeps both or neither. The outbox key is the invitation and the step, so an email can
never be written twice.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heedback.collect import importing, invitation_emails, invitations
from heedback.collect.choices import InvitationStatus, SkipReason
from heedback.collect.invitation_policy import (
    MAX_REMINDER_INTERVAL_DAYS,
    MAX_REMINDERS,
    QuietHours,
)
from heedback.collect.models import (
    Campaign,
    InteractionWatermark,
    Invitation,
    InvitationPolicy,
    Suppression,
)
from heedback.core.errors import InvalidInput, ServiceError
from heedback.customers import services as customer_services
from heedback.customers.choices import InteractionKind
from heedback.customers.inputs import CustomerInput
from heedback.customers.models import Customer, Interaction
from heedback.notify.services import enqueue_email
from heedback.orgs.models import Organisation, Unit
from heedback.surveys.models import Survey

MAX_TRIGGER_DELAY_MINUTES = 30 * 24 * 60
MAX_CONTACTS = 50_000
SEND_BATCH = 200
CONTACT_COLUMNS = ("email", "name", "external_id", "unit", "staff")


@dataclass(frozen=True)
class CampaignInput:
    """A campaign as a form or an API client describes it."""

    survey: Survey
    name: str
    subject: str
    body: str
    send_at: datetime | None = None
    reminder_count: int = 1
    reminder_interval_days: int = 3
    trigger_kind: str = ""
    trigger_delay_minutes: int = 0

    def problems(self, organisation: Organisation) -> list[tuple[str, str]]:
        """Return (field, message) for every rule the campaign breaks."""
        errors: list[tuple[str, str]] = []
        if self.survey.organisation_id != organisation.pk:
            errors.append(("survey", _("The survey does not exist.")))
        elif not self.survey.is_published:
            errors.append(("survey", _("Publish the survey before inviting anyone to it.")))
        for name, value, limit in (
            ("name", self.name, 200),
            ("subject", self.subject, 200),
            ("body", self.body, 10_000),
        ):
            if not value.strip():
                errors.append((name, _("This field is required.")))
            elif len(value) > limit:
                errors.append((name, _("At most %d characters.") % limit))
        for name in ("subject", "body"):
            errors.extend(
                (name, problem)
                for problem in invitation_emails.placeholder_errors(getattr(self, name))
            )
        if self.send_at is not None and timezone.is_naive(self.send_at):
            errors.append(("send_at", _("Give a time with its time zone.")))
        if not 0 <= self.reminder_count <= MAX_REMINDERS:
            errors.append(("reminder_count", _("Between 0 and %d.") % MAX_REMINDERS))
        if not 1 <= self.reminder_interval_days <= MAX_REMINDER_INTERVAL_DAYS:
            errors.append(
                ("reminder_interval_days", _("Between 1 and %d days.") % MAX_REMINDER_INTERVAL_DAYS)
            )
        if self.trigger_kind and self.trigger_kind not in InteractionKind.values:
            errors.append(
                ("trigger_kind", _("Choose one of: %s.") % ", ".join(InteractionKind.values))
            )
        if not 0 <= self.trigger_delay_minutes <= MAX_TRIGGER_DELAY_MINUTES:
            errors.append(
                ("trigger_delay_minutes", _("Between 0 and %d.") % MAX_TRIGGER_DELAY_MINUTES)
            )
        return errors


@dataclass(frozen=True)
class ContactInput:
    """One person to invite: found or created as a customer by external id, else email.

    ``unit`` and ``staff`` are as the sender wrote them (a unit's id or name, a member's
    email); ``line`` is where the contact came from, for error messages.
    """

    email: str
    name: str = ""
    external_id: str = ""
    unit: str = ""
    staff: str = ""
    line: int | None = None


@dataclass
class ContactsReport:
    """What adding contacts did: invitations created, contacts already invited."""

    created: int = 0
    already_invited: int = 0
    customers_created: int = 0
    errors: dict[str, list[str]] = field(default_factory=dict)


@transaction.atomic
def create_campaign(
    organisation: Organisation,
    campaign_input: CampaignInput,
    contacts: Sequence[ContactInput] = (),
    *,
    actor: AbstractBaseUser | None = None,
) -> tuple[Campaign, ContactsReport]:
    """Create a campaign and invite its first contacts, all or nothing."""
    errors = campaign_input.problems(organisation)
    if errors:
        raise InvalidInput.from_pairs(_("The campaign is not valid."), errors)
    campaign = Campaign.objects.create(
        organisation=organisation,
        survey=campaign_input.survey,
        name=campaign_input.name.strip(),
        subject=campaign_input.subject.strip(),
        body=campaign_input.body.strip(),
        send_at=campaign_input.send_at or timezone.now(),
        reminder_count=campaign_input.reminder_count,
        reminder_interval_days=campaign_input.reminder_interval_days,
        trigger_kind=campaign_input.trigger_kind,
        trigger_delay_minutes=campaign_input.trigger_delay_minutes,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    report = add_contacts(campaign, contacts) if contacts else ContactsReport()
    return campaign, report


class _Directory:
    """The organisation's units (by id and by name) and staff (by email), read once."""

    def __init__(self, organisation: Organisation) -> None:
        units = list(Unit.objects.for_org(organisation).order_by("path"))
        self.root = units[0]
        self.by_id = {str(unit.pk): unit for unit in units}
        self.by_name: dict[str, list[Unit]] = {}
        for unit in units:
            self.by_name.setdefault(unit.name.strip().lower(), []).append(unit)
        self.staff = {
            user.email.lower(): user
            for user in get_user_model().objects.filter(memberships__organisation=organisation)
        }

    def unit(self, raw: str) -> Unit | str:
        """Return the unit named by id or name, or the error message."""
        raw = raw.strip()
        if not raw:
            return self.root
        if raw in self.by_id:
            return self.by_id[raw]
        found = self.by_name.get(raw.lower(), [])
        if len(found) == 1:
            return found[0]
        return _("several units are called %s: give its id") % raw if found else _("no such unit")


@transaction.atomic
def add_contacts(campaign: Campaign, contacts: Sequence[ContactInput]) -> ContactsReport:
    """Invite contacts to a campaign; a bad contact stops all of them (reported together).

    Contacts become customers through ``customers.services.upsert_customers`` (a known
    email or external id finds its customer). A contact already invited to this
    campaign is counted, not invited again.
    """
    organisation = campaign.organisation
    if len(contacts) > MAX_CONTACTS:
        raise InvalidInput(_("At most %d contacts at once.") % MAX_CONTACTS)
    directory = _Directory(organisation)
    errors: list[tuple[str, str]] = []
    placed: list[tuple[Unit, AbstractBaseUser | None]] = []
    items: list[CustomerInput | ServiceError] = []
    for index, contact in enumerate(contacts):
        where = _where(contact, index)
        email = contact.email.strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            errors.append((f"{where}.email", _("not a valid email address")))
        unit = directory.unit(contact.unit)
        if isinstance(unit, str):
            errors.append((f"{where}.unit", unit))
            unit = directory.root
        staff = None
        if contact.staff.strip():
            staff = directory.staff.get(contact.staff.strip().lower())
            if staff is None:
                errors.append((f"{where}.staff", _("no member with this email")))
        placed.append((unit, staff))
        provided = {"email"} | {
            name for name in ("name", "external_id") if getattr(contact, name).strip()
        }
        items.append(
            CustomerInput(
                email=email,
                name=contact.name,
                external_id=contact.external_id,
                provided=frozenset(provided),
            )
        )
    if errors:
        raise InvalidInput.from_pairs(_("Some contacts are not valid."), errors)
    results = customer_services.upsert_customers(organisation, items)
    for index, result in enumerate(results):
        for name, messages in result.errors.items():
            errors.extend(
                (f"{_where(contacts[index], index)}.{name}", message) for message in messages
            )
    if errors:
        raise InvalidInput.from_pairs(_("Some contacts are not valid."), errors)
    report = ContactsReport(
        customers_created=sum(
            result.status == customer_services.ItemStatus.CREATED for result in results
        )
    )
    customers = Customer.objects.in_bulk([result.id for result in results])
    planned = {}
    for result, (unit, staff) in zip(results, placed, strict=True):
        customer = customers[result.id]
        planned.setdefault(
            f"customer:{customer.pk}",
            _new_invitation(campaign, customer, unit, staff, campaign.send_at),
        )
    stored = set(
        campaign.invitations.filter(source_key__in=list(planned)).values_list(
            "source_key", flat=True
        )
    )
    Invitation.objects.bulk_create([inv for key, inv in planned.items() if key not in stored])
    report.created = len(planned) - len(stored)
    report.already_invited = len(contacts) - report.created
    return report


def _where(contact: ContactInput, index: int) -> str:
    return f"line {contact.line}" if contact.line is not None else f"contacts.{index}"


def _new_invitation(
    campaign: Campaign,
    customer: Customer,
    unit: Unit,
    staff: AbstractBaseUser | None,
    send_at: datetime,
    *,
    interaction: Interaction | None = None,
) -> Invitation:
    nonce = invitations.new_nonce()
    return Invitation(
        organisation_id=campaign.organisation_id,
        campaign=campaign,
        source_key=f"interaction:{interaction.pk}" if interaction else f"customer:{customer.pk}",
        nonce=nonce,
        token_hash=invitations.hash_of(invitations.token_of(nonce)),
        customer=customer,
        email=customer.email,
        unit=unit,
        staff=staff,
        interaction=interaction,
        send_at=send_at,
    )


def read_contacts_file(path: Path, file_format: str | None = None) -> list[ContactInput]:
    """Read contacts from a CSV or XLSX file (columns email, name, external_id, unit, staff).

    Raises InvalidInput naming every unreadable row by its line.
    """
    try:
        source = importing.open_source(path, file_format)
    except importing.ImportFileError as error:
        raise InvalidInput(error.message, errors={"file": [error.message]}) from error
    try:
        if "email" not in source.columns:
            message = _("The file needs an “email” column (and may have: %s).") % ", ".join(
                CONTACT_COLUMNS
            )
            raise InvalidInput(message, errors={"file": [message]})
        contacts, errors = [], []
        for row in source.rows():
            if row.error:
                errors.append((f"line {row.line}", row.error))
                continue
            values = {name: importing.cell_text(row.values.get(name)) for name in CONTACT_COLUMNS}
            contacts.append(ContactInput(line=row.line, **values))
            if len(contacts) > MAX_CONTACTS:
                raise InvalidInput(_("At most %d contacts a file.") % MAX_CONTACTS)
    except importing.ImportFileError as error:
        raise InvalidInput(error.message, errors={"file": [error.message]}) from error
    finally:
        source.close()
    if errors:
        raise InvalidInput.from_pairs(_("Some rows could not be read."), errors)
    return contacts


# --- sending ------------------------------------------------------------------------------


def send_due(*, now: datetime | None = None, limit: int = SEND_BATCH) -> int:
    """Send the invitations and reminders whose time has come; return how many emails.

    The worker's periodic job.
    """
    now = now or timezone.now()
    return _send_first_emails(now, limit) + _send_reminders(now, limit)


def _send_first_emails(now: datetime, limit: int) -> int:
    with transaction.atomic():
        due = list(
            Invitation.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(status=InvitationStatus.SCHEDULED, send_at__lte=now)
            .select_related(*_EMAIL_RELATIONS)
            .order_by("send_at", "id")[:limit]
        )
        if not due:
            return 0
        # Locking the customers serialises two workers inviting one person from two
        # campaigns, so the throttle sees the other's invitation.
        list(
            Customer.objects.select_for_update()
            .filter(pk__in={invitation.customer_id for invitation in due})
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        judge = _Judge(due, now)
        quiet = QuietHours(due)
        sent = 0
        for invitation in due:
            reason = judge.reason_to_skip(invitation)
            if reason:
                invitation.status, invitation.skip_reason = InvitationStatus.SKIPPED, reason
            else:
                _enqueue(invitation, 0, quiet.send_time(invitation, now))
                judge.invited(invitation)
                invitation.status, invitation.sent_at = InvitationStatus.SENT, now
                invitation.next_reminder_at = _next_reminder(invitation, now, 0)
                sent += 1
        Invitation.objects.bulk_update(
            due, ["status", "skip_reason", "sent_at", "next_reminder_at"]
        )
    return sent


def _send_reminders(now: datetime, limit: int) -> int:
    with transaction.atomic():
        due = list(
            Invitation.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(status=InvitationStatus.SENT, next_reminder_at__lte=now)
            .select_related(*_EMAIL_RELATIONS)
            .order_by("next_reminder_at", "id")[:limit]
        )
        if not due:
            return 0
        suppressed = _suppressed(due)
        quiet = QuietHours(due)
        sent = 0
        for invitation in due:
            survey = invitation.campaign.survey
            if (invitation.organisation_id, invitation.email) in suppressed or not (
                survey.is_published and survey.published_version_id
            ):
                invitation.next_reminder_at = None  # unsubscribed, bounced or closed: stop
                continue
            invitation.reminders_sent += 1
            _enqueue(invitation, invitation.reminders_sent, quiet.send_time(invitation, now))
            invitation.next_reminder_at = _next_reminder(invitation, now, invitation.reminders_sent)
            sent += 1
        Invitation.objects.bulk_update(due, ["reminders_sent", "next_reminder_at"])
    return sent


_EMAIL_RELATIONS = (
    "campaign__survey__published_version",
    "customer",
    "unit",
    "staff",
    "organisation",
)


def _next_reminder(invitation: Invitation, now: datetime, reminders_sent: int) -> datetime | None:
    campaign = invitation.campaign
    if reminders_sent >= campaign.reminder_count:
        return None
    return now + timedelta(days=campaign.reminder_interval_days)


def invite_one(
    campaign: Campaign,
    *,
    customer: Customer | None,
    email: str,
    unit: Unit,
    staff: AbstractBaseUser | None,
    source_key: str,
    now: datetime,
) -> Invitation:
    """Create one invitation of ``campaign`` and email it now, in the caller's transaction.

    For invitations another app sends on an event (a case's re-survey), not on a
    campaign's schedule: the caller has judged whether to send; this keeps the token,
    the email and the organisation's quiet hours the same as for every other invitation.
    """
    nonce = invitations.new_nonce()
    invitation = Invitation.objects.create(
        organisation_id=campaign.organisation_id,
        campaign=campaign,
        source_key=source_key,
        nonce=nonce,
        token_hash=invitations.hash_of(invitations.token_of(nonce)),
        customer=customer,
        email=email.strip().lower(),
        unit=unit,
        staff=staff,
        status=InvitationStatus.SENT,
        send_at=now,
        sent_at=now,
    )
    _enqueue(invitation, 0, QuietHours([invitation]).send_time(invitation, now))
    return invitation


def _enqueue(invitation: Invitation, step: int, send_at: datetime | None = None) -> None:
    enqueue_email(
        invitation_emails.compose(invitation, step),
        key=invitation_emails.email_key(invitation, step),
        organisation=invitation.organisation,
        send_at=send_at,  # the end of the organisation's quiet hours, if now is in them
    )


def _suppressed(due: Iterable[Invitation]) -> dict[tuple[int, str], str]:
    due = list(due)
    rows = Suppression.objects.filter(
        organisation_id__in={invitation.organisation_id for invitation in due},
        email__in={invitation.email for invitation in due},
    ).values_list("organisation_id", "email", "reason")
    return {(organisation_id, email): reason for organisation_id, email, reason in rows}


class _Judge:
    """Decide for each due invitation whether it may be sent, from a few queries for all."""

    def __init__(self, due: list[Invitation], now: datetime) -> None:
        self.suppressed = _suppressed(due)
        organisations = {invitation.organisation_id for invitation in due}
        self.days = {
            policy.organisation_id: policy.days_between_invitations
            for policy in InvitationPolicy.objects.filter(organisation_id__in=organisations)
        }
        longest = max(self.days.values(), default=InvitationPolicy.DEFAULT_DAYS_BETWEEN)
        longest = max(longest, InvitationPolicy.DEFAULT_DAYS_BETWEEN)
        self.now = now
        self.last_sent: dict[tuple[int, str], datetime] = {}
        recent = Invitation.objects.filter(
            organisation_id__in=organisations,
            email__in={invitation.email for invitation in due if invitation.email},
            sent_at__gte=now - timedelta(days=longest),
        ).values_list("organisation_id", "email", "sent_at")
        for organisation_id, email, sent_at in recent:
            key = (organisation_id, email)
            self.last_sent[key] = max(sent_at, self.last_sent.get(key, sent_at))

    def reason_to_skip(self, invitation: Invitation) -> str:
        survey = invitation.campaign.survey
        if not survey.is_published or survey.published_version_id is None:
            return SkipReason.SURVEY_CLOSED
        if not invitation.email:
            return SkipReason.NO_EMAIL
        key = (invitation.organisation_id, invitation.email)
        if key in self.suppressed:
            return self.suppressed[key]  # "unsubscribed" or "bounced", as SkipReason spells them
        days = self.days.get(invitation.organisation_id, InvitationPolicy.DEFAULT_DAYS_BETWEEN)
        last = self.last_sent.get(key)
        if days and last is not None and last > self.now - timedelta(days=days):
            return SkipReason.THROTTLED
        return ""

    def invited(self, invitation: Invitation) -> None:
        self.last_sent[(invitation.organisation_id, invitation.email)] = self.now


# --- the transactional trigger -------------------------------------------------------------

TRIGGER_WATERMARK = "invitation-triggers"
TRIGGER_BATCH = 1000
# An interaction committed late (a long transaction) has an id below the watermark; each
# run looks this far back among interactions recorded in the last LATE_COMMIT minutes.
RECHECK_WINDOW = 5000
LATE_COMMIT = timedelta(minutes=10)
# History imported today must not email last year's customers.
OLDEST_INTERACTION = timedelta(days=7)


def invite_from_interactions(
    *, now: datetime | None = None, batch_size: int = TRIGGER_BATCH
) -> int:
    """Invite the customers of new interactions that an automatic campaign waits for.

    Reads interactions after a saved watermark (customers never call collect), plus the
    recent ones just behind it that committed late; the unique (campaign, interaction)
    makes a re-read invite nobody twice. Return how many invitations were created.
    """
    now = now or timezone.now()
    campaigns = list(
        Campaign.objects.exclude(trigger_kind="").select_related("survey").order_by("pk")
    )
    watermark, _created = InteractionWatermark.objects.get_or_create(name=TRIGGER_WATERMARK)
    position = watermark.position
    newest = Interaction.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    if not campaigns:
        InteractionWatermark.objects.filter(pk=watermark.pk, position=position).update(
            position=newest
        )
        return 0
    kinds = {campaign.trigger_kind for campaign in campaigns}
    organisations = {campaign.organisation_id for campaign in campaigns}
    wanted = Interaction.objects.filter(
        kind__in=kinds, organisation_id__in=organisations, occurred_at__gte=now - OLDEST_INTERACTION
    ).select_related("customer")
    fresh = list(wanted.filter(pk__gt=position).order_by("pk")[:batch_size])
    late = list(
        wanted.filter(
            pk__gt=max(position - RECHECK_WINDOW, 0),
            pk__lte=position,
            recorded_at__gte=now - LATE_COMMIT,
        )
    )
    through = fresh[-1].pk if len(fresh) == batch_size else max(newest, position)
    created = 0
    with transaction.atomic():
        moved = InteractionWatermark.objects.filter(pk=watermark.pk, position=position).update(
            position=through
        )
        if not moved:
            return 0  # another worker read these: its invitations stand
        created = _invite(campaigns, late + fresh)
    return created


def _invite(campaigns: list[Campaign], interactions: list[Interaction]) -> int:
    if not interactions:
        return 0
    units = {
        unit.pk: unit
        for unit in Unit.objects.filter(organisation_id__in={c.organisation_id for c in campaigns})
    }
    roots: dict[int, Unit] = {}
    for unit in units.values():  # the root of each organisation has the shortest path
        if unit.organisation_id not in roots or len(unit.path) < len(
            roots[unit.organisation_id].path
        ):
            roots[unit.organisation_id] = unit
    staff = get_user_model().objects.in_bulk({i.staff_id for i in interactions if i.staff_id})
    planned = []
    for campaign in campaigns:
        for interaction in interactions:
            if (
                interaction.organisation_id != campaign.organisation_id
                or interaction.kind != campaign.trigger_kind
                or interaction.recorded_at < campaign.created_at
            ):
                continue
            unit = units.get(interaction.unit_id) or roots[campaign.organisation_id]
            send_at = interaction.occurred_at + timedelta(minutes=campaign.trigger_delay_minutes)
            planned.append(
                _new_invitation(
                    campaign,
                    interaction.customer,
                    unit,
                    staff.get(interaction.staff_id),
                    send_at,
                    interaction=interaction,
                )
            )
    if not planned:
        return 0
    stored = set(
        Invitation.objects.filter(
            campaign__in=campaigns, source_key__in={inv.source_key for inv in planned}
        ).values_list("campaign_id", "source_key")
    )
    new = [inv for inv in planned if (inv.campaign_id, inv.source_key) not in stored]
    Invitation.objects.bulk_create(new)
    return len(new)


def local_send_time(organisation: Organisation, naive: datetime) -> datetime:
    """Return a time typed on a form (no zone) in the organisation's time zone."""
    return timezone.make_aware(naive, zoneinfo.ZoneInfo(organisation.time_zone))
