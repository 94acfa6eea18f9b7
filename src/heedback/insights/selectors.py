"""Read metrics: one query object in, typed rows with value, n and interval out.

Every surface — the results page, ``GET /api/v1/metrics`` and later the exports and
digests — calls ``compute_metric``, so a number is computed one way everywhere. Metrics
are computed from value histograms grouped inside the database (never from a list of
raw rows in Python), which is also the shape the additive rollups will have.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils.translation import gettext as _

from heedback.collect.choices import Channel
from heedback.collect.models import Answer, Response
from heedback.core.errors import InvalidInput
from heedback.insights.metrics import METRICS, MetricSpec, MetricValue
from heedback.orgs.models import Organisation, Unit
from heedback.surveys.definition import Question, QuestionType, SurveyDefinition
from heedback.surveys.models import Survey

GROUPINGS = ("none", "unit", "month", "week", "day", "channel")
NUMERIC_TYPES = {QuestionType.NPS, QuestionType.RATING, QuestionType.CES, QuestionType.YES_NO}
_TRUNCATIONS = {"month": TruncMonth, "week": TruncWeek, "day": TruncDay}


@dataclass(frozen=True)
class MetricQuery:
    """What to compute: a metric of one survey question, filtered and cut one way."""

    organisation: Organisation
    survey: Survey
    metric: str
    question_key: str | None = None
    group_by: str = "none"
    unit: Unit | None = None
    date_from: date | None = None
    date_to: date | None = None
    # Subtrees the reader may see (managers, front-line); None means the whole organisation.
    visible_unit_paths: tuple[str, ...] | None = None


@dataclass(frozen=True)
class MetricRow:
    group: str | None
    label: str
    value: float | None
    n: int
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class MetricResult:
    metric: MetricSpec
    question: Question | None
    rows: list[MetricRow]


def survey_questions(survey: Survey) -> list[Question]:
    """Return the questions of the published version (or the draft before publishing)."""
    version = survey.published_version or survey.versions.order_by("-number").first()
    return list(version.parsed().questions) if version else []


def responses_in_scope(query: MetricQuery) -> QuerySet[Response]:
    """Return the survey's responses that match the query's unit, period and visibility."""
    responses = Response.objects.filter(organisation=query.organisation, survey=query.survey)
    if query.unit is not None:
        responses = responses.filter(unit__path__startswith=query.unit.path)
    if query.visible_unit_paths is not None:
        visible = Q(pk__in=[])
        for path in query.visible_unit_paths:
            visible |= Q(unit__path__startswith=path)
        responses = responses.filter(visible)
    zone = zoneinfo.ZoneInfo(query.organisation.time_zone)
    if query.date_from is not None:
        responses = responses.filter(
            submitted_at__gte=datetime.combine(query.date_from, time.min, zone)
        )
    if query.date_to is not None:
        end = datetime.combine(query.date_to + timedelta(days=1), time.min, zone)
        responses = responses.filter(submitted_at__lt=end)
    return responses


def resolve_question(query: MetricQuery) -> tuple[MetricSpec, Question | None]:
    """Check the metric fits the question; with no question named, take the first that fits."""
    spec = METRICS.get(query.metric)
    if spec is None:
        raise InvalidInput.from_pairs(
            _("Unknown metric."), [("metric", _("Choose one of: %s.") % ", ".join(METRICS))]
        )
    if query.group_by not in GROUPINGS:
        raise InvalidInput.from_pairs(
            _("Unknown grouping."), [("group_by", _("Choose one of: %s.") % ", ".join(GROUPINGS))]
        )
    questions = survey_questions(query.survey)
    if query.question_key is None:
        if query.metric == "count":
            return spec, None
        fitting = [question for question in questions if question.type in spec.question_types]
        if not fitting:
            raise InvalidInput.from_pairs(
                _("The survey has no question for this metric."),
                [("metric", _("No question of type %s.") % ", ".join(sorted(spec.question_types)))],
            )
        return spec, fitting[0]
    question = next(
        (question for question in questions if question.key == query.question_key), None
    )
    if question is None:
        raise InvalidInput.from_pairs(
            _("Unknown question."), [("question", _("The survey has no question with this key."))]
        )
    if question.type not in spec.question_types:
        raise InvalidInput.from_pairs(
            _("The metric does not fit the question."),
            [
                (
                    "metric",
                    _("%(metric)s needs a question of type %(types)s, not %(type)s.")
                    % {
                        "metric": spec.key,
                        "types": ", ".join(sorted(spec.question_types)),
                        "type": question.type,
                    },
                )
            ],
        )
    return spec, question


def compute_metric(query: MetricQuery) -> MetricResult:
    """Return the metric for each group of the query, groups in natural order."""
    spec, question = resolve_question(query)
    responses = responses_in_scope(query)
    group_field = _group_expression(query)
    if question is None:
        rows = (
            responses.values(group=group_field)
            .annotate(count=Count("id"))
            .values_list("group", "count")
        )
        histograms = {group: {1: count} for group, count in rows}
        scale_max = 1
    else:
        answers = Answer.objects.filter(response__in=responses, question_key=question.key)
        answers = answers.annotate(group=_prefix(group_field, "response__"))
        histograms = _histograms(answers, question)
        scale = question.effective_scale()
        scale_max = scale.max if scale else 1
    labels = _labels(query, histograms.keys())
    rows = []
    for group in sorted(histograms, key=_sort_key):
        histogram = histograms[group]
        value: MetricValue = spec.compute(histogram, scale_max)
        if question is None:
            value = MetricValue(
                value=float(histogram[1]), n=histogram[1], ci_low=None, ci_high=None
            )
        key = None if query.group_by == "none" else _group_key(group)
        rows.append(
            MetricRow(
                key,
                labels.get(group, str(key or _("All"))),
                value.value,
                value.n,
                value.ci_low,
                value.ci_high,
            )
        )
    if not rows and query.group_by == "none":
        empty = spec.compute({}, scale_max)
        rows.append(MetricRow(None, _("All"), empty.value, 0, empty.ci_low, empty.ci_high))
    return MetricResult(spec, question, rows)


def _histograms(answers: QuerySet[Answer], question: Question) -> dict[object, dict[int, int]]:
    histograms: dict[object, dict[int, int]] = defaultdict(dict)
    if question.type in NUMERIC_TYPES:
        counted = (
            answers.filter(number__isnull=False)
            .values("group", "number")
            .annotate(count=Count("id"))
        )
        for row in counted.values_list("group", "number", "count"):
            histograms[row[0]][row[1]] = row[2]
    else:
        # Choice and text answers have no value to average: count answers only.
        for group, count in (
            answers.values("group").annotate(count=Count("id")).values_list("group", "count")
        ):
            histograms[group][1] = count
    return histograms


def _group_expression(query: MetricQuery):
    if query.group_by == "none":
        return F("survey_id")
    if query.group_by == "unit":
        return F("unit_id")
    if query.group_by == "channel":
        return F("channel")
    zone = zoneinfo.ZoneInfo(query.organisation.time_zone)
    return _TRUNCATIONS[query.group_by]("submitted_at", tzinfo=zone)


def _prefix(expression, prefix: str):
    if isinstance(expression, F):
        return F(prefix + expression.name)
    truncation = type(expression)
    return truncation(prefix + "submitted_at", tzinfo=expression.tzinfo)


def _group_key(group: object) -> str:
    if isinstance(group, datetime):
        return group.date().isoformat()
    return str(group)


def _sort_key(group: object) -> tuple:
    return (str(type(group)), group if group is not None else "")


def _labels(query: MetricQuery, groups) -> dict[object, str]:
    if query.group_by == "unit":
        names = dict(Unit.objects.filter(pk__in=list(groups)).values_list("pk", "name"))
        return {group: names.get(group, str(group)) for group in groups}
    if query.group_by == "channel":
        return {
            group: str(Channel(group).label) if group in Channel.values else str(group)
            for group in groups
        }
    if query.group_by == "month":
        return {group: group.strftime("%Y-%m") for group in groups}
    if query.group_by in ("week", "day"):
        return {group: group.date().isoformat() for group in groups}
    return {group: _("All") for group in groups}


@dataclass(frozen=True)
class QuestionSummary:
    """What the results page shows for one question."""

    question: Question
    n: int
    metrics: list[tuple[MetricSpec, MetricValue]]
    distribution: list[tuple[str, int]]  # (label, count), in scale or option order


def summarise_survey(query: MetricQuery) -> tuple[int, list[QuestionSummary]]:
    """Return the response count and a summary per question, in two grouped queries."""
    responses = responses_in_scope(query)
    response_count = responses.count()
    questions = survey_questions(query.survey)
    answers = Answer.objects.filter(response__in=responses)
    numbers: dict[str, dict[int, int]] = defaultdict(dict)
    for key, number, count in (
        answers.filter(number__isnull=False)
        .values("question_key", "number")
        .annotate(count=Count("id"))
        .values_list("question_key", "number", "count")
    ):
        numbers[key][number] = count
    choices: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    texts: dict[str, int] = defaultdict(int)
    choice_keys = [
        q.key
        for q in questions
        if q.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTI_CHOICE)
    ]
    for key, picked in answers.filter(question_key__in=choice_keys).values_list(
        "question_key", "choices"
    ):
        for option in picked or []:
            choices[key][option] += 1
    for key, count in (
        answers.filter(number__isnull=True, choices__isnull=True)
        .values("question_key")
        .annotate(count=Count("id"))
        .values_list("question_key", "count")
    ):
        texts[key] = count
    return response_count, [_summary(q, numbers, choices, texts) for q in questions]


def _summary(question: Question, numbers, choices, texts) -> QuestionSummary:
    scale = question.effective_scale()
    if question.type in NUMERIC_TYPES:
        histogram = numbers.get(question.key, {})
        scale_max = scale.max if scale else 1
        metrics = [
            (spec, spec.compute(histogram, scale_max))
            for spec in METRICS.values()
            if question.type in spec.question_types and spec.key != "count"
        ]
        if question.type == QuestionType.YES_NO:
            distribution = [(_("Yes"), histogram.get(1, 0)), (_("No"), histogram.get(0, 0))]
        else:
            distribution = [
                (str(value), histogram.get(value, 0)) for value in range(scale.min, scale.max + 1)
            ]
        return QuestionSummary(question, sum(histogram.values()), metrics, distribution)
    if question.type == QuestionType.TEXT:
        return QuestionSummary(question, texts.get(question.key, 0), [], [])
    counted = choices.get(question.key, {})
    distribution = [(option.label, counted.get(option.key, 0)) for option in question.options or []]
    answered = texts.get(question.key, 0)
    return QuestionSummary(question, answered or sum(counted.values()), [], distribution)


def comments(query: MetricQuery, definition: SurveyDefinition | None = None) -> QuerySet[Response]:
    """Return responses carrying a comment or a text answer, newest first, for paging."""
    text_keys = [q.key for q in survey_questions(query.survey) if q.type == QuestionType.TEXT]
    with_text = Q(answers__question_key__in=text_keys, answers__text__gt="") | ~Q(comment="")
    return (
        responses_in_scope(query)
        .filter(with_text)
        .distinct()
        .select_related("unit")
        .prefetch_related("answers")
        .order_by("-submitted_at", "-id")
    )
