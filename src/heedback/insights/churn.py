"""Churn analysis: who lapses after which answer, and what they wrote before they left.

**The definition** (shown on the page). The unit is the *customer*, not the answer, so
that a regular who answered ten times counts once and the observations are independent
(each answer followed separately would count one person many times and shrink every
interval falsely). Among customers with a rhythm (the lapse rule can judge them: three
visits or more), each customer's *exposure* is their last answer given

- before the end of the observation window, ``follow_days`` before the judgement day, so
  that everyone counted has been followed at least that long after answering, and
- before they lapsed, if they did, so that a win-back answer given after leaving never
  counts as the cause of leaving.

The *outcome* is whether they are lapsed on the judgement day (the customers app's rule).
The rate per band has a Wilson 95 % interval; bands are compared pairwise with the pooled
two-proportion z test, with Holm's correction across the NPS pairs.

Everything is counted inside the database: one statement for the NPS bands and every
domain at once (a correlated subquery picks each customer's last answer), one for the
themes, one page of the list of last feedback before each lapse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from heedback.collect.models import Answer, Response
from heedback.customers.models import Customer
from heedback.insights.metrics import holm, two_proportion_test, wilson_interval
from heedback.orgs.models import Organisation
from heedback.surveys.definition import Question, QuestionType
from heedback.surveys.models import Domain, SurveyVersion
from heedback.text.models import TextAnalysis, ThemeAssignment

#: Days every counted customer has been followed after their answer, by default.
FOLLOW_DAYS = 90
#: A score is low in the bottom 40 % of its scale, as the loop's rules say (loop.conditions).
LOW_SHARE = 0.4
#: Customers per page of the list of last feedback before a lapse.
FEEDBACK_PAGE = 50

NPS_BANDS = (
    ("detractor", _("Detractors (0–6)"), Q(score__lte=6)),
    ("passive", _("Passives (7–8)"), Q(score__gte=7, score__lte=8)),
    ("promoter", _("Promoters (9–10)"), Q(score__gte=9)),
)


@dataclass(frozen=True)
class ChurnWindow:
    """When the customers are judged (``as_of``) and how long each was followed at least."""

    as_of: datetime
    follow_days: int = FOLLOW_DAYS

    @property
    def answers_until(self) -> datetime:
        return self.as_of - timedelta(days=self.follow_days)


@dataclass(frozen=True)
class Band:
    """The lapse rate of one group of customers, with its Wilson 95 % interval."""

    key: str
    label: str
    lapsed: int
    n: int

    @property
    def rate(self) -> float | None:
        return self.lapsed / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.lapsed, self.n) if self.n else None


@dataclass(frozen=True)
class Comparison:
    """Two bands compared: the difference of their rates and the test's p value."""

    first: Band
    second: Band
    difference: float
    p_value: float
    is_significant: bool


@dataclass(frozen=True)
class DomainChurn:
    key: str
    name: str
    low: Band
    high: Band
    comparison: Comparison | None


@dataclass(frozen=True)
class ChurnFigures:
    window: ChurnWindow
    judged: int  # customers with a rhythm in scope
    nps: list[Band]
    nps_comparisons: list[Comparison]
    domains: list[DomainChurn]


@dataclass(frozen=True)
class ThemeLift:
    """How often a theme preceded lapse, against its frequency among those who stayed."""

    theme_id: int
    name: str
    lapsed_mentioning: int
    lapsed_writing: int
    stayed_mentioning: int
    stayed_writing: int

    @property
    def lapsed_share(self) -> float | None:
        return self.lapsed_mentioning / self.lapsed_writing if self.lapsed_writing else None

    @property
    def stayed_share(self) -> float | None:
        return self.stayed_mentioning / self.stayed_writing if self.stayed_writing else None

    @property
    def lift(self) -> float | None:
        lapsed, stayed = self.lapsed_share, self.stayed_share
        if lapsed is None or not stayed:
            return None
        return lapsed / stayed


# --- which answers count --------------------------------------------------------------------


def _questions(organisation: Organisation) -> Iterable[tuple[int, Question]]:
    """Yield (version id, question) of every version of the organisation's surveys.

    Versions are few (edits of a handful of surveys), so reading their definitions is
    cheap, and it turns "an NPS answer" into a filter on (version, question key).
    """
    versions = SurveyVersion.objects.filter(survey__organisation=organisation).only(
        "pk", "definition"
    )
    for version in versions:
        for question in version.parsed().questions:
            yield version.pk, question


def _combine(pairs: dict[str, set[int]]) -> Q:
    condition = Q(pk__in=[])
    for key, version_ids in sorted(pairs.items()):
        condition |= Q(question_key=key, response__version_id__in=sorted(version_ids))
    return condition


