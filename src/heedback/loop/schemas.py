from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import Field


class CaseFiltersIn(Schema):
    status: str | None = Field(
        default=None, description="A status, 'open' (new, in progress, waiting, reopened) or 'all'."
    )
    unit: int | None = Field(default=None, description="A unit: its whole subtree.")
    owner: str | None = Field(default=None, description="The owner's email, or 'none'.")
    response: int | None = None
    overdue: bool = False
    priority: str | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class CaseOut(Schema):
    id: int
    title: str
    status: str
    priority: str
    source: str
    unit: int
    response: int | None = Field(description="The response that opened the case.")
    rules: list[int]
    owner: str | None = Field(description="The owner's email.")
    opened_at: datetime
    due_at: datetime
    is_overdue: bool
    escalation_level: int
    escalated_to: str | None
    first_seen_at: datetime | None
    first_action_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution_code: str | None
    root_cause: str | None
    resolution_note: str
    gesture_total: Decimal
    tags: list[str]


class CasePage(Schema):
    count: int
    limit: int
    offset: int
    results: list[CaseOut]


class EventOut(Schema):
    id: int
    kind: str
    at: datetime
    actor: str
    body: str
    reached: bool | None
    solved: bool | None
    from_status: str
    to_status: str
    amount: Decimal | None
    detail: dict[str, Any]


class CaseDetailOut(CaseOut):
    events: list[EventOut]


class CasePatchIn(Schema):
    """Change what is given: ``status`` (not resolved: post a resolve event), ``priority``,
    ``owner`` (an email; null unassigns)."""

    status: str | None = None
    priority: str | None = None
    owner: str | None = Field(default=None, max_length=254)


class EventIn(Schema):
    """A follow-up: ``note`` (body), ``call`` (reached, solved), ``reply`` (body; emailed when
    ``to`` is given), ``resolve`` (resolution_code, root_cause, body as the note), ``reopen``."""

    kind: Literal["note", "call", "reply", "resolve", "reopen"]
    body: str = Field(default="", max_length=10_000)
    reached: bool | None = None
    solved: bool | None = None
    to: str = Field(default="", max_length=254)
    resolution_code: str = Field(default="", max_length=63)
    root_cause: str = Field(default="", max_length=63)


class RuleIn(Schema):
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=500)
    is_enabled: bool = Field(
        default=False, description="Rules start switched off: try them first (GET …/try)."
    )
    conditions: list[dict[str, Any]] = Field(
        default_factory=list,
        description=(
            "All must hold. Each has a kind: nps_band {band, question?}, rating_at_most "
            "{value, question? | domain?}, yes_no {question, equals}, low_score {}; on the "
            "comments as read by the text analysis: sentiment {label? "
            "(positive|neutral|negative|mixed), score_at_most? (-1 to 1)}, theme {theme "
            "(id)}, urgent {reason?}; customer {attribute (value_tier, temperament or a "
            "key of the customer's attributes), one_of | at_least? at_most?}; unit {units "
            "(ids), include_below (default true)}."
        ),
    )
    channels: list[str] = Field(default_factory=list, description="Empty: every channel.")
    unit: int | None = None
    survey: int | None = None
    opens_case: bool = True
    case_priority: str = "normal"
    case_due_hours: int = 48
    alert: list[str] = Field(
        default_factory=list, description="'owner', 'managers' or email addresses."
    )
    tags: list[str] = Field(default_factory=list)
    calls_webhooks: bool = Field(
        default=False,
        description="Send a 'rule.matched' event (rule, response, case) to the webhooks.",
    )


class RuleOut(Schema):
    id: int
    name: str
    description: str
    is_enabled: bool
    is_default: bool
    conditions: list[dict[str, Any]]
    channels: list[str]
    unit: int | None
    survey: int | None
    opens_case: bool
    case_priority: str
    case_due_hours: int
    alert: list[str]
    tags: list[str]
    calls_webhooks: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_unit(rule) -> int | None:
        return rule.unit_id

    @staticmethod
    def resolve_survey(rule) -> int | None:
        return rule.survey_id

    @staticmethod
    def resolve_is_default(rule) -> bool:
        return bool(rule.system_key)


class TrialOut(Schema):
    days: int
    examined: int
    matched: int
    would_open_cases: int
    is_truncated: bool
    by_unit: dict[str, int]
    responses: list[int] = Field(description="The newest matching responses (at most 20).")


class WebhookIn(Schema):
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    events: list[str] = Field(
        default_factory=list,
        description="Event types (case.opened, case.escalated, case.resolved, case.reopened); "
        "empty: all.",
    )
    format: Literal["standard", "slack"] = "standard"


class WebhookOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    format: str
    is_active: bool
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="The signing secret (Standard Webhooks); shown only once.")


class LoopMetricsIn(Schema):
    from_: date | None = Field(
        default=None, alias="from", description="First day (organisation's time zone)."
    )
    to: date | None = Field(default=None, description="Last day, included; default today.")
    unit: int | None = Field(default=None, description="A unit: its whole subtree.")
    group_by: Literal["unit", "owner"] = "unit"


class LoopFiguresOut(Schema):
    cases: int = Field(description="Cases opened in the period.")
    first_action_hours: float | None = Field(description="Mean hours to a person's first action.")
    resolution_hours: float | None = Field(description="Mean hours to resolved or closed.")
    within_deadline_share: float | None = Field(
        description="% of cases done by their deadline, among those done or past it."
    )
    detractors_followed_share: float | None = Field(
        description="% of the period's detractors reached by a call or sent a reply."
    )
    resurvey_solved_share: float | None = Field(
        description="% of re-survey answers saying the problem is solved."
    )
    front_line_hours: float | None = Field(
        description="Mean hours from the feedback stored to its owner first seeing the case."
    )
    acted_on_share: float | None = Field(
        description="% of cases opened by feedback that someone acted on."
    )


class LoopMetricsRowOut(Schema):
    key: str
    label: str
    unit: int | None
    owner: str | None = Field(description="The owner's email (group_by=owner).")
    figures: LoopFiguresOut


class RootCauseOut(Schema):
    key: str
    label: str
    count: int


class LoopMetricsOut(Schema):
    from_: date = Field(alias="from")
    to: date
    unit: int | None
    group_by: str
    total: LoopFiguresOut
    rows: list[LoopMetricsRowOut]
    root_causes: list[RootCauseOut]
