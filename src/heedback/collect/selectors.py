"""Reads of the collect app."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser as User
from django.db.models import Count, Q, QuerySet, Sum

from heedback.collect.choices import InvitationStatus, SkipReason
from heedback.collect.invitations import hash_of
from heedback.collect.models import (
    Answer,
    Campaign,
    Invitation,
    Response,
    Suppression,
    SurveyLink,
)
from heedback.collect.services import stored_value
from heedback.collect.storage import NewAnswer, NewResponse
from heedback.orgs.models import Organisation
from heedback.surveys.models import Survey, SurveyVersion

_FROZEN_VERSIONS: dict[int, SurveyVersion] = {}
_FROZEN_VERSIONS_LOCK = threading.Lock()
MAX_FROZEN_VERSIONS = 256


def frozen_version(version_id: int) -> SurveyVersion:
    """Return a survey version, its definition parsed, read once per process once frozen.

    A published version never changes again (editing opens a new one), so its parsed
    definition is kept for the life of the process, and ingest skips reading and
    validating the definition's JSON for every response. A draft is read every time.
    """
    version = _FROZEN_VERSIONS.get(version_id)
    if version is not None:
        return version
    version = SurveyVersion.objects.get(pk=version_id)
    version.parsed()
    if version.is_frozen:
        with _FROZEN_VERSIONS_LOCK:
            if len(_FROZEN_VERSIONS) >= MAX_FROZEN_VERSIONS:
                del _FROZEN_VERSIONS[next(iter(_FROZEN_VERSIONS))]  # the oldest kept
            _FROZEN_VERSIONS[version_id] = version
    return version


def forget_frozen_versions() -> None:
    """Drop the versions kept by ``frozen_version``: for tests, whose rollbacks reuse ids."""
    with _FROZEN_VERSIONS_LOCK:
        _FROZEN_VERSIONS.clear()


def link_by_token(token: str) -> SurveyLink | None:
    """Return the link for a public token with its survey, version, unit and organisation."""
    return (
        SurveyLink.objects.select_related(
            "survey", "survey__published_version", "unit", "organisation"
        )
        .filter(token=token)
        .first()
    )


def responses_with_answers(responses: QuerySet[Response]) -> QuerySet[Response]:
    return responses.select_related("version", "staff").prefetch_related("answers")


def response_as_dict(response: Response, answers: Iterable[Answer] | None = None) -> dict:
    """Return a response as the API speaks it: answers keyed by question, typed back.

    ``answers`` are the response's rows when the caller holds them already (it has just
    stored them), which spares reading them back.
    """
    rows = response.answers.all() if answers is None else answers
    return _as_api_dict(
        response,
        response.version,
        response.staff if response.staff_id else None,
        [(answer.question_key, answer.number, answer.text, answer.choices) for answer in rows],
    )


def new_response_as_dict(row: NewResponse, version: SurveyVersion, staff: User | None) -> dict:
    """Return a response just stored from ``row`` as ``response_as_dict`` returns it read back.

    From the row's values: building the model instances to read them from cost as much as
    the rest of the API's answer to a new response.
    """
    return _as_api_dict(row, version, staff, row.answers)


def _as_api_dict(
    response: Response | NewResponse,
    version: SurveyVersion,
    staff: User | None,
    answers: Iterable[NewAnswer],
) -> dict:
    questions = version.parsed().questions_by_key
    return {
        "id": response.id,
        "survey": response.survey_id,
        "version": version.number,
        "unit": response.unit_id,
        "channel": response.channel,
        "idempotency_key": response.idempotency_key,
        "submitted_at": response.submitted_at,
        "received_at": response.received_at,
        "language": response.language,
        "comment": response.comment,
        "staff": staff.email if staff is not None else None,
        "external_id": response.external_id,
        "customer": response.customer_id,
        "interaction": response.interaction_id,
        "answers": {
            key: stored_value(questions.get(key), number, text, choices)
            for key, number, text, choices in answers
        },
    }


# --- invitations ---------------------------------------------------------------------------


def invitation_by_token(token: str) -> Invitation | None:
    """Return the open invitation of an emailed token, or None when unknown *or* answered.

    One indexed query by the token's hash in both cases, and the same None, so whoever
    tries tokens learns nothing from which ones were used.
    """
    if not token or len(token) > 100:
        return None
    invitation = (
        Invitation.objects.select_related(
            "campaign__survey__published_version", "unit", "organisation", "staff", "customer"
        )
        .filter(token_hash=hash_of(token))
        .first()
    )
    if invitation is None or invitation.completed_at is not None:
        return None
    return invitation


def may_email(organisation: Organisation, email: str) -> bool:
    """Tell whether the organisation may email this address (not unsubscribed, not bounced).

    Every campaign, reminder, re-survey and win-back asks this one function.
    """
    address = email.strip().lower()
    return (
        bool(address)
        and not Suppression.objects.filter(organisation=organisation, email=address).exists()
    )


@dataclass(frozen=True)
class CampaignCounts:
    """A campaign's funnel: how many were invited, reached, opened, started, answered."""

    contacts: int = 0
    scheduled: int = 0
    sent: int = 0
    opened: int = 0
    started: int = 0
    completed: int = 0
    bounced: int = 0
    unsubscribed: int = 0
    reminders: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def response_rate(self) -> float | None:
        """Return completed ÷ sent (None before anything is sent)."""
        return self.completed / self.sent if self.sent else None


