"""Loop metrics: did someone act on the feedback, how fast, and did it fix the problem.

Every figure is a ratio or a mean of *additive* counts (``LoopCounts``), counted inside the
database with a few grouped queries per request, grouped by unit or by owner. A unit's
subtree is then the sum of its units' rows in Python, so a dashboard costs O(units), never
O(cases). The figures are declared once in ``FIGURES`` (key, label, format); the
dashboard, its CSV, the API, the digest and the continuum indicators all read them.

Which cases count: those opened in the period (days in the organisation's time zone),
followed wherever they went since. Detractors count by the day they answered.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from heedback.collect.models import Answer, Response
from heedback.loop.choices import EventKind
from heedback.loop.models import Case, CaseEvent
from heedback.orgs.models import Membership, Organisation, Unit
from heedback.surveys.definition import QuestionType, SurveyDefinition
from heedback.surveys.models import SurveyVersion

DETRACTOR_AT_MOST = 6
GROUPINGS = ("unit", "owner")


@dataclass
class LoopCounts:
    """Additive counts behind every loop figure: a unit's subtree is the sum of its units."""

    cases: int = 0
    acted: int = 0  # cases with a first action by a person
    first_action_seconds: float = 0.0
    done: int = 0  # resolved or closed
    resolution_seconds: float = 0.0
    decided: int = 0  # done, or past the deadline while open: the deadline's verdict is in
    within_deadline: int = 0
    seen: int = 0  # seen by their owner
    front_line_seconds: float = 0.0  # feedback stored → first seen by its owner
    feedback_cases: int = 0  # cases opened by a piece of feedback
    feedback_acted: int = 0
    detractors: int = 0
    detractors_followed: int = 0  # reached by a call, or sent a reply
    resurveyed: int = 0  # re-survey answers "is your problem solved?"
    resurvey_solved: int = 0

    def __add__(self, other: LoopCounts) -> LoopCounts:
        return LoopCounts(
            **{
                item.name: getattr(self, item.name) + getattr(other, item.name)
                for item in fields(self)
            }
        )

    def add(self, **counts: float) -> None:
        for name, value in counts.items():
            setattr(self, name, getattr(self, name) + (value or 0))


def _ratio(part: float, whole: float, scale: float = 1.0) -> float | None:
    return scale * part / whole if whole else None


@dataclass(frozen=True)
class Figure:
    """One loop metric: how it is named, computed from counts and shown."""

    key: str
    label: object
    unit: str  # "hours", "percent" or "count"
    compute: Callable[[LoopCounts], float | None]
    sample: Callable[[LoopCounts], int]

    def value(self, counts: LoopCounts) -> float | None:
        return self.compute(counts)

    def display(self, counts: LoopCounts) -> str:
        return format_figure(self, self.value(counts))


def format_figure(figure: Figure, value: float | None) -> str:
    """Return a value as people read it: "3.5 h", "82%", "12"; "–" when there is none."""
    if value is None:
        return "–"
    if figure.unit == "hours":
        return f"{value:.1f} h"
    if figure.unit == "percent":
        return f"{value:.0f}%"
    return f"{value:.0f}"


FIGURES: tuple[Figure, ...] = (
    Figure("cases", _("Cases opened"), "count", lambda c: c.cases, lambda c: c.cases),
    Figure(
        "first_action_hours",
        _("Time to first action"),
        "hours",
        lambda c: _ratio(c.first_action_seconds, c.acted, 1 / 3600),
        lambda c: c.acted,
    ),
    Figure(
        "resolution_hours",
        _("Time to resolution"),
        "hours",
        lambda c: _ratio(c.resolution_seconds, c.done, 1 / 3600),
        lambda c: c.done,
    ),
    Figure(
        "within_deadline_share",
        _("Closed within deadline"),
        "percent",
        lambda c: _ratio(c.within_deadline, c.decided, 100),
        lambda c: c.decided,
    ),
    Figure(
        "detractors_followed_share",
        _("Detractors followed up"),
        "percent",
        lambda c: _ratio(c.detractors_followed, c.detractors, 100),
        lambda c: c.detractors,
    ),
    Figure(
        "resurvey_solved_share",
        _("Solved, says the customer"),
        "percent",
        lambda c: _ratio(c.resurvey_solved, c.resurveyed, 100),
        lambda c: c.resurveyed,
    ),
    Figure(
        "front_line_hours",
        _("Time to front line"),
        "hours",
        lambda c: _ratio(c.front_line_seconds, c.seen, 1 / 3600),
        lambda c: c.seen,
    ),
    Figure(
        "acted_on_share",
        _("Feedback acted on"),
        "percent",
        lambda c: _ratio(c.feedback_acted, c.feedback_cases, 100),
        lambda c: c.feedback_cases,
    ),
)
FIGURES_BY_KEY = {figure.key: figure for figure in FIGURES}


