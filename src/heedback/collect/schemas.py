from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from heedback.text.schemas import TextAnalysisOut

# The largest id a database row can have (a signed 64-bit integer): a larger one names nothing.
MAX_ID = 2**63 - 1


class ResponseIn(Schema):
    idempotency_key: str = Field(min_length=1, max_length=128)
    answers: dict[str, Any] = Field(default_factory=dict)
    unit: int = Field(ge=1, le=MAX_ID)
    channel: str = "api"
    submitted_at: datetime | None = None
    comment: str = Field(default="", max_length=5000)
    language: str = Field(default="", max_length=16)
    staff: str | None = Field(
        default=None, max_length=254, description="Email of the member who served the customer."
    )
    external_id: str = Field(default="", max_length=200)


class BatchIn(Schema):
    """Up to 1,000 responses; each item has the shape of a single response."""

    items: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


class ItemResultOut(Schema):
    index: int
    status: str
    id: int | None
    errors: dict[str, list[str]]


class BatchOut(Schema):
    created: int
    duplicate: int
    invalid: int
    results: list[ItemResultOut]


class ResponseOut(Schema):
    id: int
    survey: int
    version: int
    unit: int
    channel: str
    idempotency_key: str
    submitted_at: datetime
    received_at: datetime
    language: str
    comment: str
    staff: str | None
    external_id: str
    answers: dict[str, Any]
    text_analysis: TextAnalysisOut | None = Field(
        default=None, description="What the worker read in the texts; null until it has."
    )


class ResponseFilters(Schema):
    unit: int | None = None
    channel: str | None = None
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class ResponsePage(Schema):
    count: int
    limit: int
    offset: int
    results: list[ResponseOut]


class LinkOut(Schema):
    unit: int
    unit_name: str
    token: str
    short_code: str
    url: str
    is_active: bool


class ExportFilters(Schema):
    """The results page's filters, and the file format of the export."""

    format: Literal["csv", "xlsx", "parquet"] = "csv"
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    unit: int | None = None
    channel: str | None = None
