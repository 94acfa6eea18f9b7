"""The escalation job: a case past its deadline goes up the unit tree, one recorded step at a time.

Step 1 goes to the owner's manager (the managers of the owner's unit, or above it when
the owner is that manager); each later step, ``escalation_step_hours`` of working time
after the previous one, goes to the managers of the next unit up. Every step is a line
in the case's log and an email through the outbox, in one transaction with the case's
row locked, so two workers never escalate a case twice and a kill loses nothing. When
no one is left above, the last step says so and the case stops escalating.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from heedback.loop import emails
from heedback.loop.choices import OPEN_STATUSES, EventKind
from heedback.loop.models import Case, CaseEvent
from heedback.loop.services.common import SYSTEM, due_after, managers_above, now_or, settings_of
from heedback.loop.services.events import publish
from heedback.orgs.models import Membership, Unit

BATCH = 100


def escalate_overdue(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Take every open case whose deadline (or escalation step) has passed one step up.

    Return how many steps were taken. The worker runs this every few seconds.
    """
    now = now_or(now)
    due = (
        Case.objects.filter(status__in=OPEN_STATUSES, next_escalation_at__lt=now)
        .order_by("next_escalation_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    steps = 0
    for case_id in list(due):
        steps += _escalate_one(case_id, now)
    return steps


def _escalate_one(case_id: int, now: datetime) -> int:
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("organisation", "unit", "owner__user", "owner__unit")
            .filter(pk=case_id, status__in=OPEN_STATUSES, next_escalation_at__lt=now)
            .first()
        )
        if case is None:
            return 0  # another worker holds it, or it changed since it was listed
        escalate_case(case, now=now)
    return 1


def escalate_case(case: Case, *, now: datetime) -> CaseEvent:
    """Take one escalation step on a locked case: log it, email the managers, set the next."""
    contacts = _next_contacts(case)
    level = case.escalation_level + 1
    addresses = [member.user.email for member in contacts]
    if contacts:
        emails.send_escalation(case, addresses, level=level)
        if case.owner_id and case.owner not in contacts:
            emails.send_escalation(case, [case.owner.user.email], level=level)
    event = CaseEvent.objects.create(
        organisation_id=case.organisation_id,
        case=case,
        kind=EventKind.ESCALATED,
        actor_label=SYSTEM.display,
        at=now,
        detail={
            "level": level,
            "to": [member.pk for member in contacts],
            "emails": addresses,
            "unit": contacts[0].unit_id if contacts else None,
        },
    )
    case.escalation_level = level
    case.breached_at = case.breached_at or now
    if contacts:
        case.escalated_to = contacts[0]
        case.escalation_unit = contacts[0].unit
        step_hours = settings_of(case.organisation).escalation_step_hours
        case.next_escalation_at = due_after(now, step_hours, case.unit, case.organisation)
    else:
        case.next_escalation_at = None  # no one above: the top of the tree knows already
    case.updated_at = now
    case.save(
        update_fields=[
            "escalation_level",
            "breached_at",
            "escalated_to",
            "escalation_unit",
            "next_escalation_at",
            "updated_at",
        ]
    )
    publish(case, "case.escalated", now=now, occasion=str(level))
    return event


def _next_contacts(case: Case) -> list[Membership]:
    """Return who the next step goes to: the owner's manager first, then up the tree."""
    exclude = {case.owner_id} if case.owner_id else set()
    if case.escalation_unit_id is None:
        start: Unit | None = case.owner.unit if case.owner_id and case.owner.unit_id else case.unit
        return managers_above(start, exclude)
    if case.escalated_to_id:
        exclude.add(case.escalated_to_id)
    return managers_above(case.escalation_unit.parent, exclude)
