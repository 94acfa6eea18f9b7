from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from heedback.customers.choices import InteractionKind, Temperament

AttributeValue = str | int | float | bool | None


class CustomerIn(Schema):
    """A customer, found by ``external_id`` (else by ``email``) and created or updated.

    Only the fields sent change; send ``null`` or ``""`` to clear one.
    """

    model_config = ConfigDict(extra="forbid")

    external_id: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    value_tier: str | None = Field(default=None, max_length=40)
    attributes: dict[str, Any] | None = Field(
        default=None,
        description="Up to 50 names with text, number, true/false or null values.",
    )
    temperament: Temperament | None = None


class InteractionIn(Schema):
    """A visit, order, stay or service call; a repeat of ``external_id`` is not stored twice."""

    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(min_length=1, max_length=200)
    customer: str = Field(min_length=1, max_length=200, description="The customer's external id.")
    kind: InteractionKind
    occurred_at: datetime = Field(
        description="ISO 8601; without an offset it is read in the organisation's time zone."
    )
    unit: int | None = None
    staff: str | None = Field(
        default=None, max_length=254, description="Email of the member who served the customer."
    )
    value: Decimal | None = Field(
        default=None, max_digits=14, decimal_places=2, description="Revenue, e.g. 42.50."
    )


class ItemResultOut(Schema):
    index: int
    status: str
    id: int | None
    errors: dict[str, list[str]]


class CustomerBatchOut(Schema):
    created: int
    updated: int
    unchanged: int
    invalid: int
    results: list[ItemResultOut]


class InteractionBatchOut(Schema):
    created: int
    duplicate: int
    invalid: int
    results: list[ItemResultOut]


class ReasonOut(Schema):
    code: str
    message: str


class RhythmOut(Schema):
    basis: str
    visits: int
    gaps: int
    typical_gap_days: float | None
    at_risk_after_days: float | None
    lapse_after_days: float | None


class CustomerOut(Schema):
    id: int
    external_id: str
    email: str
    name: str
    phone: str
    value_tier: str
    attributes: dict[str, AttributeValue]
    temperament: str | None
    temperament_source: str | None
    temperament_set_by: str | None
    temperament_set_at: datetime | None
    merged_into: int | None
    created_at: datetime
    updated_at: datetime
    first_interaction_at: datetime | None
    last_interaction_at: datetime | None
    lapsed: bool
    lapsed_since: datetime | None
    at_risk: bool
    at_risk_since: datetime | None
    reasons: list[ReasonOut]
    rhythm: RhythmOut
    lapse_pending: bool = Field(
        description="New interactions arrived and the stored rhythm awaits the worker."
    )


class CustomerFiltersIn(Schema):
    lapsed: bool | None = None
    at_risk: bool | None = None
    q: str | None = Field(default=None, max_length=200, description="Name, email, id or phone.")
    temperament: Temperament | None = None
    value_tier: str | None = Field(default=None, max_length=40)
    unit: int | None = Field(default=None, description="Customers served in this unit's subtree.")
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class CustomerPage(Schema):
    count: int
    limit: int
    offset: int
    results: list[CustomerOut]


class InteractionOut(Schema):
    id: int
    external_id: str
    customer: int
    customer_external_id: str
    kind: str
    occurred_at: datetime
    unit: int | None
    staff: str | None
    value: Decimal | None
    recorded_at: datetime


class RiskReasonOut(Schema):
    code: str
    message: str
    since: datetime | None = None


class AtRiskOut(Schema):
    id: int
    external_id: str
    name: str
    email: str
    phone: str
    score: int = Field(description="Sum of the reasons' weights: the rank of the list.")
    reasons: list[RiskReasonOut]


class AtRiskPage(Schema):
    count: int
    results: list[AtRiskOut]
