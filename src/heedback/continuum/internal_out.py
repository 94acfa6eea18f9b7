"""The internal-customers report as the page, the API and the CSV show it: built once here.

One function shapes the report (``report_out``), so the page, ``GET
/api/v1/continuum/internal-customers`` and the CSV can never disagree about a value, and a
withheld cell is withheld on all three (no value, no count: the word "withheld").
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils.translation import gettext as _

from heedback.collect.exporting import neutralise_cell
from heedback.continuum.internal import (
    CORRELATION_MINIMUM_ANSWERS,
    Cell,
    CorrelationRow,
    InternalReport,
    Measure,
    UnitLine,
    caveat,
)
from heedback.continuum.stats import Correlation
from heedback.insights import charts
from heedback.insights.metrics import METRICS, format_value
from heedback.surveys.confidentiality import MINIMUM_RESPONDENTS

AXIS_RANGES = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0)}


def cell_out(measure: Measure | None, cell: Cell) -> dict[str, Any]:
    """Return one figure: value, display, n and interval, or only ``is_withheld``."""
    if cell.is_withheld:
        return {
            "value": None,
            "display": _("withheld"),
            "n": None,
            "ci_low": None,
            "ci_high": None,
            "is_withheld": True,
        }
    spec = METRICS[measure.metric] if measure is not None else METRICS["count"]
    return {
        "value": cell.value,
        "display": format_value(spec, cell.value) if cell.n else "–",
        "n": cell.n or 0,
        "ci_low": cell.ci_low,
        "ci_high": cell.ci_high,
        "is_withheld": False,
    }


def line_out(report: InternalReport, line: UnitLine) -> dict[str, Any]:
    return {
        "unit": line.unit.pk if line.unit is not None else None,
        "unit_name": line.unit.name if line.unit is not None else _("All units"),
        "depth": line.unit.depth if line.unit is not None else 0,
        "respondents": cell_out(None, line.respondents),
        "figures": {
            measure.key: cell_out(measure, line.cells[measure.key]) for measure in report.measures
        },
    }


def correlation_out(correlation: Correlation) -> dict[str, Any]:
    return {
        "r": correlation.r,
        "ci_low": correlation.low,
        "ci_high": correlation.high,
        "n": correlation.n,
        "is_few": correlation.is_few,
    }


def _correlation_row_out(report: InternalReport, row: CorrelationRow) -> dict[str, Any]:
    return {
        "employee_measure": row.measure.key,
        "employee_label": row.measure.label,
        "customer_measure": report.customer_headline.key,
        "pearson": correlation_out(row.pearson),
        "spearman": correlation_out(row.spearman),
        "caveat": caveat(row.pearson),
    }


def _has_data(line: dict[str, Any]) -> bool:
    figures = [line["respondents"], *line["figures"].values()]
    return any(figure["is_withheld"] or figure["n"] for figure in figures)


def report_out(report: InternalReport) -> dict[str, Any]:
    """Return the whole report: the columns, a line per unit with data, the correlations."""
    lines = [line_out(report, line) for line in report.lines]
    return {
        "pulse": report.pulse.pk if report.pulse is not None else None,
        "pulse_name": report.pulse.name if report.pulse is not None else "",
        "survey": report.customer_survey.pk if report.customer_survey is not None else None,
        "survey_name": report.customer_survey.name if report.customer_survey else "",
        "date_from": report.date_from,
        "date_to": report.date_to,
        "minimum_respondents": MINIMUM_RESPONDENTS,
        "correlation_minimum_answers": CORRELATION_MINIMUM_ANSWERS,
        "measures": [
            {"key": m.key, "label": m.label, "metric": m.metric, "is_employee": m.is_employee}
            for m in report.measures
        ],
        "units": [line for line in lines if _has_data(line)],
        "total": line_out(report, report.total) if report.total is not None else None,
        "correlations": [_correlation_row_out(report, row) for row in report.correlations],
    }


def scatter_chart(report: InternalReport) -> str:
    """Return eNPS (or the first pulse measure) against the customer headline, one dot a unit."""
    row, customer = report.headline, report.customer_headline
    if row is None or customer is None or len(row.pairs) < 2:
        return ""
    points = [charts.ScatterPoint(unit.name, x, y) for unit, x, y in row.pairs]
    title = _("%(employee)s and %(customer)s, one point per unit") % {
        "employee": row.measure.label,
        "customer": customer.label,
    }
    return charts.scatter(
        points,
        title=title,
        x_label=row.measure.label,
        y_label=customer.label,
        x_range=AXIS_RANGES[row.measure.metric],
        y_range=AXIS_RANGES[customer.metric],
    )


def report_csv(data: dict[str, Any]) -> str:
    """Return the report's table as CSV: one row per unit, then the total; withheld stays so."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # Column names are identifiers, like the measures' keys: the same in every language.
    header = ["unit_id", "unit", "pulse_respondents"]
    for measure in data["measures"]:
        header += [measure["key"], f"{measure['key']}_n", f"{measure['key']}_ci_low"]
        header += [f"{measure['key']}_ci_high"]
    writer.writerow(header)
    for line in [*data["units"], *([data["total"]] if data["total"] else [])]:
        unit_id = line["unit"] if line["unit"] is not None else ""
        row = [unit_id, neutralise_cell(line["unit_name"])]
        row.append(_csv_count(line["respondents"]))
        for measure in data["measures"]:
            figure = line["figures"][measure["key"]]
            row += [_csv_value(figure), _csv_count(figure)]
            row += [_csv_number(figure["ci_low"]), _csv_number(figure["ci_high"])]
        writer.writerow(row)
    return buffer.getvalue()


def _csv_value(figure: dict[str, Any]) -> str:
    return "withheld" if figure["is_withheld"] else _csv_number(figure["value"])


def _csv_count(figure: dict[str, Any]) -> str:
    return "withheld" if figure["is_withheld"] else str(figure["n"] or 0)


def _csv_number(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"