def _nps_pairs(organisation: Organisation) -> dict[str, set[int]]:
    pairs: dict[str, set[int]] = {}
    for version_id, question in _questions(organisation):
        if question.type == QuestionType.NPS:
            pairs.setdefault(question.key, set()).add(version_id)
    return pairs


def nps_answers(organisation: Organisation) -> Q:
    """Return the filter of ``Answer`` rows that answer an NPS question."""
    return _combine(_nps_pairs(organisation)) & Q(number__isnull=False)


def low_ceiling(question: Question) -> int:
    """Return the highest score that is low on the question's scale (see LOW_SHARE)."""
    if question.type == QuestionType.NPS:
        return 6
    if question.type == QuestionType.YES_NO:
        return 0
    if question.type == QuestionType.CES:
        low, high = 1, 7
    else:
        scale = question.scale
        low, high = (scale.min, scale.max) if scale is not None else (1, 5)
    return low + int((high - low) * LOW_SHARE)


def domain_answers(organisation: Organisation) -> dict[str, tuple[Q, Q]]:
    """Return, per domain key, the filter of its answers and the filter of its low ones."""
    scored: dict[str, dict[tuple[str, int], set[int]]] = {}
    for version_id, question in _questions(organisation):
        if question.domain is None:
            continue
        cell = (question.key, low_ceiling(question))
        scored.setdefault(question.domain, {}).setdefault(cell, set()).add(version_id)
    filters = {}
    for domain, cells in scored.items():
        any_answer, low = Q(pk__in=[]), Q(pk__in=[])
        for (key, ceiling), version_ids in sorted(cells.items()):
            here = Q(question_key=key, response__version_id__in=sorted(version_ids))
            any_answer |= here
            low |= here & Q(number__lte=ceiling)
        filters[domain] = (any_answer & Q(number__isnull=False), low)
    return filters


# --- the figures ----------------------------------------------------------------------------


