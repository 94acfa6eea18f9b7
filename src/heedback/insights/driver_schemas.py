"""Schemas of ``GET /api/v1/drivers`` and ``GET /api/v1/perception-gap``."""

from __future__ import annotations

from datetime import date

from ninja import Schema
from pydantic import Field

from heedback.insights.driver_selectors import DriverResult
from heedback.insights.gap import GapCell
from heedback.insights.gap_selectors import GapResult


class DriverFilters(Schema):
    survey: int
    outcome: str | None = None
    unit: int | None = None
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    bootstrap: bool = False


class IntervalOut(Schema):
    low: float
    high: float


class DriverRowOut(Schema):
    key: str
    text: str
    domain: str | None
    beta: float
    standard_error: float
    t: float
    p_value: float
    is_significant: bool
    vif: float
    shapley: float | None = Field(description="The driver's part of R² (general dominance).")
    share_of_r_squared: float | None
    performance: float | None = Field(description="Mean rating as a score from 0 to 100.")
    answered: int
    quadrant: str | None = Field(
        description="fix_first, keep_up, possible_overkill or low_priority."
    )
    share_interval: IntervalOut | None = Field(
        default=None, description="Bootstrap percentile interval (only with bootstrap=true)."
    )
    beta_interval: IntervalOut | None = None


class FitWarningOut(Schema):
    code: str
    values: dict


class BootstrapOut(Schema):
    rows: int
    replicates: int
    failed: int
    seed: int
    level: float


class DriversOut(Schema):
    outcome: str
    n: int = Field(description="Responses in the model: the smallest pairwise count.")
    r_squared: float | None
    adjusted_r_squared: float | None
    condition_number: float | None
    problem: str | None = Field(description="Why no model could be fitted, or null.")
    warnings: list[FitWarningOut]
    drivers: list[DriverRowOut]
    bootstrap: BootstrapOut | None


class GapFilters(Schema):
    unit: int | None = None
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None


class GapCellOut(Schema):
    domain: str
    staff: float = Field(description="Staff self-rating, mean score 0–100.")
    customers: float = Field(description="Customers' rating, mean score 0–100.")
    gap: float
    staff_n: int
    customers_n: int
    p_value: float | None = Field(description="Welch's t-test, before correction.")
    adjusted_p_value: float | None = Field(description="After Holm's correction.")
    is_significant: bool
    is_small: bool
    sentence: str


class UnitGapOut(Schema):
    unit: int
    name: str
    domains: list[GapCellOut]


class GapOut(Schema):
    domains: list[GapCellOut]
    units: list[UnitGapOut]


def _interval(interval) -> dict | None:
    return None if interval is None else {"low": interval.low, "high": interval.high}


def drivers_out(result: DriverResult) -> dict:
    """Return a driver analysis as ``DriversOut`` reads it."""
    resampled = result.bootstrap
    return {
        "outcome": result.outcome.key,
        "n": result.n,
        "r_squared": result.r_squared,
        "adjusted_r_squared": result.adjusted_r_squared,
        "condition_number": result.condition_number,
        "problem": result.problem,
        "warnings": [
            {"code": warning.code, "values": dict(warning.values)} for warning in result.warnings
        ],
        "drivers": [
            {
                **{
                    name: getattr(row, name)
                    for name in (
                        "key",
                        "text",
                        "domain",
                        "beta",
                        "standard_error",
                        "t",
                        "p_value",
                        "is_significant",
                        "vif",
                        "shapley",
                        "performance",
                        "answered",
                        "quadrant",
                    )
                },
                "share_of_r_squared": row.share,
                "share_interval": _interval(row.share_interval),
                "beta_interval": _interval(row.beta_interval),
            }
            for row in result.rows
        ],
        "bootstrap": None
        if resampled is None
        else {
            "rows": resampled.rows,
            "replicates": resampled.replicates,
            "failed": resampled.failed,
            "seed": resampled.seed,
            "level": resampled.level,
        },
    }


def _cell(result: GapResult, cell: GapCell) -> dict:
    return {
        "domain": cell.domain,
        "staff": cell.staff.mean,
        "customers": cell.customers.mean,
        "gap": cell.gap,
        "staff_n": cell.staff.n,
        "customers_n": cell.customers.n,
        "p_value": cell.test.p_value if cell.test else None,
        "adjusted_p_value": cell.adjusted_p_value,
        "is_significant": cell.is_significant,
        "is_small": cell.is_small,
        "sentence": result.sentence(cell),
    }


def gap_out(result: GapResult) -> dict:
    """Return a perception gap as ``GapOut`` reads it."""
    return {
        "domains": [_cell(result, cell) for cell in result.total],
        "units": [
            {
                "unit": row.unit.pk,
                "name": row.unit.name,
                "domains": [_cell(result, cell) for cell in row.cells],
            }
            for row in result.units
        ],
    }
