"""Every metric of a survey in two periods or two segments, with the difference and its test.

The comparison view, the results page's "change against the previous period" and
``GET /api/v1/metrics?compare_from=…`` all read this module. Each side is a histogram per
question from the metric engine (``histograms.answer_counts``, rollups plus the tail), so
comparing two years of a survey costs two grouped reads. Each metric gets the test that
fits it (``significance.compare_metric``); a side under the organisation's minimum sample
is shown but never tested, and the p-values are adjusted over all rows of the page.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from heedback.insights import histograms, selectors, significance
from heedback.insights.histograms import Counts
from heedback.insights.metrics import METRICS, MetricSpec, MetricValue
from heedback.insights.selectors import NUMERIC_TYPES, survey_questions
from heedback.surveys.definition import Question
from heedback.surveys.models import Survey

EMPTY = Counts()


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a period and optionally a unit subtree or a channel."""

    date_from: date | None
    date_to: date | None
    unit_path: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class MetricComparison:
    """One row: a metric of a question on both sides, first minus second, and the test."""

    question: Question
    metric: MetricSpec
    first: MetricValue
    second: MetricValue
    comparison: significance.Comparison | None
    adjusted_p_value: float | None = None

    @property
    def is_significant(self) -> bool:
        return self.adjusted_p_value is not None and self.adjusted_p_value < significance.ALPHA

    @property
    def direction(self) -> str:
        if not self.is_significant:
            return ""
        return "up" if self.comparison.difference > 0 else "down"


def previous_period(date_from: date, date_to: date) -> tuple[date, date]:
    """Return the period of the same length that ends the day before ``date_from``."""
    length = (date_to - date_from).days + 1
    return date_from - timedelta(days=length), date_from - timedelta(days=1)


def side_counts(
    survey: Survey, side: Side, keys: list[str], visible_unit_paths: tuple[str, ...] | None
) -> dict[str, Counts]:
    """Return ``{question_key: Counts}`` of one side (one grouped read)."""
    scope = histograms.Scope(
        organisation_id=survey.organisation_id,
        survey_id=survey.pk,
        unit_path=side.unit_path,
        visible_unit_paths=visible_unit_paths,
        date_from=side.date_from,
        date_to=side.date_to,
    )
    if side.channel is None:
        return histograms.answer_counts(scope, keys, "none").get(None, {})
    return histograms.answer_counts(scope, keys, "channel").get(side.channel, {})


def compare_sides(
    survey: Survey,
    first: Side,
    second: Side,
    *,
    minimum_sample: int,
    correction: str = "bh",
    visible_unit_paths: tuple[str, ...] | None = None,
    questions: list[Question] | None = None,
    metric_keys: frozenset[str] | None = None,
) -> list[MetricComparison]:
    """Return every metric of every numeric question on both sides, in survey order.

    ``questions`` and ``metric_keys`` narrow the rows; the correction runs over the rows
    returned, which are the rows a page shows.
    """
    questions = [
        question
        for question in (questions if questions is not None else survey_questions(survey))
        if question.type in NUMERIC_TYPES
    ]
    keys = [question.key for question in questions]
    if not keys:
        return []
    first_counts = side_counts(survey, first, keys, visible_unit_paths)
    second_counts = side_counts(survey, second, keys, visible_unit_paths)
    rows = []
    for question in questions:
        rows.extend(
            compare_question(
                question,
                first_counts.get(question.key, EMPTY).histogram,
                second_counts.get(question.key, EMPTY).histogram,
                minimum_sample,
            )
        )
    if metric_keys is not None:
        rows = [row for row in rows if row.metric.key in metric_keys]
    return adjust_rows(rows, correction)


def compare_question(
    question: Question, first: dict, second: dict, minimum_sample: int
) -> list[MetricComparison]:
    """Return one row per metric that fits the question, tested when both sides are large."""
    scale = question.effective_scale()
    scale_max = scale.max if scale else 1
    rows = []
    for spec in METRICS.values():
        if question.type not in spec.question_types or spec.key == "count":
            continue
        value_first = spec.compute(first, scale_max)
        value_second = spec.compute(second, scale_max)
        test = None
        if min(value_first.n, value_second.n) >= max(minimum_sample, 1):
            test = significance.compare_metric(spec.key, first, second, scale_max)
        rows.append(MetricComparison(question, spec, value_first, value_second, test))
    return rows


def adjust_rows(rows: list[MetricComparison], correction: str) -> list[MetricComparison]:
    """Set each tested row's p-value adjusted over all tested rows."""
    tested = [index for index, row in enumerate(rows) if row.comparison is not None]
    adjusted = significance.adjust([rows[index].comparison.p_value for index in tested], correction)
    result = list(rows)
    for index, p_value in zip(tested, adjusted, strict=True):
        result[index] = replace(rows[index], adjusted_p_value=p_value)
    return result


@dataclass(frozen=True)
class GroupComparison:
    """One group of a metric query in the comparison period, and the test against it."""

    group: object
    value: MetricValue
    comparison: significance.Comparison | None
    adjusted_p_value: float | None = None

    @property
    def is_significant(self) -> bool:
        return self.adjusted_p_value is not None and self.adjusted_p_value < significance.ALPHA


def compare_query(
    query: selectors.MetricQuery,
    compare_from: date | None,
    compare_to: date | None,
    *,
    minimum_sample: int,
    correction: str = "bh",
) -> dict[object, GroupComparison]:
    """Return, per group of ``query``, the metric in another period and the test against it.

    Groups are matched by key (a unit, a channel, or "all"), so grouping by time makes no
    sense here and is refused by the caller. A group is tested only when both periods
    hold at least ``minimum_sample`` answers; the p-values are adjusted over the groups.
    """
    spec, question = selectors.resolve_question(query)
    scale = question.effective_scale() if question is not None else None
    scale_max = scale.max if scale else 1
    current = selectors.histograms_by_group(query, question)
    other = selectors.histograms_by_group(
        replace(query, date_from=compare_from, date_to=compare_to), question
    )
    groups = sorted(set(current) | set(other), key=lambda group: str(group))
    if not groups and query.group_by == "none":
        groups = [None]
    found = {}
    for group in groups:
        first, second = current.get(group, {}), other.get(group, {})
        value = spec.compute(second, scale_max)
        if spec.key == "count":
            value = MetricValue(float(second.get(1, 0)), second.get(1, 0), None, None)
        test = None
        n_first, n_second = sum(first.values()), sum(second.values())
        if spec.key != "count" and min(n_first, n_second) >= max(minimum_sample, 1):
            test = significance.compare_metric(spec.key, first, second, scale_max)
        found[group] = GroupComparison(group, value, test)
    tested = [group for group, row in found.items() if row.comparison is not None]
    adjusted = significance.adjust([found[g].comparison.p_value for g in tested], correction)
    for group, p_value in zip(tested, adjusted, strict=True):
        found[group] = replace(found[group], adjusted_p_value=p_value)
    return found
