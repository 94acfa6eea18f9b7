from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import BaseModel, Field

from heedback.text.schemas import TextAnalysisOut

# The largest id a database row can have (a signed 64-bit integer): a larger one names nothing.
MAX_ID = 2**63 - 1


# The models a batch validates or answers a thousand times are plain pydantic models: a
# ninja ``Schema`` wraps every value in an attribute reader for ORM objects, which costs
# ten times the validation itself. Their OpenAPI description is the same.
class ResponseItem(BaseModel):
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
    customer: str | None = Field(
        default=None,
        max_length=200,
        description="External id of the customer who answered (create it with POST /customers).",
    )
    interaction: str | None = Field(
        default=None,
        max_length=200,
        description="External id of the interaction answered about; names its customer too.",
    )


class ResponseIn(Schema, ResponseItem):
    pass


class BatchIn(Schema):
    """Up to 1,000 responses; each item has the shape of a single response."""

    items: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


class ItemResultOut(BaseModel):
    index: int
    status: str
    id: int | None
    errors: dict[str, list[str]]


class BatchOut(BaseModel):
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
    customer: int | None = Field(description="The customer's id, when known.")
    interaction: int | None = Field(description="The interaction's id, when known.")
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


class ContactIn(Schema):
    email: str = Field(max_length=254)
    name: str = Field(default="", max_length=200)
    external_id: str = Field(default="", max_length=200)
    unit: int | None = None
    staff: str = Field(default="", max_length=254, description="Email of the member who served.")


class CampaignIn(Schema):
    survey: int
    name: str = Field(max_length=200)
    subject: str = Field(
        max_length=200, description="Placeholders: {customer name}, {unit}, {staff member}."
    )
    body: str = Field(max_length=10000)
    send_at: datetime | None = Field(default=None, description="Empty: now.")
    reminder_count: int = 1
    reminder_interval_days: int = 3
    trigger_kind: str = Field(
        default="",
        description="An interaction kind: invite each customer after such an interaction.",
    )
    trigger_delay_minutes: int = 0
    contacts: list[ContactIn] = Field(default_factory=list, max_length=10000)


class ContactsIn(Schema):
    contacts: list[ContactIn] = Field(min_length=1, max_length=10000)


class ContactsOut(Schema):
    created: int
    already_invited: int
    customers_created: int


class CampaignCountsOut(Schema):
    contacts: int
    scheduled: int
    sent: int
    opened: int
    started: int
    completed: int
    bounced: int
    unsubscribed: int
    reminders: int
    skipped: dict[str, int]
    response_rate: float | None


class CampaignOut(Schema):
    id: int
    survey: int
    name: str
    subject: str
    body: str
    send_at: datetime
    reminder_count: int
    reminder_interval_days: int
    trigger_kind: str
    trigger_delay_minutes: int
    counts: CampaignCountsOut


class CampaignFilters(Schema):
    survey: int | None = None
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


class CampaignPage(Schema):
    count: int
    limit: int
    offset: int
    results: list[CampaignOut]


class BounceIn(Schema):
    email: str = Field(max_length=254)


class BounceOut(Schema):
    email: str
    invitations: int


class MentionIn(Schema):
    """A public review or social post, as a connector sends it."""

    channel: Literal["review", "social"]
    site: str = Field(max_length=60, description="Where it was posted: tripadvisor, google, x…")
    posted_at: datetime
    text: str = Field(default="", max_length=5000)
    author_handle: str = Field(default="", max_length=200)
    public_url: str = Field(default="", max_length=2000, description="The post's address.")
    external_id: str = Field(
        default="", max_length=200, description="The site's id of the post (or give public_url)."
    )
    rating: float | None = Field(default=None, description="As given, on its own scale.")
    rating_worst: int = Field(default=1, ge=0, le=100)
    rating_best: int = Field(default=5, ge=1, le=100)
    unit: int | None = Field(default=None, ge=1, le=MAX_ID, description="Empty: the root unit.")
    language: str = Field(default="", max_length=16)
    customer: str = Field(
        default="",
        max_length=200,
        description="The author's external id in your systems, when the connector knows it.",
    )
    author_email: str = Field(
        default="",
        max_length=254,
        description="The author's email, when the site shares it; it leads to the customer "
        "with this email and is not stored.",
    )


class MentionsIn(Schema):
    """One mention, or up to 1,000 in ``items`` (each of the shape of one mention)."""

    items: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


class MentionOut(Schema):
    id: int = Field(description="The response's id.")
    survey: int
    unit: int
    channel: str
    site: str
    author_handle: str
    public_url: str
    external_id: str
    rating: float | None = Field(description="As sent, on rating_worst…rating_best.")
    rating_worst: int | None
    rating_best: int | None
    inbox_rating: int | None = Field(description="The rating on the inbox's 1–5 scale.")
    text: str
    posted_at: datetime
    customer: int | None = Field(description="The customer who wrote it, when known.")


class MentionBatchOut(Schema):
    created: int
    duplicate: int
    invalid: int
    results: list[ItemResultOut]
