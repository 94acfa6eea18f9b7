"""The results page of a survey: headline metrics, every question, the trend and the comments."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, replace

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from heedback.insights import charts, comparisons, selectors
from heedback.insights.change_marks import marks_by_metric
from heedback.insights.forms import ResultsFilterForm
from heedback.insights.metrics import METRICS, MetricValue, format_value
from heedback.orgs.access import member_view
from heedback.orgs.permissions import Permission
from heedback.orgs.selectors import visible_units
from heedback.orgs.tenancy import get_scoped_or_404
from heedback.surveys.confidentiality import MINIMUM_RESPONDENTS, is_withheld
from heedback.surveys.definition import QuestionType
from heedback.surveys.models import Survey
from heedback.surveys.selectors import domains_of
from heedback.text.choices import ThemeStatus
from heedback.text.models import Theme

COMMENTS_PER_PAGE = 20
NPS_BANDS = ("detractor",) * 7 + ("passive",) * 2 + ("promoter",) * 2


@member_view(Permission.VIEW)
def survey_results(request: HttpRequest, survey_id: int) -> HttpResponse:
    """Show a survey's results for a period and a unit subtree the member may see."""
    organisation, membership = request.organisation, request.membership
    survey = get_scoped_or_404(
        Survey.objects.select_related("published_version"), organisation, pk=survey_id
    )
    units = visible_units(membership)
    themes = Theme.objects.filter(organisation=organisation).exclude(status=ThemeStatus.MERGED)
    form = ResultsFilterForm(
        units, request.GET or None, initial={"period": "365"}, themes=themes.order_by("name")
    )
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()
    date_from, date_to = form.period_bounds(today)
    unit = form.cleaned_data.get("unit") if form.is_bound and form.is_valid() else None
    visible_paths = (membership.unit.path,) if membership.is_unit_scoped else None
    query = selectors.MetricQuery(
        organisation=organisation,
        survey=survey,
        metric="count",
        unit=unit,
        date_from=date_from,
        date_to=date_to,
        visible_unit_paths=visible_paths,
        filters=form.segment_filters(),
    )
    response_count, summaries = selectors.summarise_survey(query)
    domains = dict(domains_of(organisation).values_list("key", "name"))
    minimum = organisation.minimum_sample
    withheld = is_withheld(survey, response_count)
    if survey.is_confidential:
        summaries = [] if withheld else _confidential_summaries(summaries)
    changes, previous = _changes(query, summaries, minimum)
    page = CommentPage.of(_comment_rows(query, withheld), request.GET.get("page"))
    return render(
        request,
        "insights/results.html",
        {
            "survey": survey,
            "form": form,
            "nav": "surveys",
            "date_from": date_from,
            "date_to": date_to,
            "unit": unit,
            "response_count": response_count,
            "minimum_sample": minimum,
            "previous_period": previous,
            "headline": _headline(summaries, minimum, changes) + _response_rate(query, minimum),
            "questions": [
                _question_view(summary, minimum, domains, changes) for summary in summaries
            ],
            "trend": _nps_trend(query, summaries, minimum),
            "comments": _comment_views(page.object_list, survey),
            "is_confidential": survey.is_confidential,
            "withheld": withheld,
            "confidential_minimum": MINIMUM_RESPONDENTS,
            "page": page,
            "query_string": _without_page(request),
        },
    )


def _confidential_summaries(summaries):
    """Keep the questions of a confidential survey that enough people answered."""
    return [summary for summary in summaries if summary.n >= MINIMUM_RESPONDENTS]


def _comment_rows(query, withheld: bool):
    """Return the comments to page through; a confidential survey's unattributed, by text.

    Employee comments are shown only to a group of enough respondents, without time, unit,
    channel or the other answers, and in the order of their idempotency keys (random for
    the web form) rather than by time, so that none can be traced to the person who wrote it.
    """
    if not query.survey.is_confidential:
        return selectors.comments(query)
    if withheld:
        return []
    return selectors.comments(query).order_by("idempotency_key", "pk")


def _changes(query, summaries, minimum: int) -> tuple[dict, tuple | None]:
    """Return each figure's change against the previous period of the same length.

    Tested per metric (``comparisons``) and adjusted over every figure of the page, so
    a page of twenty figures does not flag one by chance. An open period has no previous;
    a segment (``query.filters``) is not compared either: the period comparison reads the
    rollups, which have no segment, and a change of the whole shown beside a segment's
    figure would mislead.
    """
    if query.date_from is None or query.date_to is None or query.filters:
        return {}, None
    previous = comparisons.previous_period(query.date_from, query.date_to)
    unit_path = query.unit.path if query.unit is not None else None
    rows = comparisons.compare_sides(
        query.survey,
        comparisons.Side(query.date_from, query.date_to, unit_path),
        comparisons.Side(*previous, unit_path),
        minimum_sample=minimum,
        visible_unit_paths=query.visible_unit_paths,
        questions=[summary.question for summary in summaries],
    )
    return marks_by_metric(rows, minimum), previous