def judged_customers(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """Return the customers the lapse rule can judge (a rhythm), merged records left out."""
    return customers.filter(merged_into__isnull=True, lapse_at__isnull=False)


def _last_answer(condition: Q, window: ChurnWindow, column) -> Subquery:
    answers = (
        Answer.objects.filter(condition)
        .filter(
            response__customer=OuterRef("pk"),
            response__submitted_at__lte=window.answers_until,
            response__submitted_at__lt=OuterRef("lapse_at"),
        )
        .order_by("-response__submitted_at", "-response_id", "-pk")
    )
    if not isinstance(column, str):
        answers = answers.annotate(picked=column)
        column = "picked"
    return Subquery(answers.values(column)[:1], output_field=IntegerField())


def churn_figures(
    organisation: Organisation, customers: QuerySet[Customer], window: ChurnWindow
) -> ChurnFigures:
    """Return the lapse rates after each NPS band and after low and high domain scores."""
    judged = judged_customers(customers)
    domains = {
        domain.key: domain.name
        for domain in Domain.objects.for_org(organisation).order_by("position", "name")
    }
    domain_filters = domain_answers(organisation)
    nps_pairs = _nps_pairs(organisation)
    # Without any NPS question there is no answer to pick: a typed NULL, which PostgreSQL
    # can compare (an empty subquery would become an untyped one).
    annotations = {
        "score": _last_answer(_combine(nps_pairs) & Q(number__isnull=False), window, "number")
        if nps_pairs
        else Cast(Value(None), output_field=IntegerField())
    }
    for index, (_key, (any_answer, low)) in enumerate(sorted(domain_filters.items())):
        low_flag = Case(When(low, then=Value(1)), default=Value(0), output_field=IntegerField())
        annotations[f"domain_{index}"] = _last_answer(any_answer, window, low_flag)
    lapsed = Q(lapse_at__lt=window.as_of)
    aggregates = {"judged": Count("pk")}
    for key, _label, condition in NPS_BANDS:
        aggregates[f"{key}_n"] = Count("pk", filter=condition)
        aggregates[f"{key}_lapsed"] = Count("pk", filter=condition & lapsed)
    for index, _domain in enumerate(sorted(domain_filters)):
        for flag, name in ((1, "low"), (0, "high")):
            condition = Q(**{f"domain_{index}": flag})
            aggregates[f"domain_{index}_{name}_n"] = Count("pk", filter=condition)
            aggregates[f"domain_{index}_{name}_lapsed"] = Count("pk", filter=condition & lapsed)
    counts = judged.order_by().annotate(**annotations).aggregate(**aggregates)
    bands = [
        Band(key, str(label), counts[f"{key}_lapsed"], counts[f"{key}_n"])
        for key, label, _condition in NPS_BANDS
    ]
    by_domain = []
    for index, key in enumerate(sorted(domain_filters)):
        low = Band("low", str(_("Low score")), *_pair(counts, f"domain_{index}_low"))
        high = Band("high", str(_("High score")), *_pair(counts, f"domain_{index}_high"))
        comparisons = compare([(low, high)])
        by_domain.append(
            DomainChurn(
                key, domains.get(key, key), low, high, comparisons[0] if comparisons else None
            )
        )
    by_domain.sort(key=lambda item: list(domains).index(item.key) if item.key in domains else 99)
    pairs = [(bands[0], bands[1]), (bands[0], bands[2]), (bands[1], bands[2])]
    return ChurnFigures(window, counts["judged"], bands, compare(pairs, correct=True), by_domain)


def _pair(counts: dict, prefix: str) -> tuple[int, int]:
    return counts[f"{prefix}_lapsed"], counts[f"{prefix}_n"]


def compare(pairs: list[tuple[Band, Band]], *, correct: bool = False) -> list[Comparison]:
    """Test each pair of bands that both have customers; Holm-correct the family if asked."""
    tested = []
    for first, second in pairs:
        if first.n and second.n:
            result = two_proportion_test(first.lapsed, first.n, second.lapsed, second.n)
            tested.append((first, second, result))
    if not tested:
        return []
    if correct:
        significant = holm([result.p_value for _f, _s, result in tested])
    else:
        significant = [result.is_significant for _f, _s, result in tested]
    return [
        Comparison(first, second, first.rate - second.rate, result.p_value, flag)
        for (first, second, result), flag in zip(tested, significant, strict=True)
    ]


# --- what came before a lapse ---------------------------------------------------------------


@dataclass(frozen=True)
class LastFeedback:
    customer: Customer
    response: Response | None
    score: int | None


def lapsed_with_last_feedback(
    organisation: Organisation,
    customers: QuerySet[Customer],
    window: ChurnWindow,
    *,
    offset: int = 0,
    limit: int = FEEDBACK_PAGE,
) -> list[LastFeedback]:
    """Return one page of lapsed customers, most recent lapse first, with their last response.

    The last response is the newest one submitted before the lapse; its NPS answer, if
    any, comes with it. Three queries a page, whatever the number of customers.
    """
    last_response = (
        Response.objects.filter(customer=OuterRef("pk"), submitted_at__lt=OuterRef("lapse_at"))
        .order_by("-submitted_at", "-pk")
        .values("pk")[:1]
    )
    page = list(
        judged_customers(customers)
        .filter(lapse_at__lt=window.as_of)
        .annotate(last_response_id=Subquery(last_response))
        .order_by("-lapse_at", "-pk")[offset : offset + limit]
    )
    ids = [customer.last_response_id for customer in page if customer.last_response_id]
    responses = Response.objects.select_related("survey", "unit").in_bulk(ids)
    scores = dict(
        Answer.objects.filter(nps_answers(organisation), response_id__in=ids).values_list(
            "response_id", "number"
        )
    )
    return [
        LastFeedback(
            customer,
            responses.get(customer.last_response_id),
            scores.get(customer.last_response_id),
        )
        for customer in page
    ]


def themes_before_lapse(
    organisation: Organisation, customers: QuerySet[Customer], window: ChurnWindow
) -> list[ThemeLift]:
    """Return the themes of the texts customers wrote before lapsing, most frequent first.

    Each theme is counted once per customer, over the texts they wrote in the exposure
    window (before the window's end and before their lapse), among lapsed customers and
    among those who stayed; the denominators are the customers of each group who wrote
    any analysed text then. The lift is the ratio of the two shares.
    """
    # Texts of the exposure window: before its end, and before the writer's own lapse.
    in_window = Q(
        response__customer__in=judged_customers(customers),
        response__submitted_at__lte=window.answers_until,
        response__submitted_at__lt=F("response__customer__lapse_at"),
    )
    lapsed_flag = Case(
        When(response__customer__lapse_at__lt=window.as_of, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    writers = dict(
        TextAnalysis.objects.filter(organisation=organisation)
        .filter(in_window)
        .order_by()
        .annotate(lapsed=lapsed_flag)
        .values("lapsed")
        .annotate(customers=Count("response__customer_id", distinct=True))
        .values_list("lapsed", "customers")
    )
    rows = (
        ThemeAssignment.objects.filter(organisation=organisation)
        .filter(in_window)
        .order_by()
        .annotate(lapsed=lapsed_flag)
        .values("theme_id", "theme__name", "lapsed")
        .annotate(customers=Count("response__customer_id", distinct=True))
    )
    by_theme: dict[int, dict] = {}
    for row in rows:
        item = by_theme.setdefault(row["theme_id"], {"name": row["theme__name"], 0: 0, 1: 0})
        item[row["lapsed"]] = row["customers"]
    lifts = [
        ThemeLift(
            theme_id,
            item["name"],
            item[1],
            writers.get(1, 0),
            item[0],
            writers.get(0, 0),
        )
        for theme_id, item in by_theme.items()
    ]
    lifts.sort(key=lambda lift: (-lift.lapsed_mentioning, -(lift.lift or 0), lift.name))
    return lifts
