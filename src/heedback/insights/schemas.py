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


class MetricRowOut(Schema):
    group: str | None
    label: str
    value: float | None
    n: int
    ci_low: float | None
    ci_high: float | None


class MetricOut(Schema):
    metric: str
    question: str | None
    unit: str
    results: list[MetricRowOut]
