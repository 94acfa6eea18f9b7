"""The domain scorecard page: the units × domains heatmap, its table and its CSV."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
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
    """Return what the heatmap partial shows: the SVG and the table rows."""
    if scorecard is None:
        return {"scorecard": None}
    names = {domain.key: domain.name for domain in scorecard.domains}
    table = [
        {
            "unit": row.unit,
            "is_top": row.is_top,
            "cells": [
                {
                    "cell": cell,
                    "domain": names[cell.domain_key],
                    "score": percent(cell.score),
                    "previous": percent(cell.previous_score),
                    "change": points(cell.change),
                    "p": p_text(cell.p_value),
                    "adjusted_p": p_text(cell.adjusted_p_value),
                }
                for cell in row.cells
            ],
        }
        for row in scorecard.rows
    ]
    return {
        "scorecard": scorecard,
        "heatmap": heatmap(scorecard, title=_("Domain scores by unit"))
        if scorecard.domains
        else "",
        "table": table,
    }


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
