"""The dashboards: the organisation overview, a unit's page, and the front-line view.

Thin views: the figures come from ``dashboards.build_overview`` and ``scorecards``; this
module picks the filters, draws the charts (``charts``, ``heatmap_chart``) with a table
beside each, and answers ``?format=csv&table=…`` with the same numbers as the table.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from heedback.collect.models import Response
from heedback.continuum.plan_report import running_plans
from heedback.core.htmx import render_page
from heedback.insights import charts, read_cache
from heedback.insights.dashboards import Overview, OverviewQuery, build_overview
from heedback.insights.drivers_page import top_drivers
from heedback.insights.metrics import format_value
from heedback.insights.page_filters import csv_download, read_filters
from heedback.insights.scorecard_page import CSV_HEADER, scorecard_context, scorecard_rows
from heedback.orgs.access import member_view
from heedback.orgs.permissions import Permission
from heedback.orgs.selectors import visible_units
from heedback.orgs.tenancy import get_scoped_or_404
from heedback.text.selectors import urgent_texts

CRITICAL_COMMENTS = 5
FEED_LENGTH = 20
TREND_RANGES = {"nps": (-100, 100), "csat": (0, 100)}


def overview_for(request: HttpRequest, filters) -> Overview:
    """Return the overview the filters ask for (they name a survey)."""
    return build_overview(
        OverviewQuery(
            organisation=request.organisation,
            survey=filters.survey,
            unit=filters.unit,
            date_from=filters.date_from,
            date_to=filters.date_to,
            correction=filters.correction,
            visible_unit_paths=filters.visible_unit_paths,
        )
    )


def _overview_page(request: HttpRequest, unit=None) -> HttpResponse:
    filters = read_filters(request, with_unit=unit is None, unit=unit)
    if filters.survey is None:
        return render(request, "insights/dashboard.html", {"nav": "dashboard", "filters": filters})
    with read_cache.one_state():  # every panel keyed by one read of the responses' state
        overview = overview_for(request, filters)
        if request.GET.get("format") == "csv":
            return _csv(overview, request.GET.get("table", ""))
        drivers = top_drivers(request.organisation, filters)
    minimum = request.organisation.minimum_sample
    context = {
        "nav": "dashboard",
        "filters": filters,
        "overview": overview,
        "headlines": [_headline(headline, minimum) for headline in overview.headlines],
        "trends": [_trend_view(trend, minimum) for trend in overview.trends],
        "volume": _volume_view(overview),
        "critical": critical_comments(request.organisation, filters),
        "drivers": drivers,
        "service_plans": running_plans(
            request.organisation, visible_unit_paths=_plan_view(filters)
        ),
        "is_unit_page": unit is not None,
        **scorecard_context(overview.scorecard),
    }
    return render(request, "insights/dashboard.html", context)


def _plan_view(filters) -> tuple[str, ...] | None:
    """Return the subtree whose service-plan targets the page shows (None: every target)."""
    if filters.unit.parent_id is None and filters.visible_unit_paths is None:
        return None
    return (filters.unit.path,)


@member_view(Permission.VIEW)
def overview(request: HttpRequest) -> HttpResponse:
    """Show the organisation overview (or the reader's own subtree, for a manager)."""
    return _overview_page(request)


@member_view(Permission.VIEW)
def unit_dashboard(request: HttpRequest, unit_id: int) -> HttpResponse:
    """Show the overview of one unit's subtree (a unit the member may see)."""
    unit = get_scoped_or_404(visible_units(request.membership), request.organisation, pk=unit_id)
    return _overview_page(request, unit)


def _headline(headline, minimum: int) -> dict:
    spec, value = headline.metric, headline.value
    interval = None
    if value.ci_low is not None:
        interval = (format_value(spec, value.ci_low), format_value(spec, value.ci_high))
    return {
        "label": spec.label,
        "question": headline.question.text,
        "display": format_value(spec, value),
        "previous": format_value(spec, headline.previous),
        "interval": interval,
        "n": value.n,
        "is_small": value.n < minimum,
        "change": headline.change,
    }


def _trend_view(trend, minimum: int) -> dict:
    lowest, highest = TREND_RANGES.get(trend.metric.key, (0, 100))
    points = [
        charts.Point(row.label, row.value, row.ci_low, row.ci_high, row.n < minimum)
        for row in trend.rows
        if row.n
    ]
    title = _("%(metric)s by period, with 95%% interval") % {"metric": trend.metric.label}
    return {
        "key": trend.metric.key,
        "label": trend.metric.label,
        "question": trend.question.text if trend.question else "",
        "chart": charts.trend(points, title=title, lowest=lowest, highest=highest)
        if len(points) >= 2
        else "",
        "rows": [
            {
                "label": row.label,
                "value": format_value(trend.metric, row.value),
                "low": format_value(trend.metric, row.ci_low),
                "high": format_value(trend.metric, row.ci_high),
                "n": row.n,
                "is_small": row.n < minimum,
            }
            for row in trend.rows
        ],
    }


def _volume_view(overview: Overview) -> dict:
    rows = [row for row in overview.volume.rows if row.n]
    bars = [charts.Bar(row.label, row.n) for row in rows]
    return {
        "chart": charts.distribution(bars, title=_("Responses by period")) if bars else "",
        "rows": rows,
    }


def critical_comments(organisation, filters) -> list:
    """Return the newest comments flagged urgent in the filters' subtree and period."""
    texts = (
        urgent_texts(organisation)
        .filter(
            response__unit__path__startswith=filters.unit.path,
            response__local_date__gte=filters.date_from,
            response__local_date__lte=filters.date_to,
        )
        .select_related("response__unit")
    )
    return list(texts[:CRITICAL_COMMENTS])


def _csv(overview: Overview, table: str) -> HttpResponse:
    if table == "heatmap":
        return csv_download("scorecard.csv", CSV_HEADER, scorecard_rows(overview.scorecard))
    if table == "volume":
        rows = [[row.group, row.label, row.n] for row in overview.volume.rows]
        return csv_download("volume.csv", ["period_start", "period", "responses"], rows)
    trend = next((trend for trend in overview.trends if trend.metric.key == table), None)
    if trend is None:
        raise Http404("No such table")
    rows = [[row.group, row.label, row.value, row.ci_low, row.ci_high, row.n] for row in trend.rows]
    header = ["period_start", "period", trend.metric.key, "ci_low", "ci_high", "n"]
    return csv_download(f"{trend.metric.key}.csv", header, rows)


@member_view(Permission.VIEW)
def front_line(request: HttpRequest) -> HttpResponse:
    """Show my own feedback and my units' newest as it arrives (htmx refreshes it)."""
    membership = request.membership
    mine = (
        Response.objects.for_org(request.organisation)
        .filter(staff=request.user)
        .select_related("unit", "survey")
        .prefetch_related("answers")
        .order_by("-submitted_at", "-id")[:FEED_LENGTH]
    )
    units = Response.objects.for_org(request.organisation)
    if membership.unit is not None:
        units = units.filter(unit__path__startswith=membership.unit.path)
    newest = (
        units.select_related("unit", "survey")
        .prefetch_related("answers")
        .order_by("-submitted_at", "-id")[:FEED_LENGTH]
    )
    context = {
        "nav": "front-line",
        "mine": [_feed_item(response) for response in mine],
        "newest": [_feed_item(response) for response in newest],
        "unit": membership.unit,
    }
    return render_page(
        request, "insights/front_line.html", context, partial="insights/partials/feed.html"
    )


def _feed_item(response: Response) -> dict:
    numbers = [
        (answer.question_key, answer.number)
        for answer in response.answers.all()
        if answer.number is not None
    ]
    texts = [answer.text for answer in response.answers.all() if answer.text]
    if response.comment:
        texts.append(response.comment)
    return {"response": response, "numbers": numbers, "texts": texts}