_COUNTS = {
    "contacts": Count("id"),
    "scheduled": Count("id", filter=Q(status=InvitationStatus.SCHEDULED)),
    "sent": Count("id", filter=Q(sent_at__isnull=False)),
    "opened": Count("id", filter=Q(opened_at__isnull=False)),
    "started": Count("id", filter=Q(started_at__isnull=False)),
    "completed": Count("id", filter=Q(completed_at__isnull=False)),
    "bounced": Count("id", filter=Q(bounced_at__isnull=False)),
    "unsubscribed": Count("id", filter=Q(unsubscribed_at__isnull=False)),
    "reminders": Sum("reminders_sent"),
    **{
        f"skipped_{reason}": Count("id", filter=Q(skip_reason=reason))
        for reason in SkipReason.values
    },
}


def _counts_of(row: dict) -> CampaignCounts:
    skipped = {reason: row.get(f"skipped_{reason}") or 0 for reason in SkipReason.values}
    return CampaignCounts(
        **{name: row.get(name) or 0 for name in _COUNTS if not name.startswith("skipped_")},
        skipped={reason: count for reason, count in skipped.items() if count},
    )


def campaign_counts(campaign: Campaign) -> CampaignCounts:
    """Return one campaign's counts (one query)."""
    return _counts_of(Invitation.objects.filter(campaign=campaign).aggregate(**_COUNTS))


def counts_by_campaign(campaigns: QuerySet[Campaign]) -> dict[int, CampaignCounts]:
    """Return the counts of many campaigns at once (one grouped query)."""
    rows = (
        Invitation.objects.filter(campaign__in=campaigns)
        .values("campaign_id")
        .annotate(**_COUNTS)
        .order_by()
    )
    return {row["campaign_id"]: _counts_of(row) for row in rows}


def with_counts(campaigns: Iterable[Campaign]) -> list[tuple[Campaign, CampaignCounts]]:
    """Return each campaign of a page with its counts (one query for the whole page)."""
    rows = list(campaigns)
    counts = counts_by_campaign(Campaign.objects.filter(pk__in=[row.pk for row in rows]))
    return [(row, counts.get(row.pk, CampaignCounts())) for row in rows]


@dataclass(frozen=True)
class ResponseRate:
    sent: int
    completed: int

    @property
    def rate(self) -> float | None:
        return self.completed / self.sent if self.sent else None


def response_rate(
    organisation: Organisation,
    *,
    survey: Survey | None = None,
    campaign: Campaign | None = None,
    units: QuerySet | None = None,
    sent_from: datetime | None = None,
    sent_until: datetime | None = None,
) -> ResponseRate:
    """Return how many invitations were sent and answered, for the insights metric engine.

    Counted by the time the invitation was sent (``sent_from`` inclusive, ``sent_until``
    exclusive), so a period's rate does not change as late answers of older sends arrive
    in it.
    """
    invitations = Invitation.objects.for_org(organisation).filter(sent_at__isnull=False)
    if survey is not None:
        invitations = invitations.filter(campaign__survey=survey)
    if campaign is not None:
        invitations = invitations.filter(campaign=campaign)
    if units is not None:
        invitations = invitations.filter(unit__in=units)
    if sent_from is not None:
        invitations = invitations.filter(sent_at__gte=sent_from)
    if sent_until is not None:
        invitations = invitations.filter(sent_at__lt=sent_until)
    row = invitations.aggregate(
        sent=Count("id"), completed=Count("id", filter=Q(completed_at__isnull=False))
    )
    return ResponseRate(sent=row["sent"], completed=row["completed"])
