"""How a tested difference reads on a page: "+8.0 ▲" with the p-values on hover.

The results page, the comparison view and the dashboards show differences the same way,
so a reader learns one mark: an arrow only when the difference is significant after the
correction over the page, the figures and p-values in the hover text, and "not tested"
where a side has too few answers.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from heedback.insights.comparisons import MetricComparison
from heedback.insights.heatmap_chart import p_text
from heedback.insights.metrics import MetricSpec

_DIFFERENCE_DECIMALS = {"points": 1, "percent": 1, "score": 2, "answers": 0}


def format_difference(spec: MetricSpec, difference: float | None) -> str:
    """Return a signed difference in the metric's unit ("+8.0", "−0.25")."""
    if difference is None:
        return "–"
    decimals = _DIFFERENCE_DECIMALS[spec.unit]
    text = f"{difference:+.{decimals}f}"
    return "0" if float(text) == 0 else text


def change_mark(row: MetricComparison, minimum_sample: int) -> dict:
    """Return the display of one compared row: difference, arrow, p-values, hover text."""
    spec = row.metric
    if row.comparison is None:
        both = row.first.value is not None and row.second.value is not None
        difference = row.first.value - row.second.value if both else None
        return {
            "difference": format_difference(spec, difference),
            "direction": "",
            "is_significant": False,
            "p": "–",
            "adjusted_p": "–",
            "title": _("Not tested: fewer than %s answers on a side.") % minimum_sample,
        }
    comparison = row.comparison
    title = _(
        "Difference %(difference)s (standard error %(se)s); p = %(p)s, "
        "adjusted over the page p = %(adjusted)s: %(verdict)s"
    ) % {
        "difference": format_difference(spec, comparison.difference),
        "se": f"{comparison.standard_error:.2f}",
        "p": p_text(comparison.p_value),
        "adjusted": p_text(row.adjusted_p_value),
        "verdict": _("significant") if row.is_significant else _("not significant"),
    }
    return {
        "difference": format_difference(spec, comparison.difference),
        "direction": row.direction,
        "is_significant": row.is_significant,
        "p": p_text(comparison.p_value),
        "adjusted_p": p_text(row.adjusted_p_value),
        "title": title,
    }


def marks_by_metric(rows: list[MetricComparison], minimum_sample: int) -> dict:
    """Return ``{(question_key, metric_key): mark}`` for the rows."""
    return {(row.question.key, row.metric.key): change_mark(row, minimum_sample) for row in rows}