# --- the query --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricsQuery:
    """Which loop figures: a period of days (both included), a unit subtree, a grouping.

    ``unit`` None is the whole organisation. ``group_by`` "unit" gives a row per child of
    the scope's unit (each with its subtree), "owner" a row per case owner.
    """

    organisation: Organisation
    start: date
    end: date
    unit: Unit | None = None
    group_by: str = "unit"


@dataclass(frozen=True)
class MetricsRow:
    key: str  # "unit:<id>", "owner:<id>" or "owner:none"
    label: str
    counts: LoopCounts
    unit: Unit | None = None
    owner: Membership | None = None


@dataclass(frozen=True)
class RootCause:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class LoopMetrics:
    query: MetricsQuery
    total: LoopCounts
    rows: list[MetricsRow]
    root_causes: list[RootCause]


def period_bounds(organisation: Organisation, start: date, end: date) -> tuple[datetime, datetime]:
    """Return the instants where the period's first day starts and the day after its last."""
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    return (
        datetime.combine(start, time(), tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time(), tzinfo=zone),
    )


def loop_metrics(query: MetricsQuery, *, now: datetime) -> LoopMetrics:
    """Return the loop figures of a period and scope, in total and per unit or owner."""
    if query.group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {GROUPINGS}")
    organisation = query.organisation
    units = list(Unit.objects.for_org(organisation).order_by("path"))
    scope_path = query.unit.path if query.unit is not None else ""
    in_scope = [unit for unit in units if unit.path.startswith(scope_path)]
    per_key = counts_by(
        organisation,
        query.start,
        query.end,
        now=now,
        group="unit_id" if query.group_by == "unit" else "owner_id",
        unit_path=scope_path,
    )
    total = sum(per_key.values(), LoopCounts())
    if query.group_by == "unit":
        rows = _unit_rows(query.unit, in_scope, per_key)
    else:
        rows = _owner_rows(organisation, per_key)
    return LoopMetrics(query, total, rows, root_causes(organisation, query, scope_path))


def cases_opened(
    organisation: Organisation,
    start: date,
    end: date,
    *,
    unit_path: str = "",
    channel: str = "",
    segment: str = "",
) -> QuerySet[Case]:
    """Return the cases a period counts: opened on its days, in a unit subtree and channel.

    A case's channel is that of the response that opened it ("" : every case); its
    segment is the value tier of that response's customer ("" : every case, those without
    a response or a customer included).
    """
    begins, ends = period_bounds(organisation, start, end)
    cases = Case.objects.filter(
        organisation=organisation, opened_at__gte=begins, opened_at__lt=ends
    ).order_by()
    if unit_path:
        cases = cases.filter(unit__path__startswith=unit_path)
    if channel:
        cases = cases.filter(response__channel=channel)
    if segment:
        cases = cases.filter(response__customer__value_tier=segment)
    return cases


def counts_by(
    organisation: Organisation,
    start: date,
    end: date,
    *,
    now: datetime,
    group: str,
    unit_path: str = "",
    channel: str = "",
    segment: str = "",
) -> dict[int | None, LoopCounts]:
    """Count the loop per ``group`` ("unit_id", "owner_id" or "unit__path") in four queries.

    This is the one place the figures are counted; the continuum's indicators and service
    plan and the digest call it too. ``channel`` keeps the cases and detractors of one
    channel, ``segment`` those whose response's customer has that value tier.
    """
    cases = cases_opened(
        organisation, start, end, unit_path=unit_path, channel=channel, segment=segment
    )
    found: dict[int | None, LoopCounts] = {}

    def counts_of(key: int | None) -> LoopCounts:
        return found.setdefault(key, LoopCounts())

    for row in _case_counts(cases, group, now):
        counts_of(row.pop(group)).add(**row)
    detractor_rows = _detractor_counts(
        organisation, start, end, group, (unit_path, channel, segment)
    )
    for key, detractors, followed in detractor_rows:
        counts_of(key).add(detractors=detractors, detractors_followed=followed)
    resurveys = (
        CaseEvent.objects.filter(case__in=cases, kind=EventKind.RESURVEY, solved__isnull=False)
        .values(f"case__{group}")
        .annotate(resurveyed=Count("pk"), resurvey_solved=Count("pk", filter=Q(solved=True)))
        .order_by()
    )
    for row in resurveys:
        counts_of(row.pop(f"case__{group}")).add(**row)
    return found


