"""Case events for webhooks: written to the outbox in the transaction of the change."""

from __future__ import annotations

from datetime import datetime

from heedback.loop.models import Case
from heedback.loop.selectors import case_as_dict
from heedback.notify.models import Webhook
from heedback.notify.services import enqueue_event

CASE_EVENTS = ("case.opened", "case.escalated", "case.resolved", "case.reopened")


def publish(case: Case, event_type: str, *, now: datetime, occasion: str = "") -> None:
    """Tell the organisation's webhooks about ``event_type`` on ``case`` (if any listens).

    ``occasion`` tells repeated events of one case apart (escalation step, reopening).
    """
    if not Webhook.objects.for_org(case.organisation).filter(is_active=True).exists():
        return
    data = case_as_dict(case, now=now)
    text = f"{event_type}: {case.title} ({case.unit.name})"
    key = f"case-{case.pk}-{event_type}{'-' + occasion if occasion else ''}"
    enqueue_event(case.organisation, event_type, {"case": data}, text=text, key=key)
