"""The domain scorecard page: the units × domains heatmap, its table and its CSV."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from heedback.insights.heatmap_chart import heatmap, p_text, percent, points
from heedback.insights.page_filters import csv_download, read_filters
from heedback.insights.scorecards import Scorecard, ScorecardQuery, build_scorecard
from heedback.orgs.access import member_view
from heedback.orgs.permissions import Permission

CSV_HEADER = [
    "unit",
    "domain",
    "score",
    "n",
    "previous_score",
    "previous_n",
    "change",
    "p_value",
    "adjusted_p_value",
    "significant",
    "small_sample",
]


def scorecard_for(filters) -> Scorecard | None:
    """Return the heatmap the filters ask for, or None without a survey."""
    if filters.survey is None:
        return None
    return build_scorecard(
        ScorecardQuery(
            organisation=filters.organisation,
            survey=filters.survey,
            date_from=filters.date_from,
            date_to=filters.date_to,
            unit=filters.unit,
            correction=filters.correction,
        )
    )


def scorecard_context(scorecard: Scorecard | None) -> dict:
    """Return what the heatmap partial shows: the SVG and the rows of its table."""
    if scorecard is None:
        return {"scorecard": None}
    return {
        "scorecard": scorecard,
        "heatmap": heatmap(scorecard, title=_("Domain scores by unit"))
        if scorecard.domains
        else "",
        "table_rows": table_rows(scorecard),
    }


def table_rows(scorecard: Scorecard) -> SafeString:
    """Return the ``<tr>`` rows of the heatmap's table alternative, one per unit × domain.

    Written in one pass rather than by the template engine: an overview of 180 hotels and
    ten domains has 1,800 rows of nine cells, and looping over them in the template cost
    more than every figure of the page (15 of 60 ms, on PostgreSQL with 10^7 responses).
    """
    names = {domain.key: domain.name for domain in scorecard.domains}
    marks = {
        "up": format_html(' <span class="sig-up">▲ {}</span>', _("significant")),
        "down": format_html(' <span class="sig-down">▼ {}</span>', _("significant")),
    }
    return format_html_join(
        "\n",
        '<tr class="{}" data-cell="{}-{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
        "<td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                "small-sample" if cell.is_small else "",
                row.unit.pk,
                cell.domain_key,
                format_html("<strong>{}</strong>", row.unit.name) if index == 0 else "",
                names[cell.domain_key],
                percent(cell.score),
                cell.n,
                percent(cell.previous_score),
                cell.previous_n,
                points(cell.change),
                marks.get(cell.direction, ""),
                p_text(cell.p_value),
                p_text(cell.adjusted_p_value),
            )
            for row in scorecard.rows
            for index, cell in enumerate(row.cells)
        ),
    )


def scorecard_rows(scorecard: Scorecard) -> list[list]:
    """Return the CSV rows: one per unit × domain, numbers unrounded."""
    names = {domain.key: domain.name for domain in scorecard.domains}
    return [
        [
            row.unit.name,
            names[cell.domain_key],
            cell.score,
            cell.n,
            cell.previous_score,
            cell.previous_n,
            cell.change,
            cell.p_value,
            cell.adjusted_p_value,
            cell.is_significant,
            cell.is_small,
        ]
        for row in scorecard.rows
        for cell in row.cells
    ]


@member_view(Permission.VIEW)
def scorecard(request: HttpRequest) -> HttpResponse:
    """Show the heatmap of units × domains with trend and significance; CSV on request."""
    filters = read_filters(request)
    card = scorecard_for(filters)
    if request.GET.get("format") == "csv" and card is not None:
        return csv_download("scorecard.csv", CSV_HEADER, scorecard_rows(card))
    return render(
        request,
        "insights/scorecard.html",
        {"nav": "dashboard", "filters": filters, **scorecard_context(card)},
    )
