"""Read metrics: one query object in, typed rows with value, n and interval out.

Every surface — the results page, ``GET /api/v1/metrics`` and later the exports and
digests — calls ``compute_metric``, so a number is computed one way everywhere. Metrics
are computed from value histograms read from the additive rollups (``histograms``), plus
the few responses the worker has not rolled up yet, so every figure is exact and current
while a dashboard costs O(days × units), not O(responses). Raw rows are read only for
drill-down: the comments and the response list.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from heedback.collect.choices import Channel
from heedback.collect.models import Answer, Response
from heedback.core.errors import InvalidInput
from heedback.insights import histograms, response_rates, segments
from heedback.insights.metrics import METRICS, SURVEY_METRICS, MetricSpec, MetricValue
from heedback.insights.models import RESPONSES_KEY
from heedback.orgs.models import Organisation, Unit
from heedback.surveys.confidentiality import is_withheld
from heedback.surveys.definition import Question, QuestionType, SurveyDefinition
from heedback.surveys.models import Survey

NUMERIC_TYPES = {QuestionType.NPS, QuestionType.RATING, QuestionType.CES, QuestionType.YES_NO}


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
    # (dimension, value) pairs that must all hold: channel, theme, customer.*, interaction.*
    # (``segments``); group_by may also name such a dimension.
    filters: tuple[tuple[str, str], ...] = ()


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
    """Return the survey's responses that match the query's unit, period, filters, visibility."""
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
    channel = dict(query.filters).get("channel")
    if channel is not None:
        responses = responses.filter(channel=channel)
    return segments.narrowed(responses, query.filters)


def resolve_question(query: MetricQuery) -> tuple[MetricSpec, Question | None]:
    """Check the metric fits the question; with no question named, take the first that fits."""
    spec = METRICS.get(query.metric)
    if spec is None:
        raise InvalidInput.from_pairs(
            _("Unknown metric."), [("metric", _("Choose one of: %s.") % ", ".join(METRICS))]
        )
    segments.check_grouping(query.group_by)
    segments.check_filters(query.organisation.pk, query.filters)
    if query.metric == "response_rate":
        if query.question_key is not None:
            raise InvalidInput.from_pairs(
                _("The response rate is a survey's, not a question's."),
                [("question", _("Leave it out for this metric."))],
            )
        return spec, None
    questions = survey_questions(query.survey)
    if query.question_key is None:
        if query.metric in SURVEY_METRICS:
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


def scope_of(query: MetricQuery) -> histograms.Scope:
    """Return the responses a query covers, as the histogram reader takes them."""
    return histograms.Scope(
        organisation_id=query.organisation.pk,
        survey_id=query.survey.pk,
        unit_path=query.unit.path if query.unit is not None else None,
        visible_unit_paths=query.visible_unit_paths,
        date_from=query.date_from,
        date_to=query.date_to,
        channel=dict(query.filters).get("channel"),
    )


def compute_metric(query: MetricQuery) -> MetricResult:
    """Return the metric for each group of the query, groups in natural order.

    Histograms come from the rollups plus the responses not rolled up yet
    (``histograms.answer_counts``), so the cost follows days × units, not responses.
    """
    spec, question = resolve_question(query)
    scale = question.effective_scale() if question is not None else None
    scale_max = scale.max if scale else 1
    by_group = histograms_by_group(query, question)
    labels = _labels(query, by_group.keys())
    rows = []
    for group in sorted(by_group, key=_sort_key):
        histogram = by_group[group]
        value: MetricValue = spec.compute(histogram, scale_max)
        if spec.key == "count":
            value = MetricValue(float(histogram[1]), histogram[1], None, None)
        group_key = None if query.group_by == "none" else _group_key(group)
        if is_withheld(query.survey, value.n):
            # A confidential (employee) cell of too few answers: its size, never its value.
            value = MetricValue(None, value.n, None, None)
        rows.append(
            MetricRow(
                group_key,
                labels.get(group, str(group_key or _("All"))),
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


def histograms_by_group(query: MetricQuery, question: Question | None) -> dict[object, dict]:
    """Return the value histogram of each non-empty group (answers as ``{1: n}`` for counts).

    A count or a non-numeric question has no values, so its histogram holds the number of
    answers under key 1, which is what the count metric reads. The response rate's comes
    from the invitations; a cut by a raw dimension (``segments``) from the raw rows.
    """
    scope = scope_of(query)
    if query.metric == "response_rate":
        return response_rates.histograms_by_group(
            scope, query.organisation.time_zone, query.group_by, query.filters
        )
    key = RESPONSES_KEY if question is None else question.key
    if segments.needs_raw_rows(query.group_by, query.filters):
        cut = segments.RawCut(scope, query.filters, query.group_by)
        counted = segments.answer_counts(cut, [key])
    else:
        counted = histograms.answer_counts(scope, [key], query.group_by)
    is_numeric = question is not None and question.type in NUMERIC_TYPES
    by_group: dict[object, dict[int, int]] = {}
    for group, by_key in counted.items():
        counts = by_key.get(key)
        histogram = (counts.histogram if is_numeric else {1: counts.answers}) if counts else {}
        if histogram:
            by_group[group] = histogram
    return by_group


def group_key(group: object) -> str:
    """Return a group as the API and CSV name it (a date in ISO form, else its text)."""
    return _group_key(group)


def _group_key(group: object) -> str:
    if isinstance(group, date):
        return group.isoformat()
    return str(group)


def _sort_key(group: object) -> tuple:
    return (str(type(group)), group if group is not None else "")


def _labels(query: MetricQuery, groups) -> dict[object, str]:
    if segments.is_dimension(query.group_by):
        return segments.labels(query.organisation.pk, query.group_by, groups)
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
    if query.group_by == "quarter":
        return {group: f"{group.year}-Q{(group.month - 1) // 3 + 1}" for group in groups}
    if query.group_by in ("week", "day"):
        return {group: group.isoformat() for group in groups}
    return {group: _("All") for group in groups}


@dataclass(frozen=True)
class QuestionSummary:
    """What the results page shows for one question."""

    question: Question
    n: int
    metrics: list[tuple[MetricSpec, MetricValue]]
    distribution: list[tuple[str, int]]  # (label, count), in scale or option order


def summarise_survey(query: MetricQuery) -> tuple[int, list[QuestionSummary]]:
    """Return the response count and a summary per question, in two grouped queries.

    One query sums the response count and every question's histogram, the other the
    chosen options of the choice questions; both read rollups plus the tail, or the raw
    rows when the query filters by a dimension the rollups lack (``segments``).
    """
    questions = survey_questions(query.survey)
    scope = scope_of(query)
    keys = [RESPONSES_KEY, *(question.key for question in questions)]
    choice_keys = [
        q.key
        for q in questions
        if q.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTI_CHOICE)
    ]
    if segments.needs_raw_rows("none", query.filters):
        cut = segments.RawCut(scope, query.filters, "none")
        counted = segments.answer_counts(cut, keys).get(None, {})
        options = segments.option_counts(cut, choice_keys)
    else:
        counted = histograms.answer_counts(scope, keys, "none").get(None, {})
        options = histograms.option_counts(scope, choice_keys)
    response_count = counted[RESPONSES_KEY].answers if RESPONSES_KEY in counted else 0
    empty = histograms.Counts()
    return response_count, [
        _summary(question, counted.get(question.key, empty), options.get(question.key, {}))
        for question in questions
    ]


def _summary(
    question: Question, counts: histograms.Counts, chosen: dict[str, int]
) -> QuestionSummary:
    if question.type in NUMERIC_TYPES:
        histogram = counts.histogram
        scale = question.effective_scale()
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
        return QuestionSummary(question, counts.answers, [], [])
    # A choice question's n is how many answered it; a multi-choice answer picks several.
    distribution = [(option.label, chosen.get(option.key, 0)) for option in question.options or []]
    return QuestionSummary(question, counts.answers, [], distribution)


def comments(query: MetricQuery, definition: SurveyDefinition | None = None) -> QuerySet[Response]:
    """Return responses carrying a comment or a text answer, newest first, for paging.

    The text test is an EXISTS per response rather than a join and DISTINCT, so that the
    database walks the survey's responses newest first and stops after one page, instead
    of collecting every commented response of the period before sorting them.
    """
    text_keys = [q.key for q in survey_questions(query.survey) if q.type == QuestionType.TEXT]
    # The redundant ">=" keeps PostgreSQL from turning the EXISTS into a hash of every text
    # answer of every survey (a "hashed SubPlan"); it must probe one response at a time.
    texts = Answer.objects.filter(
        response=OuterRef("pk"),
        response_id__gte=OuterRef("pk"),
        question_key__in=text_keys,
        text__gt="",
    )
    return (
        responses_in_scope(query)
        .filter(Q(Exists(texts)) | ~Q(comment=""))
        .select_related("unit", "mention")  # a review's site, author and public address
        .prefetch_related("answers")
        .order_by("-submitted_at", "-id")
    )
