"""Read answer histograms per group: the rollups, plus the responses they do not hold yet.

This is the query layer under ``selectors.compute_metric`` and ``summarise_survey``. A read
sums rollup rows — the organisation-wide ones unless it is narrowed to units or broken down
by unit; whole months, then whole weeks inside a month, then days (``split_period``) — and
adds the *tail*: the responses the rollups do not count yet, read from the raw rows. The
tail is what arrived since the worker's last run (a few seconds' worth), anything the ledger
does not list above the watermark, and the not-yet-recounted range of a running rebuild.
With it every figure is exact and current even when the worker lags or is stopped; without
a worker the tail is every response, which is correct and merely as slow as a GROUP BY.

Rollups and tail are read by **one** SQL statement (``UNION ALL``), so they come from one
snapshot: a refresh committing between two statements would otherwise move responses
from the tail into the rollups unseen, or count them twice.

Rows come back per raw group (a day, a month start, a unit id, a channel) and are folded
into the asked grouping (week, month, quarter) here, by adding histograms.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from heedback.collect.models import Response
from heedback.insights import read_cache
from heedback.insights.models import (
    HISTOGRAM_VALUES,
    RESPONSES_KEY,
    AnswerRollup,
    CountedResponse,
    Grain,
    OptionRollup,
    OrganisationRollup,
    RollupRebuild,
    RollupState,
)
from heedback.insights.services import STATE_ID
from heedback.orgs.models import Unit

TIME_GROUPINGS = ("day", "week", "month", "quarter")
GROUPINGS = ("none", "unit", "channel", *TIME_GROUPINGS)
_HISTOGRAM = [f"answers_{value}" for value in HISTOGRAM_VALUES]


@dataclass(frozen=True)
class Scope:
    """Which responses a read covers: one survey, unit subtrees and a period of local days."""

    organisation_id: int
    survey_id: int
    unit_path: str | None = None
    # Subtrees the reader may see; None means the whole organisation.
    visible_unit_paths: tuple[str, ...] | None = None
    date_from: date | None = None
    date_to: date | None = None
    channel: str | None = None


def widened(scope: Scope) -> Scope:
    """Return the scope without its unit when the unit is the organisation's only root.

    Dashboards name the reader's top unit, which for most readers is the root: its subtree
    is the whole organisation, so the organisation-wide rollups (one row per day, not one
    per unit and day) answer it exactly, and some hundred times faster.
    """
    if scope.unit_path is None or len(scope.unit_path) != Unit.PATH_STEP:
        return scope
    roots = Unit.objects.filter(organisation_id=scope.organisation_id, parent__isnull=True)
    if roots.exclude(path=scope.unit_path).exists():
        return scope
    return replace(scope, unit_path=None)


@dataclass
class Counts:
    """How many answered a question in a group, and how many gave each numeric value."""

    answers: int = 0
    histogram: dict[int, int] = field(default_factory=dict)

    def add(self, answers: int, histogram: Iterable[int]) -> None:
        self.answers += answers
        for value, count in zip(HISTOGRAM_VALUES, histogram, strict=True):
            if count:
                self.histogram[value] = self.histogram.get(value, 0) + count


def answer_counts(
    scope: Scope, question_keys: list[str], group_by: str
) -> dict[object, dict[str, Counts]]:
    """Return ``{group: {question_key: Counts}}`` for the questions (``""``: responses).

    Remembered while the organisation's responses stay the same (``read_cache``).
    """
    keys = tuple(question_keys)
    # Keyed by the scope as asked: widening changes how the figures are read, not what
    # they are (a new root unit holds no responses until one arrives, changing the state).
    return read_cache.remembered(
        "counts",
        scope.organisation_id,
        (scope, keys, group_by),
        lambda: _read_answer_counts(scope, list(keys), group_by),
    )


def _read_answer_counts(
    scope: Scope, question_keys: list[str], group_by: str
) -> dict[object, dict[str, Counts]]:
    if group_by != "unit":  # by unit reads the unit rows anyway
        scope = widened(scope)
    by_unit = group_by == "unit" or scope.unit_path is not None
    model = AnswerRollup if by_unit or scope.visible_unit_paths is not None else OrganisationRollup
    branches = [
        rows.values(raw_group=_rollup_group(group_by), key=F("question_key"))
        .annotate(total=Sum("answers"), **{column: Sum(column) for column in _HISTOGRAM})
        .order_by()
        for rows in rollup_rows(model, scope, group_by, question_keys)
    ]
    answer_keys = [key for key in question_keys if key != RESPONSES_KEY]
    if answer_keys:
        branches.extend(_answer_tail(scope, group_by, answer_keys))
    if RESPONSES_KEY in question_keys:
        branches.extend(_response_tail(scope, group_by))
    return add_up(read_union(branches, COUNT_COLUMNS), group_by)


#: The columns of a counted row: rollup rows, tail rows and raw cuts alike.
COUNT_COLUMNS = ["raw_group", "key", "total", *_HISTOGRAM]


def add_up(rows: Iterable[tuple], group_by: str) -> dict[object, dict[str, Counts]]:
    """Fold counted rows into ``{group: {question_key: Counts}}`` for the grouping."""
    result: dict[object, dict[str, Counts]] = defaultdict(lambda: defaultdict(Counts))
    for raw_group, key, total, *histogram in rows:
        result[fold(raw_group, group_by)][key].add(total, histogram)
    # Plain dicts: what the cache keeps, and no reader creates an empty group by asking.
    return {group: dict(by_key) for group, by_key in result.items()}


def option_counts(scope: Scope, question_keys: list[str]) -> dict[str, dict[str, int]]:
    """Return ``{question_key: {option: times chosen}}`` over the whole scope."""
    if not question_keys:
        return {}
    branches = [
        rows.values("option", key=F("question_key"))
        .annotate(chosen=Sum("answers"), raw=Value(False))
        .order_by()
        for rows in rollup_rows(OptionRollup, scope, "none", question_keys)
    ]
    branches.extend(_option_tail(scope, question_keys))
    return add_up_options(read_union(branches, OPTION_COLUMNS))


OPTION_COLUMNS = ["key", "option", "chosen", "raw"]


def add_up_options(rows: Iterable[tuple]) -> dict[str, dict[str, int]]:
    """Fold option rows (rollup rows, or raw lists of chosen options) into counts."""
    result: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, option, chosen, raw in rows:
        for picked in _json_list(option) if raw else [option]:
            result[key][picked] += chosen
    return result


@dataclass(frozen=True)
class Pieces:
    """A period cut into the rollup rows that cover it, each day exactly once.

    ``months``: month rows with ``start <= period_start < stop`` (None is open), or no
    month rows at all. ``weeks``: week rows whose Monday lies in each inclusive range.
    ``days``: day rows in each inclusive range.
    """

    months: tuple[date | None, date | None] | None
    weeks: list[tuple[date | None, date | None]]
    days: list[tuple[date | None, date | None]]


def split_period(date_from: date | None, date_to: date | None, group_by: str) -> Pieces:
    """Cover a period with as few rollup rows as possible: whole months, weeks, then days.

    A week row is used only inside one month (except when grouping by week), so that
    folding it into its month or quarter stays exact; grouping by day reads day rows.
    """
    if group_by == "day":
        return Pieces(None, [], [(date_from, date_to)])
    if group_by == "week":
        weeks, days = _whole_weeks(date_from, date_to)
        return Pieces(None, weeks, days)
    start = date_from if date_from is None or date_from.day == 1 else _next_month(date_from)
    stop = None if date_to is None else (date_to + timedelta(days=1)).replace(day=1)
    if start is not None and stop is not None and start >= stop:
        months, edges = None, _month_parts(date_from, date_to)
    else:
        months, edges = (start, stop), []
        if date_from is not None and start is not None and date_from < start:
            edges.append((date_from, start - timedelta(days=1)))
        if date_to is not None and stop is not None and stop <= date_to:
            edges.append((stop, date_to))
    pieces = Pieces(months, [], [])
    for first, last in edges:
        weeks, days = _whole_weeks(first, last)
        pieces.weeks.extend(weeks)
        pieces.days.extend(days)
    return pieces


def _month_parts(first: date, last: date) -> list[tuple[date, date]]:
    """Cut a period holding no whole month at its month boundaries (at most two parts)."""
    boundary = _next_month(first)
    if boundary > last:
        return [(first, last)]
    return [(first, boundary - timedelta(days=1)), (boundary, last)]


def _whole_weeks(
    first: date | None, last: date | None
) -> tuple[list[tuple[date | None, date | None]], list[tuple[date | None, date | None]]]:
    """Return the Mondays of the whole weeks inside [first, last], and the days left over."""
    monday = None if first is None else first + timedelta(days=(7 - first.weekday()) % 7)
    sunday = None if last is None else last - timedelta(days=(last.weekday() + 1) % 7)
    if monday is not None and sunday is not None and monday > sunday:
        return [], [(first, last)]
    last_monday = None if sunday is None else sunday - timedelta(days=6)
    days = []
    if first is not None and monday is not None and first < monday:
        days.append((first, monday - timedelta(days=1)))
    if last is not None and sunday is not None and sunday < last:
        days.append((sunday + timedelta(days=1), last))
    return [(monday, last_monday)], days


def fold(raw_group: object, group_by: str) -> object:
    """Return the group a raw row belongs to: its week's Monday, month, quarter, or itself."""
    if group_by == "none":
        return None
    if group_by not in TIME_GROUPINGS or raw_group is None:
        return raw_group
    day = raw_group if isinstance(raw_group, date) else date.fromisoformat(str(raw_group))
    if group_by == "week":
        return day - timedelta(days=day.weekday())
    if group_by == "month":
        return day.replace(day=1)
    if group_by == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return day


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def rollup_rows(model, scope: Scope, group_by: str, question_keys: list[str]) -> list[QuerySet]:
    """Return the querysets of rollup rows covering the scope: month rows, then day rows."""
    rows = model.objects.filter(
        organisation_id=scope.organisation_id,
        survey_id=scope.survey_id,
        question_key__in=question_keys,
    ).filter(_unit_filter(scope, "unit__path"))
    if scope.channel is not None:
        rows = rows.filter(channel=scope.channel)
    pieces = split_period(scope.date_from, scope.date_to, group_by)
    querysets = []
    if pieces.months is not None:
        start, stop = pieces.months
        month_rows = rows.filter(grain=Grain.MONTH)
        if start is not None:
            month_rows = month_rows.filter(period_start__gte=start)
        if stop is not None:
            month_rows = month_rows.filter(period_start__lt=stop)
        querysets.append(month_rows)
    # One queryset per range: an OR of ranges would keep the index from bounding the scan.
    for grain, ranges in ((Grain.WEEK, pieces.weeks), (Grain.DAY, pieces.days)):
        for first, last in ranges:
            querysets.append(rows.filter(_between("period_start", first, last), grain=grain))
    return querysets


