"""The placement as CSV: self-assessment against evidence per factor, reasoning, next steps.

Built from ``presentation.report_out``, the dictionary the page and the API show, so the
export says what the page says. Employee indicators withheld by the confidentiality rule
arrive without a value and are written as "withheld".
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils.translation import gettext as _

from heedback.collect.exporting import neutralise_cell
from heedback.continuum.evidence import Status

HEADER = ["section", "factor", "item", "value", "level", "status", "detail"]


def _level(level: dict[str, Any] | None) -> str:
    return level["key"] if level else ""


def placement_rows(report: dict[str, Any]) -> list[list[object]]:
    """Return the rows of the export (without the header), overall first, then each factor."""
    overall = report["overall"]
    rows: list[list[object]] = [
        ["overall", "", _("Your answers"), "", _level(overall["self_assessed"]), "", ""],
        ["overall", "", _("Your data"), "", _level(overall["evidence"]), "", overall["message"]],
    ]
    for factor in report["factors"]:
        key, own = factor["factor"], factor["self_assessed"]
        rows.append(
            [
                "self",
                key,
                _("Your answers"),
                f"{own['answered']}/{own['total']}" if own else "",
                _level(own["level"]) if own else "",
                own["reason"] if own else "",
                own["explanation"] if own else "",
            ]
        )
        for answer in own["decisive"] if own else []:
            rows.append(["reasoning", key, answer["text"], "", answer["level"], "", ""])
        rows.append(
            [
                "evidence",
                key,
                _("Your data"),
                "",
                _level(factor["evidence"]["level"]),
                factor["comparison"],
                factor["message"],
            ]
        )
        for indicator in factor["evidence"]["indicators"]:
            withheld = indicator["status"] == Status.WITHHELD
            rows.append(
                [
                    "indicator",
                    key,
                    indicator["label"],
                    "withheld" if withheld else (indicator["display"] or ""),
                    _level(indicator["level"]),
                    indicator["status"],
                    indicator["detail"],
                ]
            )
        for step in factor["next_steps"]["steps"]:
            rows.append(
                [
                    "next_step",
                    key,
                    step["text"],
                    step["url"] or "",
                    _level(factor["next_steps"]["target"]),
                    step["source"],
                    step["feature_label"] or "",
                ]
            )
    return rows


def placement_csv(report: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for row in placement_rows(report):
        writer.writerow([neutralise_cell(cell) for cell in row])
    return buffer.getvalue()
