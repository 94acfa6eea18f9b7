"""The churn and win-back router: lapse after each answer, the last feedback, win-back.

The figures come from the functions the churn page uses (``insights.churn``), so the page
and the API cannot disagree; win-back goes through ``collect.win_back`` like the pages.
"""

from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from heedback.collect import win_back
from heedback.core.api_support import requires
from heedback.core.errors import InvalidInput
from heedback.customers import selectors as customer_selectors
from heedback.insights import churn
from heedback.orgs.models import Organisation, Unit
from heedback.orgs.permissions import Permission
from heedback.orgs.tenancy import get_scoped_or_invalid
from heedback.surveys.models import Survey

router = Router(tags=["churn"])


class ChurnFiltersIn(Schema):
    follow_days: int = Field(
        default=churn.FOLLOW_DAYS,
        ge=7,
        le=730,
        description="Only answers at least this many days old count: too soon to tell else.",
    )
    unit: int | None = Field(default=None, description="Customers served in this unit's subtree.")


class LastFeedbackFiltersIn(ChurnFiltersIn):
    limit: int = Field(default=churn.FEEDBACK_PAGE, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


class BandOut(Schema):
    key: str
    label: str
    lapsed: int
    n: int
    rate: float | None
    interval_low: float | None = Field(description="Wilson 95% interval of the rate.")
    interval_high: float | None


class ComparisonOut(Schema):
    first: str
    second: str
    difference: float = Field(description="First rate minus second rate.")
    p_value: float
    is_significant: bool = Field(description="At 5%; across the NPS pairs, Holm-corrected.")


class DomainChurnOut(Schema):
    key: str
    name: str
    low: BandOut
    high: BandOut
    comparison: ComparisonOut | None


class ThemeOut(Schema):
    theme_id: int
    name: str
    lapsed_mentioning: int
    lapsed_writing: int
    stayed_mentioning: int
    stayed_writing: int
    lift: float | None


class ChurnOut(Schema):
    as_of: datetime
    follow_days: int
    answers_until: datetime
    judged: int = Field(description="Customers with a rhythm in scope.")
    nps: list[BandOut]
    nps_comparisons: list[ComparisonOut]
    domains: list[DomainChurnOut]
    themes: list[ThemeOut]


class LastFeedbackOut(Schema):
    customer: int
    name: str
    lapsed_since: datetime
    response: int | None
    submitted_at: datetime | None
    survey: str | None
    nps: int | None
    comment: str


class LastFeedbackPage(Schema):
    limit: int
    offset: int
    has_more: bool
    results: list[LastFeedbackOut]


def _customers(organisation: Organisation, unit_id: int | None):
    customers = customer_selectors.live_customers(organisation)
    if unit_id is None:
        return customers
    unit = get_scoped_or_invalid(Unit, organisation, "unit", pk=unit_id)
    return customer_selectors.filter_customers(
        customers, customer_selectors.CustomerFilters(unit=unit), timezone.now()
    )


def _band(band: churn.Band) -> dict:
    interval = band.interval
    return {
        "key": band.key,
        "label": band.label,
        "lapsed": band.lapsed,
        "n": band.n,
        "rate": band.rate,
        "interval_low": interval[0] if interval else None,
        "interval_high": interval[1] if interval else None,
    }


def _comparison(comparison: churn.Comparison) -> dict:
    return {
        "first": comparison.first.key,
        "second": comparison.second.key,
        "difference": comparison.difference,
        "p_value": comparison.p_value,
        "is_significant": comparison.is_significant,
    }


@router.get("/churn", response=ChurnOut)
@requires(Permission.VIEW)
def churn_figures(request: HttpRequest, filters: Query[ChurnFiltersIn]):
    """Return the lapse rate after each NPS band and after low and high scores per domain.

    The unit is the customer: each one's last answer given at least ``follow_days`` ago and
    before their own lapse; rates have Wilson 95% intervals, bands are compared with the
    two-proportion test (Holm-corrected across the NPS pairs). The themes written before
    lapsing come with their lift over those who stayed. Anonymous counts only.
    """
    organisation = request.organisation
    customers = _customers(organisation, filters.unit)
    window = churn.ChurnWindow(as_of=timezone.now(), follow_days=filters.follow_days)
    figures = churn.churn_figures(organisation, customers, window)
    return {
        "as_of": window.as_of,
        "follow_days": window.follow_days,
        "answers_until": window.answers_until,
        "judged": figures.judged,
        "nps": [_band(band) for band in figures.nps],
        "nps_comparisons": [_comparison(item) for item in figures.nps_comparisons],
        "domains": [
            {
                "key": domain.key,
                "name": domain.name,
                "low": _band(domain.low),
                "high": _band(domain.high),
                "comparison": _comparison(domain.comparison) if domain.comparison else None,
            }
            for domain in figures.domains
        ],
        "themes": [
            {name: getattr(lift, name) for name in ThemeOut.model_fields}
            for lift in churn.themes_before_lapse(organisation, customers, window)
        ],
    }


@router.get("/churn/last-feedback", response=LastFeedbackPage)
@requires(Permission.VIEW_CUSTOMERS)
def last_feedback(request: HttpRequest, filters: Query[LastFeedbackFiltersIn]):
    """Return a page of lapsed customers, most recent lapse first, with their last feedback.

    The last feedback is the newest response submitted before the lapse, with its NPS
    answer if it had one; ``has_more`` says whether another page follows.
    """
    organisation = request.organisation
    customers = _customers(organisation, filters.unit)
    window = churn.ChurnWindow(as_of=timezone.now(), follow_days=filters.follow_days)
    rows = churn.lapsed_with_last_feedback(
        organisation, customers, window, offset=filters.offset, limit=filters.limit + 1
    )
    return {
        "limit": filters.limit,
        "offset": filters.offset,
        "has_more": len(rows) > filters.limit,
        "results": [
            {
                "customer": row.customer.pk,
                "name": row.customer.display_name,
                "lapsed_since": row.customer.lapse_at,
                "response": row.response.pk if row.response else None,
                "submitted_at": row.response.submitted_at if row.response else None,
                "survey": row.response.survey.name if row.response else None,
                "nps": row.score,
                "comment": row.response.comment if row.response else "",
            }
            for row in rows[: filters.limit]
        ],
    }


# --- win-back ------------------------------------------------------------------------------


class WinBackIn(Schema):
    """Whom to invite: ``customers`` by id, else every lapsed customer matching the filter."""

    model_config = ConfigDict(extra="forbid")

    customers: list[int] | None = Field(default=None, max_length=50_000)
    unit: int | None = Field(default=None, description="Customers served in this unit's subtree.")
    value_tier: str | None = Field(default=None, max_length=40)
    include_overdue: bool = Field(
        default=False, description="Also invite customers overdue by their own rhythm."
    )
    survey: int | None = Field(
        default=None,
        description="A published survey; by default the newest made from the win-back "
        "template (one is made and published if there is none).",
    )
    subject: str = Field(default="", max_length=200)
    body: str = Field(default="", max_length=10_000)
    send_at: datetime | None = None
    reminder_count: int = Field(default=1, ge=0, le=5)
    preview: bool = Field(default=False, description="Say who would be invited; write nothing.")


class LeftOutOut(Schema):
    id: int
    reason: str


class WinBackOut(Schema):
    preview: bool
    invited: int
    left_out: dict[str, int] = Field(description="Customers not invited, by reason.")
    not_invited: list[LeftOutOut] = Field(description="The first 1,000 of them, by id.")
    campaign: int | None
    survey: int | None


def _win_back_input(organisation: Organisation, payload: WinBackIn) -> win_back.WinBackInput:
    customers = customer_selectors.live_customers(organisation)
    missing: tuple[int, ...] = ()
    if payload.customers is not None:
        ids = set(payload.customers)
        customers = customers.filter(pk__in=ids)
        found = set(customers.values_list("pk", flat=True))
        missing = tuple(sorted(ids - found))
    else:
        unit = None
        if payload.unit is not None:
            unit = get_scoped_or_invalid(Unit, organisation, "unit", pk=payload.unit)
        filters = customer_selectors.CustomerFilters(unit=unit, value_tier=payload.value_tier or "")
        customers = customer_selectors.filter_customers(customers, filters, timezone.now())
    survey = None
    if payload.survey is not None:
        survey = get_scoped_or_invalid(
            Survey.objects.select_related("published_version"),
            organisation,
            "survey",
            pk=payload.survey,
        )
    if payload.send_at is not None and timezone.is_naive(payload.send_at):
        raise InvalidInput.from_pairs(
            "The win-back is not valid.", [("send_at", "Give a time with its time zone.")]
        )
    return win_back.WinBackInput(
        customers=customers,
        named=payload.customers is not None,
        survey=survey,
        subject=payload.subject,
        body=payload.body,
        send_at=payload.send_at,
        include_overdue=payload.include_overdue,
        reminder_count=payload.reminder_count,
        missing_ids=missing,
    )


@router.post("/customers/win-back", response={200: WinBackOut, 201: WinBackOut})
@requires(Permission.WRITE_API)
def send_win_back(request: HttpRequest, payload: WinBackIn):
    """Invite lapsed customers to the win-back survey (a campaign), or preview who would be.

    Name the customers by id, or give a filter (``unit``, ``value_tier``; without
    ``customers`` every lapsed customer of the filter is a candidate). Only lapsed
    customers (and with ``include_overdue`` those overdue) are invited; the others are
    counted by reason: ``not_lapsed``, ``no_email``, ``unsubscribed``, ``bounced``,
    ``throttled`` (invited within the policy's days), ``not_found``. Answers 201 with the
    campaign when someone is invited, else 200.
    """
    organisation = request.organisation
    candidates = _win_back_input(organisation, payload)
    if payload.preview:
        report = win_back.preview_win_back(organisation, candidates)
    else:
        report = win_back.invite_lapsed(organisation, candidates)
    body = {
        "preview": report.is_preview,
        "invited": report.invited,
        "left_out": report.left_out,
        "not_invited": [
            {"id": customer_id, "reason": reason}
            for customer_id, reason in report.left_out_customers
        ],
        "campaign": report.campaign.pk if report.campaign else None,
        "survey": report.survey.pk if report.survey else None,
    }
    return Status(201 if report.campaign else 200, body)


class ReasonOut(Schema):
    key: str
    label: str
    count: int
    share: float | None = Field(description="Of the customers who answered the question.")


class WinBackCommentOut(Schema):
    response: int
    submitted_at: datetime
    customer: int | None
    unit: str
    reasons: list[str]
    other_reason: str
    comment: str
    would_return: bool | None


class ReasonsOut(Schema):
    responses: int
    answered_reasons: int
    reasons: list[ReasonOut]
    would_return_yes: int
    would_return_no: int
    comments: list[WinBackCommentOut]
    has_more: bool


class ReasonFiltersIn(Schema):
    reason: str | None = Field(default=None, max_length=63, description="Comments choosing it.")
    limit: int = Field(default=win_back.COMMENTS_PAGE, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


@router.get("/customers/win-back/reasons", response=ReasonsOut)
@requires(Permission.VIEW_CUSTOMERS)
def win_back_reasons(request: HttpRequest, filters: Query[ReasonFiltersIn]):
    """Return the reasons lapsed customers gave in the win-back survey, and their words.

    Each option is counted once per answer (several may be chosen); ``comments`` is a page
    of answers with an other reason or a comment, newest first.
    """
    organisation = request.organisation
    tally = win_back.reason_tally(organisation)
    known = {item.key for item in tally.reasons}
    if filters.reason and filters.reason not in known:
        raise InvalidInput.from_pairs(
            "The filter is not valid.",
            [("reason", f"Choose one of: {', '.join(sorted(known))}.")],
        )
    comments = win_back.reason_comments(
        organisation, reason=filters.reason or "", offset=filters.offset, limit=filters.limit + 1
    )
    return {
        "responses": tally.responses,
        "answered_reasons": tally.answered_reasons,
        "reasons": [
            {"key": item.key, "label": item.label, "count": item.count, "share": item.share}
            for item in tally.reasons
        ],
        "would_return_yes": tally.would_return_yes,
        "would_return_no": tally.would_return_no,
        "comments": [
            {
                "response": item.response_id,
                "submitted_at": item.submitted_at,
                "customer": item.customer_id,
                "unit": item.unit,
                "reasons": item.reasons,
                "other_reason": item.other_reason,
                "comment": item.comment,
                "would_return": item.would_return,
            }
            for item in comments[: filters.limit]
        ],
        "has_more": len(comments) > filters.limit,
    }
