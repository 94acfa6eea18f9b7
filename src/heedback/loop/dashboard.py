"""What the loop dashboard shows: headline figures, charts and a table from ``loop.metrics``.

Charts come from ``insights.charts`` (server-rendered SVG, no script), each beside the
table that says the same in words and numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from heedback.insights.charts import Bar, Point, distribution, trend
from heedback.loop.metrics import FIGURES, FIGURES_BY_KEY, LoopMetrics

# The figures charted per row, as points on a 0–100 scale.
CHARTED_SHARES = ("within_deadline_share", "detractors_followed_share", "acted_on_share")


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    display: str
    n: int


def headlines(result: LoopMetrics) -> list[Headline]:
    """Return every figure of the total, with the count it rests on."""
    return [
        Headline(
            figure.key, str(figure.label), figure.display(result.total), figure.sample(result.total)
        )
        for figure in FIGURES
    ]


def table(result: LoopMetrics) -> list[dict]:
    """Return the per-unit or per-owner rows: a label and every figure shown."""
    return [
        {"row": row, "cells": [figure.display(row.counts) for figure in FIGURES]}
        for row in result.rows
    ]


def share_charts(result: LoopMetrics) -> list[dict]:
    """Return a chart per charted share, with one point per row (none where nothing counts)."""
    charts = []
    for key in CHARTED_SHARES:
        figure = FIGURES_BY_KEY[key]
        points = [
            Point(row.label, figure.value(row.counts), None, None, figure.sample(row.counts) < 5)
            for row in result.rows
        ]
        if any(point.value is not None for point in points):
            title = _("%(figure)s, %% per row") % {"figure": figure.label}
            charts.append(
                {"title": figure.label, "svg": trend(points, title=title, lowest=0, highest=100)}
            )
    return charts


def root_cause_chart(result: LoopMetrics) -> str:
    """Return the root causes as columns, most frequent first ("" when none was recorded)."""
    if not result.root_causes:
        return ""
    bars = [Bar(cause.label, cause.count) for cause in result.root_causes]
    return distribution(bars, title=_("Root causes of the period's cases"))
