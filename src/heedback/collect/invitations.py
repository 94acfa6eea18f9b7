"""Writes of an invitation's life after it is sent: opened, drafted, answered, unsubscribed.

The emailed token is never stored. It is derived from the invitation's random ``nonce``
and the secret key (``token_of``), so every reminder repeats the same link, and it is
looked up by its SHA-256: a copy of the database alone opens no survey.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from heedback.collect import services
from heedback.collect.choices import Channel, InvitationStatus, SuppressionReason
from heedback.collect.models import Invitation, Response, Suppression
from heedback.core.errors import Conflict, NotFound
from heedback.orgs.models import Organisation

TOKEN_SALT = "heedback.collect.invitation"  # noqa: S105 (a key-derivation namespace)
MAX_DRAFT_VALUES = 200
MAX_DRAFT_TEXT = 5000


def new_nonce() -> str:
    """Return the random seed of an invitation's token (128 bits)."""
    return secrets.token_hex(16)


def token_of(nonce: str) -> str:
    """Return the emailed token of an invitation: HMAC-SHA256 of its nonce (256 bits)."""
    digest = salted_hmac(TOKEN_SALT, nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_of(token: str) -> str:
    """Return what is stored to find a token again: its SHA-256 in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_idempotency_key(invitation: Invitation) -> str:
    """Return the submission key of an invitation: one response per invitation, ever."""
    return f"invitation:{invitation.pk}"


class InvitationGone(NotFound):
    """The token is unknown or already spent: both read the same to whoever holds it."""


def record_opened(invitation: Invitation) -> None:
    """Note the first visit of the link (the campaign's "opened" count)."""
    Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
        opened_at=timezone.now()
    )


def clean_draft(answers: Mapping[str, object], question_keys: set[str]) -> dict[str, object]:
    """Keep the answers a draft may hold: known questions, text or lists of text, bounded."""
    draft: dict[str, object] = {}
    for key, value in list(answers.items())[:MAX_DRAFT_VALUES]:
        if key not in question_keys:
            continue
        if isinstance(value, list):
            draft[key] = [str(item)[:MAX_DRAFT_TEXT] for item in value[:MAX_DRAFT_VALUES]]
        else:
            draft[key] = str(value)[:MAX_DRAFT_TEXT]
    return draft


def _stale() -> Conflict:
    return Conflict(
        _("These answers were changed in another window since this page was opened."),
        errors={"revision": [_("stale: reload the page to see the newest answers")]},
    )


def save_draft(invitation: Invitation, revision: int, answers: dict[str, object]) -> int:
    """Store the answers given so far if ``revision`` is still the newest; return the next one.

    A compare-and-set on ``draft_revision``: of two tabs that loaded revision 3, the first
    save wins and the second is refused with Conflict, so an old tab never overwrites
    newer answers. A spent invitation keeps no draft (InvitationGone).
    """
    now = timezone.now()
    changes: dict[str, object] = {"draft": answers, "draft_revision": F("draft_revision") + 1}
    if answers:
        changes["started_at"] = Coalesce(F("started_at"), Value(now))
        # Whoever answers opened it, even if their browser was taken for a mail scanner.
        changes["opened_at"] = Coalesce(F("opened_at"), Value(now))
    updated = Invitation.objects.filter(
        pk=invitation.pk, draft_revision=revision, completed_at__isnull=True
    ).update(**changes)
    if updated:
        return revision + 1
    if Invitation.objects.filter(pk=invitation.pk, completed_at__isnull=True).exists():
        raise _stale()
    raise InvitationGone(_("This invitation is not open."))


@dataclass(frozen=True)
class Finished:
    response: Response
    created: bool


def finish_invitation(
    invitation: Invitation, revision: int, answers: Mapping[str, object], *, language: str = ""
) -> Finished:
    """Store the answer of an invitation through ``submit_response`` and spend its token.

    The invitation row is locked, so two tabs sending at once store one response; a tab
    holding an older revision than the saved draft is refused, and an invalid answer
    spends nothing (the caller keeps it as a draft).
    """
    with transaction.atomic():
        locked = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("campaign__survey__organisation", "customer")
            .get(pk=invitation.pk)
        )
        if locked.completed_at is not None:
            raise InvitationGone(_("This invitation is not open."))
        if locked.draft_revision != revision:
            raise _stale()
        result = services.submit_response(
            services.Submission(
                survey=locked.campaign.survey,
                unit=locked.unit,
                answers=answers,
                idempotency_key=invitation_idempotency_key(locked),
                channel=Channel.EMAIL,
                language=language,
                staff=locked.staff,
                customer=locked.customer,
                interaction=locked.interaction,
            )
        )
        now = timezone.now()
        Invitation.objects.filter(pk=locked.pk).update(
            status=InvitationStatus.COMPLETED,
            completed_at=now,
            started_at=Coalesce(F("started_at"), Value(now)),
            opened_at=Coalesce(F("opened_at"), Value(now)),
            response=result.response,
            draft={},
            draft_revision=F("draft_revision") + 1,
            next_reminder_at=None,
        )
    return Finished(result.response, result.created)


def suppress(organisation: Organisation, email: str, reason: str) -> Suppression:
    """Add an address to the organisation's suppression list (an unsubscribe outranks a bounce)."""
    suppression, created = Suppression.objects.get_or_create(
        organisation=organisation, email=email.strip().lower(), defaults={"reason": reason}
    )
    if not created and reason == SuppressionReason.UNSUBSCRIBED != suppression.reason:
        Suppression.objects.filter(pk=suppression.pk).update(reason=reason)
    return suppression


@transaction.atomic
def unsubscribe(invitation: Invitation) -> None:
    """Honour an unsubscribe from an invitation: no campaign, reminder or re-survey again."""
    now = timezone.now()
    suppress(invitation.organisation, invitation.email, SuppressionReason.UNSUBSCRIBED)
    Invitation.objects.filter(pk=invitation.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now
    )
    Invitation.objects.filter(
        organisation=invitation.organisation, email=invitation.email, next_reminder_at__isnull=False
    ).update(next_reminder_at=None)


@transaction.atomic
def record_bounce(organisation: Organisation, email: str) -> int:
    """Record a permanent delivery failure of ``email``; return how many invitations it marks.

    The address is suppressed, and the invitations sent to it count as bounced and get no
    reminder. The mail provider's webhook, ``heedback record-bounce`` and the API call this.
    """
    address = email.strip().lower()
    suppress(organisation, address, SuppressionReason.BOUNCED)
    return (
        Invitation.objects.for_org(organisation)
        .filter(email=address, sent_at__isnull=False, bounced_at__isnull=True)
        .update(bounced_at=timezone.now(), next_reminder_at=None)
    )