def _seconds(later: str, earlier) -> Sum:
    earlier = F(earlier) if isinstance(earlier, str) else earlier
    return Sum(ExpressionWrapper(F(later) - earlier, output_field=DurationField()))


def _case_counts(cases: QuerySet[Case], group: str, now: datetime) -> Iterable[dict]:
    done_at = Coalesce("resolved_at", "closed_at")
    feedback_at = Coalesce("response__received_at", "opened_at")
    rows = (
        cases.annotate(done_at=done_at)
        .values(group)
        .annotate(
            cases=Count("pk"),
            acted=Count("first_action_at"),
            first_action=_seconds("first_action_at", "opened_at"),
            done=Count("done_at"),
            resolution=_seconds("done_at", "opened_at"),
            decided=Count("pk", filter=Q(done_at__isnull=False) | Q(due_at__lt=now)),
            within_deadline=Count("pk", filter=Q(done_at__lte=F("due_at"))),
            seen=Count("first_seen_at"),
            front_line=_seconds("first_seen_at", feedback_at),
            feedback_cases=Count("response_id"),
            feedback_acted=Count(
                "pk", filter=Q(response__isnull=False, first_action_at__isnull=False)
            ),
        )
    )
    for row in rows:
        yield {
            group: row[group],
            "cases": row["cases"],
            "acted": row["acted"],
            "first_action_seconds": _total_seconds(row["first_action"]),
            "done": row["done"],
            "resolution_seconds": _total_seconds(row["resolution"]),
            "decided": row["decided"],
            "within_deadline": row["within_deadline"],
            "seen": row["seen"],
            "front_line_seconds": _total_seconds(row["front_line"]),
            "feedback_cases": row["feedback_cases"],
            "feedback_acted": row["feedback_acted"],
        }


def _total_seconds(value: timedelta | None) -> float:
    return value.total_seconds() if value is not None else 0.0


def headline_nps_questions(organisation: Organisation) -> set[tuple[int, str]]:
    """Return (version id, question key) of each version's first recommend question."""
    pairs = set()
    for pk, definition in SurveyVersion.objects.for_org(organisation).values_list(
        "pk", "definition"
    ):
        questions = SurveyDefinition.model_validate(definition).questions
        first = next((q for q in questions if q.type == QuestionType.NPS), None)
        if first is not None:
            pairs.add((pk, first.key))
    return pairs


def contact_events() -> Q:
    """Return the log entries that count as following a customer up: reached, or written to."""
    return Q(kind=EventKind.CALL, reached=True) | Q(kind=EventKind.REPLY)


def _detractor_counts(
    organisation: Organisation,
    start: date,
    end: date,
    group: str,
    where: tuple[str, str, str],
) -> Iterable[tuple[int | None, int, int]]:
    """Yield (unit or owner, detractors, followed up) for detractors who answered in the period.

    ``where`` is (unit path, channel, customer segment), each "" for every one. A detractor
    is followed up when a case opened for their response logged a contact. Per owner, a
    detractor belongs to the owner of that case (None: no case).
    """
    unit_path, channel, segment = where
    pairs = headline_nps_questions(organisation)
    if not pairs:
        return
    by_question = Q()
    for version_id, key in pairs:
        by_question |= Q(response__version_id=version_id, question_key=key)
    low = Answer.objects.filter(by_question, response=OuterRef("pk"), number__lte=DETRACTOR_AT_MOST)
    cases = Case.objects.filter(response=OuterRef("pk"))
    contacted = CaseEvent.objects.filter(contact_events(), case__response=OuterRef("pk"))
    responses = Response.objects.filter(
        Exists(low), organisation=organisation, local_date__gte=start, local_date__lte=end
    ).order_by()
    if unit_path:
        responses = responses.filter(unit__path__startswith=unit_path)
    if channel:
        responses = responses.filter(channel=channel)
    if segment:
        responses = responses.filter(customer__value_tier=segment)
    owner = Subquery(cases.order_by("pk").values("owner_id")[:1])
    key = owner if group == "owner_id" else F(group)
    rows = (
        responses.annotate(group_key=key, is_followed=Exists(contacted))
        .values("group_key")
        .annotate(n=Count("pk"), followed=Count("pk", filter=Q(is_followed=True)))
    )
    for row in rows:
        yield row["group_key"], row["n"], row["followed"]