def _headline(summaries, minimum: int, changes: dict) -> list[dict]:
    """Return the first NPS, CSAT and CES figures as the big numbers at the top."""
    wanted = {"nps": None, "csat": None, "ces": None}
    for summary in summaries:
        for spec, value in summary.metrics:
            if spec.key in wanted and wanted[spec.key] is None:
                wanted[spec.key] = _figure(spec, value, minimum, summary.question.text)
                wanted[spec.key]["change"] = changes.get((summary.question.key, spec.key))
                if spec.key == "csat":
                    mean = next(v for s, v in summary.metrics if s.key == "mean")
                    wanted["csat"]["secondary"] = _("mean %s") % format_value(METRICS["mean"], mean)
    return [figure for figure in wanted.values() if figure is not None]


def _response_rate(query, minimum: int) -> list[dict]:
    """Return the response rate as a big number, when invitations were sent in the period.

    An invitation has no themes, so a page filtered by theme shows no response rate.
    """
    if any(name == "theme" for name, _value in query.filters):
        return []
    (row,) = selectors.compute_metric(replace(query, metric="response_rate")).rows
    if not row.n:
        return []
    value = MetricValue(row.value, row.n, row.ci_low, row.ci_high)
    return [_figure(METRICS["response_rate"], value, minimum, _("Invitations answered of sent"))]


def _figure(spec, value, minimum: int, question_text: str) -> dict:
    return {
        "label": spec.label,
        "question": question_text,
        "display": format_value(spec, value),
        "n": value.n,
        "is_small": value.n < minimum,
        "ci": (format_value(spec, value.ci_low), format_value(spec, value.ci_high))
        if value.ci_low is not None
        else None,
        "secondary": "",
    }


def _question_view(summary, minimum: int, domains: dict[str, str], changes: dict) -> dict:
    question = summary.question
    bands = NPS_BANDS if question.type == QuestionType.NPS else ()
    bars = [
        charts.Bar(label, count, f"bar {bands[index]}" if bands else "bar")
        for index, (label, count) in enumerate(summary.distribution)
    ]
    return {
        "question": question,
        "n": summary.n,
        "is_small": summary.n < minimum,
        "domain": domains.get(question.domain or "", question.domain),
        "metrics": [
            {
                **_figure(spec, value, minimum, question.text),
                "change": changes.get((question.key, spec.key)),
            }
            for spec, value in summary.metrics
        ],
        "chart": charts.distribution(bars, title=question.text) if bars else "",
    }


def _nps_trend(query, summaries, minimum: int) -> str:
    question = next((s.question for s in summaries if s.question.type == QuestionType.NPS), None)
    if question is None:
        return ""
    result = selectors.compute_metric(
        selectors.MetricQuery(
            organisation=query.organisation,
            survey=query.survey,
            metric="nps",
            question_key=question.key,
            group_by="month",
            unit=query.unit,
            date_from=query.date_from,
            date_to=query.date_to,
            visible_unit_paths=query.visible_unit_paths,
            filters=query.filters,
        )
    )
    points = [
        charts.Point(row.label, row.value, row.ci_low, row.ci_high, row.n < minimum)
        for row in result.rows
        if row.n and row.value is not None  # a confidential month of too few has no value
    ]
    if len(points) < 2:
        return ""
    # xgettext:no-python-format
    title = _("NPS by month, with 95% interval")
    return charts.trend(points, title=title, lowest=-100, highest=100)


@dataclass(frozen=True)
class CommentPage:
    """One page of comments, newest first, with links to the newer and older pages.

    There is no page count: counting every commented response of the period would cost
    O(responses), the one thing a results page must not do; one row beyond the page says
    whether an older page exists.
    """

    number: int
    object_list: list
    has_next: bool

    @classmethod
    def of(cls, responses, requested: str | None) -> CommentPage:
        number = int(requested) if requested and requested.isdigit() and int(requested) else 1
        start = (number - 1) * COMMENTS_PER_PAGE
        rows = list(responses[start : start + COMMENTS_PER_PAGE + 1])
        return cls(number, rows[:COMMENTS_PER_PAGE], len(rows) > COMMENTS_PER_PAGE)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def _comment_views(responses, survey) -> list[dict]:
    texts = []
    for response in responses:
        parts = [answer.text for answer in response.answers.all() if answer.text]
        if response.comment:
            parts.append(response.comment)
        texts.append({"response": response, "texts": parts})
    return texts


def _without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
