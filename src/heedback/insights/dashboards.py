"""What the organisation overview and the unit page show, read in a fixed number of queries.

Headline NPS and CSAT with their change against the previous period (tested, adjusted),
their trend with intervals, the volume of responses and the domain heatmap: all from the
metric engine (rollups plus the tail), so the page costs the same at a thousand responses
as at ten million. Comments are the one raw read, capped, and come from the page module
(the ``text`` app's urgency flags).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from heedback.insights import comparisons, selectors
from heedback.insights.change_marks import change_mark
from heedback.insights.metrics import MetricSpec, MetricValue
from heedback.insights.scorecards import Scorecard, ScorecardQuery, build_scorecard
from heedback.orgs.models import Organisation, Unit
from heedback.surveys.definition import Question, QuestionType
from heedback.surveys.models import Survey

#: Periods up to this many days are drawn by week, longer ones by month.
WEEKLY_UP_TO_DAYS = 92
HEADLINE_METRICS = (("nps", QuestionType.NPS), ("csat", QuestionType.RATING))


@dataclass(frozen=True)
class OverviewQuery:
    organisation: Organisation
    survey: Survey
    unit: Unit
    date_from: date
    date_to: date
    correction: str = "bh"
    visible_unit_paths: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Headline:
    """A big number: the metric now, its interval and n, and its change (a change mark)."""

    metric: MetricSpec
    question: Question
    value: MetricValue
    previous: MetricValue
    change: dict


@dataclass(frozen=True)
class Trend:
    metric: MetricSpec
    question: Question | None
    rows: list[selectors.MetricRow]


@dataclass(frozen=True)
class Overview:
    query: OverviewQuery
    grouping: str
    headlines: list[Headline]
    trends: list[Trend]
    volume: Trend
    scorecard: Scorecard


def grouping_for(date_from: date, date_to: date) -> str:
    """Return "week" for a short period and "month" for a long one."""
    return "week" if (date_to - date_from).days < WEEKLY_UP_TO_DAYS else "month"


def headline_questions(survey: Survey) -> list[tuple[str, Question]]:
    """Return the first NPS question and the first rating (CSAT) of the survey."""
    questions = selectors.survey_questions(survey)
    found = []
    for metric, question_type in HEADLINE_METRICS:
        question = next((q for q in questions if q.type == question_type), None)
        if question is not None:
            found.append((metric, question))
    return found


def build_overview(query: OverviewQuery) -> Overview:
    """Return the overview of a survey for a unit subtree and a period."""
    minimum = query.organisation.minimum_sample
    chosen = headline_questions(query.survey)
    first = comparisons.Side(query.date_from, query.date_to, query.unit.path)
    second = comparisons.Side(
        *comparisons.previous_period(query.date_from, query.date_to), query.unit.path
    )
    rows = comparisons.compare_sides(
        query.survey,
        first,
        second,
        minimum_sample=minimum,
        correction=query.correction,
        visible_unit_paths=query.visible_unit_paths,
        questions=[question for _metric, question in chosen],
        metric_keys=frozenset(metric for metric, _question in chosen),
    )
    headlines = [
        Headline(row.metric, row.question, row.first, row.second, change_mark(row, minimum))
        for row in rows
    ]
    grouping = grouping_for(query.date_from, query.date_to)
    trends = [_trend(query, metric, question.key, grouping) for metric, question in chosen]
    return Overview(
        query,
        grouping,
        headlines,
        trends,
        _trend(query, "count", None, grouping),
        build_scorecard(
            ScorecardQuery(
                query.organisation,
                query.survey,
                query.date_from,
                query.date_to,
                query.unit,
                query.correction,
            )
        ),
    )


def _trend(query: OverviewQuery, metric: str, question_key: str | None, grouping: str) -> Trend:
    result = selectors.compute_metric(
        selectors.MetricQuery(
            organisation=query.organisation,
            survey=query.survey,
            metric=metric,
            question_key=question_key,
            group_by=grouping,
            unit=query.unit,
            date_from=query.date_from,
            date_to=query.date_to,
            visible_unit_paths=query.visible_unit_paths,
        )
    )
    return Trend(result.metric, result.question, result.rows)
