"""Turn placements into plain, translated dictionaries: the page and the API show the same.

``GET /api/v1/continuum/placement`` returns ``report_out`` through its schema, and the
placement page renders the very same dictionary, so a number or a sentence cannot differ
between the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from heedback.continuum import charts
from heedback.continuum.evidence import CONFIDENTIALITY_MINIMUM, IndicatorResult, Status
from heedback.continuum.evidence_history import EvidencePoint
from heedback.continuum.features import feature_link
from heedback.continuum.instrument import Factor, Level, Statement
from heedback.continuum.next_steps import FactorSteps
from heedback.continuum.scoring import AnswerView, FactorResult, Placement
from heedback.continuum.selectors import HistoryPoint, PlacementReport, SelfAssessment, UnitRow
from heedback.continuum.wording import (
    comparison_message,
    factor_name,
    level_name,
    pending_detail,
    reason_message,
    status_label,
)

__all__ = [
    "CONFIDENTIALITY_MINIMUM",
    "history_chart",
    "history_months",
    "placement_out",
    "report_out",
    "unit_row_out",
]


def level_out(level: Level | int | None) -> dict[str, Any] | None:
    if level is None:
        return None
    level = Level(int(level))
    return {"key": level.key, "name": level_name(level), "number": int(level)}


def statement_text(statement: Statement) -> str:
    """Return the statement in the request's language (an organisation's own text as written)."""
    return statement.text if statement.is_custom else _(statement.text)


def answer_out(answer: AnswerView) -> dict[str, Any]:
    return {
        "statement": answer.statement.id,
        "text": statement_text(answer.statement),
        "level": answer.statement.level.key,
        "agreement": answer.agreement,
    }


def self_out(result: FactorResult | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {
        "level": level_out(result.level),
        "reason": str(result.reason),
        "explanation": reason_message(result),
        "answered": result.answered,
        "total": result.total,
        "decisive": [answer_out(answer) for answer in result.decisive],
        "holding_back": [answer_out(answer) for answer in result.holding_back],
        "contradictions": [answer_out(answer) for answer in result.contradictions],
        "checks": [
            {
                "level": level_out(check.level),
                "is_shortcoming": check.is_shortcoming,
                "score": check.score,
                "threshold": check.threshold,
                "is_met": check.is_met,
                "answers": [answer_out(answer) for answer in check.answers],
            }
            for check in result.checks
        ],
    }


def indicator_out(result: IndicatorResult) -> dict[str, Any]:
    indicator, measurement = result.indicator, result.measurement
    pending = measurement.status in {Status.NOT_MEASURED, Status.NOT_AVAILABLE}
    return {
        "key": indicator.key,
        "label": str(indicator.label),
        "description": str(indicator.description),
        "status": str(measurement.status),
        "status_label": status_label(measurement.status),
        "value": measurement.value,
        "display": measurement.display,
        "level": level_out(measurement.level),
        "detail": pending_detail(indicator.provided_by) if pending else measurement.detail,
        "n": measurement.n,
    }


def steps_out(steps: FactorSteps, organisation_slug: str, membership=None) -> dict[str, Any]:
    items = []
    for step in steps.steps:
        link = feature_link(step.feature, organisation_slug, membership)
        items.append(
            {
                "text": _(step.text),
                "source": str(step.source),
                "reference": step.reference,
                "feature": step.feature,
                "feature_label": link.label if link else None,
                "url": link.url if link else None,
            }
        )
    return {"current": level_out(steps.current), "target": level_out(steps.target), "steps": items}


def self_assessment_out(own: SelfAssessment) -> dict[str, Any]:
    return {
        "respondents": own.respondents,
        "latest_at": own.latest_at,
        "roles": own.roles,
        "answered": own.placement.answered if own.placement else 0,
        "total": own.placement.total if own.placement else 0,
        "is_all_neutral": bool(own.placement and own.placement.is_all_neutral),
    }


def report_out(report: PlacementReport, organisation, membership=None) -> dict[str, Any]:
    """Return the placement of one scope as the API returns it and the page shows it.

    With ``membership`` (the page), next steps link only to pages the member may open.
    """
    own = report.self_assessment
    factors = []
    for item in report.factors:
        evidence = report.evidence.factor(item.factor)
        self_level = item.self_result.level if item.self_result else None
        factors.append(
            {
                "factor": str(item.factor),
                "name": factor_name(item.factor),
                "self_assessed": self_out(item.self_result),
                "evidence": {
                    "level": level_out(evidence.level),
                    "indicators": [indicator_out(result) for result in evidence.results],
                    "limiting": [result.indicator.key for result in evidence.limiting],
                },
                "comparison": str(item.comparison),
                "message": comparison_message(
                    item.factor, item.comparison, self_level, evidence, evidence.level
                ),
                "next_steps": steps_out(item.steps, organisation.slug, membership),
            }
        )
    self_overall = own.placement.overall.level if own.placement else None
    evidence_overall = report.evidence.overall.level
    return {
        "scope": {
            "unit": report.unit.pk if report.unit else None,
            "name": report.unit.name if report.unit else organisation.name,
        },
        "as_of": report.as_of,
        "instrument_version": report.instrument.version,
        "self_assessment": self_assessment_out(own),
        "overall": {
            "self_assessed": level_out(self_overall),
            "evidence": level_out(evidence_overall),
            "comparison": str(report.overall_comparison),
            "message": comparison_message(
                None, report.overall_comparison, self_overall, None, evidence_overall
            ),
        },
        "factors": factors,
    }


SERIES = (
    ("overall", "series-overall"),
    (Factor.CUSTOMER_FOCUS, "series-focus"),
    (Factor.MEASUREMENT, "series-measurement"),
    (Factor.ENVIRONMENT, "series-environment"),
)


EVIDENCE_SERIES = ("evidence", "series-evidence")


def history_months(
    points: Sequence[HistoryPoint], evidence: Sequence[EvidencePoint]
) -> list[dict[str, Any]]:
    """Return each month with an assessment or a recorded evidence placement, oldest first.

    Each month has the self-assessed level per factor and overall (None without an
    assessment that month) and the overall evidence level: the chart's data and its table.
    """
    months: dict[Any, dict[str, Any]] = {}
    for point in points:
        levels: dict[str, Level | None] = {
            str(result.factor): result.level for result in point.placement.factors
        }
        levels["overall"] = point.placement.overall.level
        months.setdefault(point.month, {"self": {}, "evidence": None})["self"] = levels
        months[point.month]["respondents"] = point.respondents
    for record in evidence:
        months.setdefault(record.month, {"self": {}, "evidence": None})
        months[record.month]["evidence"] = record.levels.get("overall")
    return [
        {
            "month": month,
            "label": date_format(month, "M Y"),
            "self": {key: level_out(level) for key, level in months[month]["self"].items()},
            "self_factors": [
                level_out(months[month]["self"].get(str(factor))) for factor in Factor
            ],
            "evidence": level_out(months[month]["evidence"]),
            "respondents": months[month].get("respondents", 0),
        }
        for month in sorted(months)
    ]


def history_chart(months: Sequence[dict[str, Any]]) -> str:
    """Return the SVG of the placement per month, self-assessed and from the data."""
    if not months:
        return ""
    series = [
        charts.Series(str(key), _("Overall") if key == "overall" else factor_name(key), css)
        for key, css in SERIES
    ]
    series.append(
        charts.Series(EVIDENCE_SERIES[0], _("Overall, from your data"), EVIDENCE_SERIES[1])
    )
    columns = []
    for month in months:
        levels = {key: item["number"] if item else None for key, item in month["self"].items()}
        levels[EVIDENCE_SERIES[0]] = month["evidence"]["number"] if month["evidence"] else None
        columns.append(charts.Column(month["label"], levels))
    return charts.placement_history(
        columns,
        series,
        level_names=[level_name(level) for level in Level],
        title=_("Placement by month, self-assessed and from your data"),
    )


def placement_out(placement: Placement) -> dict[str, Any]:
    """Return one scored set of answers (a person's own assessment) for display."""
    return {
        "overall": level_out(placement.overall.level),
        "answered": placement.answered,
        "total": placement.total,
        "is_all_neutral": placement.is_all_neutral,
        "factors": [
            {"factor": str(result.factor), "name": factor_name(result.factor), **self_out(result)}
            for result in placement.factors
        ],
    }


#: The indicators shown as columns of the units page.
UNIT_COLUMNS = ("touchpoint_coverage", "customer_nps", "employee_pulse_run", "enps")


def unit_row_out(row: UnitRow) -> dict[str, Any]:
    """Return one unit's line of the units page: both placements and the key indicators."""
    own = row.self_assessment
    indicators = {}
    for factor in row.evidence.factors:
        for result in factor.results:
            if result.indicator.key in UNIT_COLUMNS:
                indicators[result.indicator.key] = indicator_out(result)
    return {
        "unit": row.unit,
        "depth": row.unit.depth,
        "self_assessed": level_out(own.placement.overall.level) if own.placement else None,
        "respondents": own.respondents,
        "evidence": level_out(row.evidence.overall.level),
        "factors": [
            {
                "name": factor_name(factor.factor),
                "self_assessed": level_out(own.placement.factor(factor.factor).level)
                if own.placement
                else None,
                "evidence": level_out(factor.level),
            }
            for factor in row.evidence.factors
        ],
        "columns": [indicators[key] for key in UNIT_COLUMNS if key in indicators],
    }
