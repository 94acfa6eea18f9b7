from __future__ import annotations

from datetime import date

from ninja import Schema
from pydantic import Field


class MetricFilters(Schema):
    survey: int
    metric: str
    question: str | None = None
    group_by: str = "none"
    unit: int | None = None
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    # Optional comparison: another period, given by dates or as "previous" (same length).
    compare: str | None = None
    compare_from: date | None = None
    compare_to: date | None = None
    correction: str = "bh"


class MetricRowOut(Schema):
    group: str | None
    label: str
    value: float | None
    n: int
    ci_low: float | None
    ci_high: float | None


class ComparedRowOut(Schema):
    """A group in the comparison period, and first period minus comparison period."""

    group: str | None
    value: float | None
    n: int
    difference: float | None
    standard_error: float | None
    statistic: float | None
    p_value: float | None
    adjusted_p_value: float | None
    is_significant: bool


class ComparisonOut(Schema):
    compare_from: date | None
    compare_to: date | None
    correction: str
    minimum_sample: int
    results: list[ComparedRowOut]


class MetricOut(Schema):
    metric: str
    question: str | None
    unit: str
    results: list[MetricRowOut]
    comparison: ComparisonOut | None = None


class ScorecardFilters(Schema):
    survey: int
    unit: int | None = None
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    correction: str = "bh"


class ScorecardDomainOut(Schema):
    key: str
    name: str


class ScorecardUnitOut(Schema):
    id: int
    name: str
    is_top: bool


class ScorecardCellOut(Schema):
    unit: int
    domain: str
    score: float | None
    n: int
    previous_score: float | None
    previous_n: int
    change: float | None
    p_value: float | None
    adjusted_p_value: float | None
    is_significant: bool
    is_small: bool


class ScorecardOut(Schema):
    survey: int
    date_from: date
    date_to: date
    previous_from: date
    previous_to: date
    minimum_sample: int
    correction: str
    domains: list[ScorecardDomainOut]
    units: list[ScorecardUnitOut]
    cells: list[ScorecardCellOut]
