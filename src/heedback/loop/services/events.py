"""Case events for webhooks: written to the outbox in the transaction of the change."""

from __future__ import annotations

from datetime import datetime

from heedback.loop.models import Case
from heedback.loop.selectors import case_as_dict
from heedback.notify.services import enqueue_event, listening_webhooks

CASE_EVENTS = ("case.opened", "case.escalated", "case.resolved", "case.reopened")
RULE_MATCHED = "rule.matched"


def publish(case: Case, event_type: str, *, now: datetime, occasion: str = "") -> None:
    """Tell the organisation's webhooks about ``event_type`` on ``case`` (if any listens).

    ``occasion`` tells repeated events of one case apart (escalation step, reopening).
    """
    webhooks = listening_webhooks(case.organisation, event_type)
    if not webhooks:
        return
    data = case_as_dict(case, now=now)
    text = f"{event_type}: {case.title} ({case.unit.name})"
    key = f"case-{case.pk}-{event_type}{'-' + occasion if occasion else ''}"
    enqueue_event(
        case.organisation, event_type, {"case": data}, text=text, key=key, webhooks=webhooks
    )


def publish_match(response, rule, case: Case | None, *, summary: str) -> None:
    """Tell the webhooks that ``rule`` held for ``response`` (a rule's "call a webhook")."""
    webhooks = listening_webhooks(response.organisation, RULE_MATCHED)
    if not webhooks:
        return
    data = {
        "rule": {"id": rule.pk, "name": rule.name, "tags": rule.tags},
        "response": {
            "id": response.pk,
            "survey": response.survey_id,
            "unit": response.unit_id,
            "channel": response.channel,
            "submitted_at": response.submitted_at.isoformat(),
            "scores": summary,
        },
        "case": case.pk if case is not None else None,
    }
    text = f"{RULE_MATCHED}: {rule.name} ({response.unit.name}, {summary})"
    enqueue_event(
        response.organisation,
        RULE_MATCHED,
        data,
        text=text,
        key=f"rule-{rule.pk}-response-{response.pk}",
        webhooks=webhooks,
    )