def _between(field_name: str, first: date | None, last: date | None) -> Q:
    condition = Q()
    if first is not None:
        condition &= Q(**{f"{field_name}__gte": first})
    if last is not None:
        condition &= Q(**{f"{field_name}__lte": last})
    return condition


def _unit_filter(scope: Scope, path_field: str) -> Q:
    condition = Q()
    if scope.unit_path is not None:
        condition &= Q(**{f"{path_field}__startswith": scope.unit_path})
    if scope.visible_unit_paths is not None:
        visible = Q(pk__in=[])
        for path in scope.visible_unit_paths:
            visible |= Q(**{f"{path_field}__startswith": path})
        condition &= visible
    return condition


def _rollup_group(group_by: str) -> F:
    return F(_GROUP_FIELDS.get(group_by, "period_start"))


_GROUP_FIELDS = {"none": "survey_id", "unit": "unit_id", "channel": "channel"}


def response_group(group_by: str) -> F:
    """Return the response field a raw row is grouped by (a day for the time groupings)."""
    return F(_GROUP_FIELDS.get(group_by, "local_date"))


def tail_conditions(organisation_id: int) -> list[Q]:
    """Return the conditions on a response for "the rollups do not count it yet".

    Two disjoint parts, read as two branches: above the watermark and not in the ledger;
    inside the range a running rebuild has not recounted yet. Every bound is a subquery of
    the same statement, so it describes the very snapshot the rollup rows are read from.
    """
    return [part.responses for part in _tail_parts(organisation_id)]