def root_causes(organisation: Organisation, query: MetricsQuery, unit_path: str) -> list[RootCause]:
    """Return the root causes of the period's cases, most frequent first."""
    begins, ends = period_bounds(organisation, query.start, query.end)
    cases = Case.objects.filter(
        organisation=organisation,
        opened_at__gte=begins,
        opened_at__lt=ends,
        root_cause__isnull=False,
    )
    if unit_path:
        cases = cases.filter(unit__path__startswith=unit_path)
    rows = (
        cases.values("root_cause__key", "root_cause__label")
        .annotate(n=Count("pk"))
        .order_by("-n", "root_cause__label")
    )
    return [RootCause(row["root_cause__key"], row["root_cause__label"], row["n"]) for row in rows]


def _unit_rows(
    scope: Unit | None, units: list[Unit], per_unit: dict[int | None, LoopCounts]
) -> list[MetricsRow]:
    """Return a row per child of the scope (its subtree summed), and the scope's own cases."""
    if scope is None:
        roots = [unit for unit in units if unit.parent_id is None]
        scope = roots[0] if len(roots) == 1 else None
    if scope is None:
        children, own = [unit for unit in units if unit.parent_id is None], None
    else:
        children, own = [unit for unit in units if unit.parent_id == scope.pk], scope
    rows = []
    if own is not None and (own.pk in per_unit or not children):
        label = own.name if not children else _("%(unit)s itself") % {"unit": own.name}
        rows.append(
            MetricsRow(f"unit:{own.pk}", str(label), per_unit.get(own.pk, LoopCounts()), own)
        )
    for child in children:
        below = [unit.pk for unit in units if unit.path.startswith(child.path)]
        counts = sum((per_unit[pk] for pk in below if pk in per_unit), LoopCounts())
        rows.append(MetricsRow(f"unit:{child.pk}", child.name, counts, child))
    return rows


def _owner_rows(
    organisation: Organisation, per_owner: dict[int | None, LoopCounts]
) -> list[MetricsRow]:
    members = {
        member.pk: member
        for member in Membership.objects.for_org(organisation)
        .filter(pk__in=[pk for pk in per_owner if pk is not None])
        .select_related("user")
    }
    rows = [
        MetricsRow(f"owner:{pk}", members[pk].user.email, counts, owner=members[pk])
        for pk, counts in per_owner.items()
        if pk in members
    ]
    rows.sort(key=lambda row: row.label)
    if None in per_owner:
        rows.append(MetricsRow("owner:none", str(_("Nobody")), per_owner[None]))
    return rows


# --- presentation shared by the page, its CSV and the API ------------------------------------

DEFAULT_DAYS = 30
LONGEST_PERIOD_DAYS = 3 * 366


def default_period(organisation: Organisation, now: datetime) -> tuple[date, date]:
    """Return the last 30 days, today included, in the organisation's time zone."""
    today = now.astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()
    return today - timedelta(days=DEFAULT_DAYS - 1), today


def period_errors(start: date, end: date) -> list[tuple[str, str]]:
    """Return what is wrong with a period, as (field, message) pairs."""
    if start > end:
        return [("from", str(_("The first day must not be after the last.")))]
    if (end - start).days >= LONGEST_PERIOD_DAYS:
        return [("from", str(_("Choose at most three years.")))]
    return []


def figures_of(counts: LoopCounts) -> dict[str, float | None]:
    """Return every declared figure of ``counts`` by key (None: nothing to measure)."""
    return {figure.key: _rounded(figure.value(counts)) for figure in FIGURES}


def _rounded(value: float | None) -> float | None:
    return value if value is None or isinstance(value, int) else round(value, 2)


def metrics_as_dict(result: LoopMetrics) -> dict:
    """Return the figures as the API and the CSV speak them."""
    return {
        "from": result.query.start,
        "to": result.query.end,
        "unit": result.query.unit.pk if result.query.unit is not None else None,
        "group_by": result.query.group_by,
        "total": figures_of(result.total),
        "rows": [
            {
                "key": row.key,
                "label": row.label,
                "unit": row.unit.pk if row.unit is not None else None,
                "owner": row.owner.user.email if row.owner is not None else None,
                "figures": figures_of(row.counts),
            }
            for row in result.rows
        ],
        "root_causes": [cause.__dict__ for cause in result.root_causes],
    }


def csv_rows(result: LoopMetrics) -> Iterable[list[object]]:
    """Yield the CSV of the figures: a header, a row per unit or owner, the total last."""
    yield [str(_("Unit or owner")), *(str(figure.label) for figure in FIGURES)]
    body = metrics_as_dict(result)
    for row in body["rows"]:
        yield [row["label"], *_blank(row["figures"])]
    yield [str(_("Total")), *_blank(body["total"])]


def _blank(figures: dict[str, float | None]) -> list[object]:
    return ["" if figures[figure.key] is None else figures[figure.key] for figure in FIGURES]
