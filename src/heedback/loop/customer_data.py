"""The loop app's part of a customer's timeline, erasure, export and at-risk reasons.

Declared on ``LoopConfig.customer_data`` (see ``customers/hooks.py``). A case points at a
response, never at a customer, so a merge has nothing to move here: it moves the
responses (``collect.customer_data``) and their cases follow. Erasure keeps what is
counted — status, priority, codes, times, gestures — and blanks the free text people wrote
about the person: the title, notes, call notes, replies and their addresses, the
resolution note, and the outbox messages of the case and of its response.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from heedback.collect.models import Response
from heedback.customers.at_risk import (
    SIGNALS_PER_SOURCE,
    WEIGHT_OPEN_CASE,
    WEIGHT_OVERDUE_CASE,
    RiskSignal,
)
from heedback.customers.models import Customer
from heedback.customers.timeline import TimelineEntry, TimelineWindow
from heedback.loop.choices import OPEN_STATUSES, EventKind
from heedback.loop.models import Case, CaseEvent
from heedback.loop.selectors import case_as_dict, event_as_dict
from heedback.notify.services import blank_messages
from heedback.orgs.models import Organisation

NAME = "cases"


def _cases_of(customer_ids: Iterable[int]) -> QuerySet[Case]:
    return Case.objects.filter(response__customer_id__in=list(customer_ids))


def timeline_entries(customer: Customer, window: TimelineWindow) -> list[TimelineEntry]:
    """Return the customer's cases with their status and outcome, newest first."""
    cases = _cases_of([customer.pk]).select_related("unit", "resolution_code", "owner__user")
    if window.before is not None:
        cases = cases.filter(opened_at__lt=window.before)
    return [_case_entry(case) for case in cases.order_by("-opened_at", "-id")[: window.limit]]


def _case_entry(case: Case) -> TimelineEntry:
    owner = case.owner.user if case.owner_id else None
    return TimelineEntry(
        at=case.opened_at,
        kind="case",
        key=f"case:{case.pk}",
        title=_("Case opened: %(title)s") % {"title": case.title},
        detail=_outcome(case),
        unit=case.unit.name,
        staff=(owner.get_full_name() or owner.email) if owner else "",
        badge=case.get_status_display(),
        badge_class=f"case-{case.status}",
        data={"case_id": case.pk, "response_id": case.response_id},
    )


def _outcome(case: Case) -> str:
    """Return what came of the case in one line: its resolution, or where it stands."""
    if case.resolved_at is not None and not case.is_open:
        parts = [
            _("Resolved on %(day)s") % {"day": formats.date_format(case.resolved_at, "DATE_FORMAT")}
        ]
        if case.resolution_code_id:
            parts.append(case.resolution_code.label)
        if case.resolution_note:
            parts.append(case.resolution_note)
        return " · ".join(parts)
    if case.is_open:
        return _("Open, due %(day)s") % {"day": formats.date_format(case.due_at, "DATE_FORMAT")}
    return case.get_status_display()


def erase_customer(organisation: Organisation, customer_ids: Sequence[int]) -> int:
    """Blank the free text of these customers' cases and their outbox messages."""
    cases = _cases_of(customer_ids).filter(organisation=organisation)
    case_ids = list(cases.values_list("pk", flat=True))
    response_ids = list(
        Response.objects.filter(organisation=organisation, customer_id__in=customer_ids)
        .order_by()
        .values_list("pk", flat=True)
    )
    changed = Case.objects.filter(pk__in=case_ids).update(
        title=_("Case of an erased customer"), resolution_note=""
    )
    events = CaseEvent.objects.filter(case_id__in=case_ids)
    changed += events.filter(kind=EventKind.REPLY).update(body="", detail={})
    changed += events.exclude(kind=EventKind.REPLY).exclude(body="").update(body="")
    changed += blank_messages(
        organisation,
        key_fragments=[
            *(f"case-{pk}-" for pk in case_ids),
            *(f"-response-{pk}-" for pk in response_ids),
        ],
    )
    return changed


def export_customer(customer: Customer) -> list[dict[str, object]]:
    """Return the customer's cases with their logs, as the API speaks them."""
    cases = (
        _cases_of([customer.pk])
        .select_related("owner__user", "escalated_to__user", "resolution_code", "root_cause")
        .prefetch_related("rules", "events")
        .order_by("opened_at", "pk")
    )
    now = timezone.now()
    exported = []
    for case in cases:
        item = case_as_dict(case, now=now)
        item["events"] = [event_as_dict(event) for event in case.events.all()]
        exported.append(_plain(item))
    return exported


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is not None and not isinstance(value, str | int | float | bool):
        return str(value)  # Decimal amounts
    return value


def risk_signals(
    organisation: Organisation, customers: QuerySet[Customer], now: datetime
) -> dict[int, list[RiskSignal]]:
    """Return the customers with unresolved cases: past their deadline first, then oldest."""
    rows = (
        Case.objects.filter(organisation=organisation, status__in=OPEN_STATUSES)
        .filter(response__customer__in=customers)
        .order_by()
        .values("response__customer_id")
        .annotate(
            open_count=Count("pk"),
            overdue_count=Count("pk", filter=Q(due_at__lt=now)),
            oldest=Min("opened_at"),
            latest=Max("opened_at"),
        )
        .order_by("-overdue_count", "oldest")[:SIGNALS_PER_SOURCE]
    )
    signals: dict[int, list[RiskSignal]] = {}
    for row in rows:
        open_count, overdue = row["open_count"], row["overdue_count"]
        if overdue:
            message = ngettext(
                "%(count)d case about their feedback is past its deadline, unresolved.",
                "%(count)d cases about their feedback are past their deadline, unresolved.",
                overdue,
            ) % {"count": overdue}
            weight = WEIGHT_OVERDUE_CASE
            code = "overdue_case"
        else:
            message = ngettext(
                "%(count)d case about their feedback is still open.",
                "%(count)d cases about their feedback are still open.",
                open_count,
            ) % {"count": open_count}
            weight = WEIGHT_OPEN_CASE
            code = "open_case"
        signals[row["response__customer_id"]] = [RiskSignal(code, message, weight, row["latest"])]
    return signals