@dataclass(frozen=True)
class _TailPart:
    """One part of the tail: the condition on responses, and the same bounds on answers.

    The answers' bounds only repeat what the responses imply; they let the planner reach
    the answers through their index by a short range, rather than hash every answer to a
    question (which PostgreSQL prefers from a few thousand tail responses on).
    """

    responses: Q
    answers: Q


def _tail_parts(organisation_id: int) -> list[_TailPart]:
    # The watermark also comes as a constant read just before: it can only be lower than
    # the one the statement sees, so it changes nothing but the planner's estimate.
    hint = _watermark_hint()
    watermark = RollupState.objects.filter(pk=STATE_ID).values("watermark")[:1]
    listed = CountedResponse.objects.filter(response_id=OuterRef("pk"))
    rebuild = RollupRebuild.objects.filter(organisation_id=organisation_id)
    done, upto = Subquery(rebuild.values("done_id")[:1]), Subquery(rebuild.values("upto_id")[:1])
    return [
        _TailPart(
            Q(pk__gt=hint) & Q(pk__gt=Coalesce(Subquery(watermark), Value(0))) & ~Exists(listed),
            Q(answers__response_id__gt=hint),
        ),
        _TailPart(
            Q(pk__gt=done, pk__lte=upto),
            Q(answers__response_id__gt=done, answers__response_id__lte=upto),
        ),
    ]


