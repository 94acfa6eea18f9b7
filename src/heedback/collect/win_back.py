"""Win-back: invite lapsed customers to the win-back survey, and count the reasons they give.

Invitations go through the ordinary campaigns (``campaigns.create_campaign``), so a win-back
email is throttled, suppressed, reminded and tracked like any other; this module chooses
*whom* to invite and says, before anything is sent, why the others are left out. The
reasons are read from the answers to the surveys made from the built-in ``win_back``
template (question ``reasons``, a multiple choice; ``would_return``; ``other_reason`` and
the comment as the customer's words).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from heedback.collect import campaigns, invitation_policy
from heedback.collect.choices import InvitationStatus, SkipReason
from heedback.collect.models import Answer, Campaign, Invitation, Response, Suppression
from heedback.core.errors import InvalidInput
from heedback.customers.models import Customer, Interaction
from heedback.orgs.models import Organisation, Unit
from heedback.orgs.services import record_audit
from heedback.surveys import services as survey_services
from heedback.surveys.choices import SurveyStatus
from heedback.surveys.definition import QuestionType
from heedback.surveys.models import Survey

TEMPLATE_KEY = "win_back"
REASONS_QUESTION = "reasons"
RETURN_QUESTION = "would_return"
OTHER_REASON_QUESTION = "other_reason"
COMMENT_QUESTION = "comment"
_WORDED = (OTHER_REASON_QUESTION, COMMENT_QUESTION)
#: Comments per page of the reasons page and API.
COMMENTS_PAGE = 50
#: Not-invited customers listed by id in a report (the counts cover all of them).
LISTED_LEFT_OUT = 1000


class LeftOut:
    """Why a selected customer is not invited (the campaigns' skip reasons, and three more)."""

    NOT_LAPSED = "not_lapsed"
    NOT_FOUND = "not_found"
    THROTTLED = SkipReason.THROTTLED.value
    UNSUBSCRIBED = SkipReason.UNSUBSCRIBED.value
    BOUNCED = SkipReason.BOUNCED.value
    NO_EMAIL = SkipReason.NO_EMAIL.value

    @staticmethod
    def label(reason: str) -> str:
        """Return the reason in words."""
        labels = {
            LeftOut.NOT_LAPSED: _("Still coming: neither lapsed nor overdue"),
            LeftOut.NOT_FOUND: _("No such customer"),
            LeftOut.THROTTLED: _("Invited too recently"),
            LeftOut.UNSUBSCRIBED: _("Unsubscribed"),
            LeftOut.BOUNCED: _("Address bounced"),
            LeftOut.NO_EMAIL: _("No email address"),
        }
        return str(labels.get(reason, reason))


@dataclass(frozen=True)
class WinBackInput:
    """Whom to invite and with what message; an empty text takes the default one.

    ``customers`` are the candidates, already narrowed to those the sender may see; only
    the lapsed ones (and, with ``include_overdue``, those overdue by their own rhythm) are
    invited. When the sender ``named`` them one by one, the others are reported as not
    lapsed; a filter ("all lapsed of this unit") is narrowed to the lapsed in the database.
    ``missing_ids`` are ids the sender named that are not among them.
    """

    customers: QuerySet[Customer]
    named: bool = False
    survey: Survey | None = None
    subject: str = ""
    body: str = ""
    send_at: datetime | None = None
    include_overdue: bool = False
    reminder_count: int = 1
    missing_ids: tuple[int, ...] = ()


@dataclass
class WinBackReport:
    """What a win-back did (or, for a preview, would do): who is invited, who not and why."""

    invited: int = 0
    left_out: dict[str, int] = field(default_factory=dict)
    left_out_customers: list[tuple[int, str]] = field(default_factory=list)
    campaign: Campaign | None = None
    survey: Survey | None = None
    is_preview: bool = False

    @property
    def considered(self) -> int:
        return self.invited + sum(self.left_out.values())

    def left_out_rows(self) -> list[tuple[str, str, int]]:
        """Return (reason, words, count) for each reason that left someone out, largest first."""
        return [
            (reason, LeftOut.label(reason), count)
            for reason, count in sorted(self.left_out.items(), key=lambda item: -item[1])
        ]

    def leave_out(self, customer_id: int, reason: str) -> None:
        self.left_out[reason] = self.left_out.get(reason, 0) + 1
        if len(self.left_out_customers) < LISTED_LEFT_OUT:
            self.left_out_customers.append((customer_id, reason))


def default_subject() -> str:
    return _("We have missed you")


def default_body() -> str:
    return _(
        "Dear {customer name},\n\nWe noticed we have not seen you at {unit} for a while. "
        "Would you tell us why? It takes a minute, and every answer is read."
    )


# --- whom to invite ----------------------------------------------------------------------


def win_back_survey(organisation: Organisation) -> Survey | None:
    """Return the newest published survey made from the win-back template, if any."""
    return (
        Survey.objects.for_org(organisation)
        .filter(template_key=TEMPLATE_KEY, status=SurveyStatus.PUBLISHED)
        .select_related("published_version")
        .order_by("-created_at", "-pk")
        .first()
    )


def _survey_or_new(organisation: Organisation, actor: AbstractBaseUser | None) -> Survey:
    """Return the win-back survey, creating and publishing one from the template if none."""
    survey = win_back_survey(organisation)
    if survey is None:
        survey = survey_services.create_survey_from_template(
            organisation, template_key=TEMPLATE_KEY, actor=actor
        )
        survey_services.publish_survey(survey, actor=actor)
        survey.refresh_from_db()
    return survey


def _candidates(request: WinBackInput, now: datetime) -> list[dict]:
    last_unit = (
        Interaction.objects.filter(customer=OuterRef("pk"))
        .order_by("-occurred_at", "-pk")
        .values("unit_id")[:1]
    )
    customers = request.customers.filter(merged_into__isnull=True, erased_at__isnull=True)
    if not request.named:
        due = Q(lapse_at__lt=now)
        if request.include_overdue:
            due |= Q(at_risk_at__lt=now)
        customers = customers.filter(due)
    rows = list(
        customers.order_by("pk")
        .annotate(last_unit_id=Subquery(last_unit))
        .values("pk", "email", "name", "external_id", "lapse_at", "at_risk_at", "last_unit_id")[
            : campaigns.MAX_CONTACTS + 1
        ]
    )
    if len(rows) > campaigns.MAX_CONTACTS:
        raise InvalidInput.from_pairs(
            _("Too many customers at once."),
            [("customers", _("At most %d customers at once.") % campaigns.MAX_CONTACTS)],
        )
    return rows


def _is_due(row: dict, now: datetime, include_overdue: bool) -> bool:
    if row["lapse_at"] is not None and row["lapse_at"] < now:
        return True
    return include_overdue and row["at_risk_at"] is not None and row["at_risk_at"] < now


def suppression_reasons(organisation: Organisation, emails: Iterable[str]) -> dict[str, str]:
    """Return the addresses among ``emails`` the organisation may not write to, with why.

    The bulk form of ``selectors.may_email``: an address is left out exactly when
    ``may_email`` says no (unsubscribed or bounced).
    """
    addresses = {email.strip().lower() for email in emails if email.strip()}
    return dict(
        Suppression.objects.filter(organisation=organisation, email__in=addresses).values_list(
            "email", "reason"
        )
    )


def recently_invited(organisation: Organisation, emails: set[str], now: datetime) -> set[str]:
    """Return the addresses the throttle would hold back now: invited lately, or about to be.

    The same rule as the campaigns' sending (``InvitationPolicy.days_between_invitations``
    across every survey); a scheduled invitation counts as one about to be sent.
    """
    days = invitation_policy.policy_of(organisation).days_between_invitations
    invitations = Invitation.objects.for_org(organisation).filter(email__in=emails)
    pending = Q(status=InvitationStatus.SCHEDULED)
    recent = Q(sent_at__gte=now - timedelta(days=days)) if days else Q(pk__in=[])
    return set(invitations.filter(pending | recent).values_list("email", flat=True))


def _choose(
    organisation: Organisation, request: WinBackInput, now: datetime
) -> tuple[list[dict], WinBackReport]:
    """Split the candidates into those to invite and a report of those left out."""
    report = WinBackReport()
    for missing in request.missing_ids:
        report.leave_out(missing, LeftOut.NOT_FOUND)
    rows = _candidates(request, now)
    due = []
    for row in rows:
        if not _is_due(row, now, request.include_overdue):
            report.leave_out(row["pk"], LeftOut.NOT_LAPSED)
        elif not row["email"]:
            report.leave_out(row["pk"], LeftOut.NO_EMAIL)
        else:
            due.append(row)
    suppressed = suppression_reasons(organisation, (row["email"] for row in due))
    throttled = recently_invited(organisation, {row["email"] for row in due}, now)
    chosen = []
    for row in due:
        if row["email"] in suppressed:
            report.leave_out(row["pk"], suppressed[row["email"]])
        elif row["email"] in throttled:
            report.leave_out(row["pk"], LeftOut.THROTTLED)
        else:
            chosen.append(row)
    report.invited = len(chosen)
    return chosen, report


def preview_win_back(organisation: Organisation, request: WinBackInput) -> WinBackReport:
    """Return who would be invited and why the others would not, writing nothing."""
    _chosen, report = _choose(organisation, request, timezone.now())
    report.is_preview = True
    report.survey = request.survey or win_back_survey(organisation)
    return report


@transaction.atomic
def invite_lapsed(
    organisation: Organisation,
    request: WinBackInput,
    *,
    actor: AbstractBaseUser | None = None,
) -> WinBackReport:
    """Invite the lapsed customers among the candidates to the win-back survey.

    One campaign holds the invitations (sent by the worker at ``send_at``, with the
    campaign's reminders). Customers who are not lapsed, have no email, are unsubscribed
    or bounced, or were invited within the throttle's days are left out and counted by
    reason; the sending re-checks the throttle and the suppressions, so a customer invited
    elsewhere meanwhile is skipped then. Without anyone to invite, nothing is written.
    """
    now = timezone.now()
    chosen, report = _choose(organisation, request, now)
    report.survey = request.survey or win_back_survey(organisation)
    if chosen:
        survey = report.survey or _survey_or_new(organisation, actor)
        report.survey = survey
        units = set(Unit.objects.for_org(organisation).values_list("pk", flat=True))
        contacts = [
            campaigns.ContactInput(
                email=row["email"],
                external_id=row["external_id"],
                unit=str(row["last_unit_id"]) if row["last_unit_id"] in units else "",
            )
            for row in chosen
        ]
        campaign_input = campaigns.CampaignInput(
            survey=survey,
            name=_("Win-back, %s") % formats.date_format(timezone.localdate(now)),
            subject=request.subject.strip() or default_subject(),
            body=request.body.strip() or default_body(),
            send_at=request.send_at,
            reminder_count=request.reminder_count,
        )
        report.campaign, _contacts = campaigns.create_campaign(
            organisation, campaign_input, contacts, actor=actor
        )
    record_audit(
        organisation,
        actor,
        "customers.win_back",
        report.campaign.name if report.campaign else "",
        campaign_id=report.campaign.pk if report.campaign else None,
        invited=report.invited,
        left_out=dict(report.left_out),
    )
    return report


# --- the reasons they give ---------------------------------------------------------------


@dataclass(frozen=True)
class ReasonCount:
    key: str
    label: str
    count: int
    share: float | None  # of the customers who answered the question


@dataclass(frozen=True)
class WinBackComment:
    response_id: int
    submitted_at: datetime
    customer_id: int | None
    customer_name: str
    unit: str
    reasons: list[str]
    other_reason: str
    comment: str
    would_return: bool | None


@dataclass(frozen=True)
class ReasonTally:
    """The reasons lapsed customers gave, counted, with whether they would come back."""

    responses: int
    answered_reasons: int
    reasons: list[ReasonCount]
    would_return_yes: int
    would_return_no: int
    surveys: list[Survey]

    @property
    def would_return_share(self) -> float | None:
        answered = self.would_return_yes + self.would_return_no
        return self.would_return_yes / answered if answered else None


def win_back_responses(
    organisation: Organisation, units: QuerySet[Unit] | None = None
) -> QuerySet[Response]:
    """Return the responses to the organisation's win-back surveys (in ``units`` if given)."""
    responses = Response.objects.for_org(organisation).filter(survey__template_key=TEMPLATE_KEY)
    if units is not None:
        responses = responses.filter(unit__in=units)
    return responses


def _option_labels(surveys: Iterable[Survey]) -> dict[str, str]:
    """Return each option key of the reasons question with its label (the newest survey's)."""
    labels: dict[str, str] = {}
    for survey in surveys:
        version = survey.published_version
        if version is None:
            continue
        for question in version.parsed().questions:
            if question.key == REASONS_QUESTION and question.type == QuestionType.MULTI_CHOICE:
                for option in question.options or []:
                    labels.setdefault(option.key, option.label)
    return labels


def reason_tally(organisation: Organisation, units: QuerySet[Unit] | None = None) -> ReasonTally:
    """Count the reasons given in the win-back surveys, each option once per answer.

    A customer may choose several reasons, so the shares add up to more than 100 %; each is
    the share of those who answered the question. Win-back answers are few (one per lapsed
    customer invited), so the chosen options are counted in Python from one query.
    """
    responses = win_back_responses(organisation, units)
    surveys = list(
        Survey.objects.for_org(organisation)
        .filter(template_key=TEMPLATE_KEY)
        .select_related("published_version")
        .order_by("-created_at", "-pk")
    )
    labels = _option_labels(surveys)
    counted: Counter[str] = Counter()
    answered = 0
    answers = Answer.objects.filter(response__in=responses, question_key=REASONS_QUESTION)
    for choices in answers.values_list("choices", flat=True).iterator(chunk_size=2000):
        if choices:
            answered += 1
            counted.update(set(choices))
    returns = Counter(
        Answer.objects.filter(response__in=responses, question_key=RETURN_QUESTION)
        .exclude(number__isnull=True)
        .values_list("number", flat=True)
    )
    order = list(labels)
    reasons = [
        ReasonCount(key, labels.get(key, key), count, count / answered if answered else None)
        for key, count in sorted(
            counted.items(),
            key=lambda item: (-item[1], order.index(item[0]) if item[0] in order else 99),
        )
    ]
    reasons += [
        ReasonCount(key, label, 0, 0.0 if answered else None)
        for key, label in labels.items()
        if key not in counted
    ]
    return ReasonTally(
        responses=responses.count(),
        answered_reasons=answered,
        reasons=reasons,
        would_return_yes=returns.get(1, 0),
        would_return_no=returns.get(0, 0),
        surveys=surveys,
    )


def reason_comments(
    organisation: Organisation,
    units: QuerySet[Unit] | None = None,
    *,
    reason: str = "",
    offset: int = 0,
    limit: int = COMMENTS_PAGE,
) -> list[WinBackComment]:
    """Return a page of win-back answers with words in them, newest first.

    ``reason`` narrows to the answers that chose that option. Three queries a page.
    """
    responses = win_back_responses(organisation, units)
    if reason:
        # Option keys are slugs, so the quoted key found in the JSON text is that option
        # (JSON containment is not available on SQLite).
        chose = Answer.objects.filter(
            question_key=REASONS_QUESTION, choices__icontains=f'"{reason}"'
        )
        responses = responses.filter(pk__in=chose.values("response_id"))
    worded = Answer.objects.filter(question_key__in=_WORDED).exclude(text="")
    responses = responses.filter(~Q(comment="") | Q(pk__in=worded.values("response_id")))
    page = list(
        responses.select_related("customer", "unit").order_by("-submitted_at", "-pk")[
            offset : offset + limit
        ]
    )
    answers: dict[int, dict[str, Answer]] = {}
    for answer in Answer.objects.filter(
        response__in=[response.pk for response in page],
        question_key__in=(REASONS_QUESTION, RETURN_QUESTION, *_WORDED),
    ):
        answers.setdefault(answer.response_id, {})[answer.question_key] = answer
    return [_comment(response, answers.get(response.pk, {})) for response in page]


def _comment(response: Response, answers: dict[str, Answer]) -> WinBackComment:
    returns = answers.get(RETURN_QUESTION)
    chosen = answers.get(REASONS_QUESTION)
    other = answers.get(OTHER_REASON_QUESTION)
    # The template asks its comment as a question; a response may carry one of its own too.
    said = answers.get(COMMENT_QUESTION)
    comment = "\n\n".join(text for text in (said.text if said else "", response.comment) if text)
    customer = response.customer
    return WinBackComment(
        response_id=response.pk,
        submitted_at=response.submitted_at,
        customer_id=customer.pk if customer is not None else None,
        customer_name=customer.display_name if customer is not None else "",
        unit=response.unit.name,
        reasons=list(chosen.choices or []) if chosen is not None else [],
        other_reason=other.text if other is not None else "",
        comment=comment,
        would_return=bool(returns.number)
        if returns is not None and returns.number is not None
        else None,
    )