def _watermark_hint() -> int:
    known = read_cache.known_watermark()
    if known is not None:
        return known
    return RollupState.objects.filter(pk=STATE_ID).values_list("watermark", flat=True).first() or 0


def scope_responses(scope: Scope) -> QuerySet[Response]:
    """Return every response of the scope, as raw rows (the tail and raw cuts narrow it)."""
    responses = Response.objects.filter(
        _unit_filter(scope, "unit__path"),
        _between("local_date", scope.date_from, scope.date_to),
        organisation_id=scope.organisation_id,
        survey_id=scope.survey_id,
    )
    if scope.channel is not None:
        responses = responses.filter(channel=scope.channel)
    return responses


def tail_responses(scope: Scope) -> list[tuple[QuerySet[Response], Q]]:
    """Return the scope's responses not rolled up yet, per tail part, with its answer bounds."""
    responses = scope_responses(scope)
    return [
        (responses.filter(part.responses), part.answers)
        for part in _tail_parts(scope.organisation_id)
    ]


def _answer_tail(scope: Scope, group_by: str, question_keys: list[str]) -> list[QuerySet]:
    """Count the tail's answers per group and question, joined from the responses.

    The join starts from the (few) tail responses and reaches their answers through the
    answers' index, never through the answers of everyone. (The answer conditions sit in
    one ``filter`` call, so that they constrain the same join.)
    """
    return [
        count_answers(responses, response_group(group_by), question_keys, bounds)
        for responses, bounds in tail_responses(scope)
    ]


def count_answers(
    responses: QuerySet[Response], raw_group, question_keys: list[str], bounds: Q | None = None
) -> QuerySet:
    """Return the answers of ``responses`` counted per raw group, question and value.

    The rows have the columns of a rollup read (``COUNT_COLUMNS``), so that raw rows and
    rollup rows add up in one statement.
    """
    histogram = {
        column: Count("answers__id", filter=Q(answers__number=value))
        for column, value in zip(_HISTOGRAM, HISTOGRAM_VALUES, strict=True)
    }
    return (
        responses.filter((bounds or Q()) & Q(answers__question_key__in=question_keys))
        .values(raw_group=raw_group, key=F("answers__question_key"))
        .annotate(total=Count("answers__id"), **histogram)
        .order_by()
    )


def count_responses(responses: QuerySet[Response], raw_group) -> QuerySet:
    """Return ``responses`` counted per raw group, as rows of the responses key."""
    zeros = {column: Value(0, output_field=IntegerField()) for column in _HISTOGRAM}
    return (
        responses.values(raw_group=raw_group, key=Value(RESPONSES_KEY, output_field=TextField()))
        .annotate(total=Count("id"), **zeros)
        .order_by()
    )


def _response_tail(scope: Scope, group_by: str) -> list[QuerySet]:
    return [
        count_responses(responses, response_group(group_by))
        for responses, _bounds in tail_responses(scope)
    ]


def _option_tail(scope: Scope, question_keys: list[str]) -> list[QuerySet]:
    # Each distinct list of chosen options (JSON text) with how many chose it; the few
    # lists are unpacked in Python, which needs no per-database JSON functions.
    return [
        count_options(responses, question_keys, bounds)
        for responses, bounds in tail_responses(scope)
    ]


def count_options(
    responses: QuerySet[Response], question_keys: list[str], bounds: Q | None = None
) -> QuerySet:
    """Return each distinct list of chosen options of ``responses`` with how many chose it."""
    chosen = Q(answers__choices__isnull=False)
    return (
        responses.filter((bounds or Q()) & chosen & Q(answers__question_key__in=question_keys))
        .values(key=F("answers__question_key"), option=Cast("answers__choices", TextField()))
        .annotate(chosen=Count("answers__id"), raw=Value(True))
        .order_by()
    )


def union_query(branches: list[QuerySet], columns: list[str]) -> QuerySet:
    """Return the branches as one ``UNION ALL`` statement of the columns."""
    first, *others = [branch.values_list(*columns) for branch in branches]
    return first.union(*others, all=True) if others else first


def read_union(branches: list[QuerySet], columns: list[str]) -> list[tuple]:
    """Run the branches as one ``UNION ALL`` statement and return its rows."""
    query = union_query(branches, columns)
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return list(query)  # inside a caller's transaction, its settings apply
    with transaction.atomic(), connection.cursor() as cursor:
        # Every branch reads few rows: starting parallel workers would cost more than the
        # read (PostgreSQL plans them for the rebuild branch, whose bounds it cannot see).
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        return list(query)


def _json_list(text: str) -> list[str]:
    value = json.loads(text) if isinstance(text, str) else text
    return [str(item) for item in value] if isinstance(value, list) else []
