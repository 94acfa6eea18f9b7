"""Reads of the loop app: which cases a member sees, the case list's filters, the inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from heedback.collect.models import Response
from heedback.customers.models import Customer
from heedback.loop.choices import OPEN_STATUSES, CaseStatus, CodeKind
from heedback.loop.models import Case, CaseCode, CaseEvent, Rule
from heedback.orgs.models import Membership, Organisation, Unit
from heedback.orgs.permissions import ROLE_PERMISSIONS, Permission
from heedback.text.choices import ThemeStatus
from heedback.text.models import Theme

# "About to breach": open cases due within this time appear at the top of the inbox.
BREACH_SOON = timedelta(hours=24)
INBOX_CASES = 20
INBOX_FEEDBACK = 10
ROLES_WORKING_CASES = sorted(
    role for role, granted in ROLE_PERMISSIONS.items() if Permission.WORK_CASES in granted
)


def cases_of(organisation: Organisation) -> QuerySet[Case]:
    return Case.objects.for_org(organisation)


def cases_visible_to(membership: Membership) -> QuerySet[Case]:
    """Return the cases a member may see: their unit's subtree (if scoped), and their own.

    A manager escalated to from below sees the case even when it sits in another branch.
    """
    cases = cases_of(membership.organisation)
    if not membership.is_unit_scoped:
        return cases
    return cases.filter(
        Q(unit__path__startswith=membership.unit.path)
        | Q(owner=membership)
        | Q(escalated_to=membership)
    )


@dataclass(frozen=True)
class CaseFilters:
    """The case list's filters. ``status`` is a status, "open" (the default) or "all";
    ``owner`` is a membership id, "me" or "none"."""

    status: str = "open"
    unit: Unit | None = None
    owner: str | int | None = None
    is_overdue: bool = False
    priority: str = ""
    response_id: int | None = None


def filter_cases(
    cases: QuerySet[Case], filters: CaseFilters, *, me: Membership | None, now: datetime
) -> QuerySet[Case]:
    """Apply the filters; open cases come most urgent first, others newest first."""
    if filters.status == "open":
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif filters.status in CaseStatus.values:
        cases = cases.filter(status=filters.status)
    if filters.unit is not None:
        # The subtree's ids as a list, not a subquery: the planner then reads each unit's
        # cases from the (unit, status, due) index instead of scanning the organisation's.
        subtree = list(
            Unit.objects.filter(
                organisation_id=filters.unit.organisation_id, path__startswith=filters.unit.path
            ).values_list("pk", flat=True)
        )
        cases = cases.filter(unit_id__in=subtree)
    if filters.owner == "me":
        cases = cases.filter(owner=me) if me is not None else cases.none()
    elif filters.owner == "none":
        cases = cases.filter(owner__isnull=True)
    elif filters.owner not in (None, ""):
        cases = cases.filter(owner_id=filters.owner)
    if filters.is_overdue:
        cases = cases.filter(status__in=OPEN_STATUSES, due_at__lt=now)
    if filters.priority:
        cases = cases.filter(priority=filters.priority)
    if filters.response_id is not None:
        cases = cases.filter(response_id=filters.response_id)
    if filters.status in ("open", *OPEN_STATUSES):
        return cases.order_by("due_at", "pk")
    return cases.order_by("-opened_at", "-pk")


def for_listing(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Return cases with what a list row shows, in one query."""
    return cases.select_related("unit", "owner__user", "escalated_to__user")


def page_of(cases: QuerySet[Case], number: object, *, per_page: int) -> tuple[Page, list[Case]]:
    """Return a page of ``cases`` and its rows, fetched by id after paging.

    Paging the ids alone walks an index; joining the units and owners only for the 50
    rows shown (a "deferred join") keeps a deep page of 100,000 cases fast.
    """
    page = Paginator(cases.values_list("pk", flat=True), per_page).get_page(number)
    ids = list(page.object_list)
    rows = {case.pk: case for case in for_listing(Case.objects.filter(pk__in=ids))}
    return page, [rows[pk] for pk in ids if pk in rows]


def case_for_page(cases: QuerySet[Case], case_id: int) -> Case:
    """Return a case with its unit, owner, codes and response (raises Case.DoesNotExist)."""
    return cases.select_related(
        "organisation",
        "unit",
        "owner__user",
        "escalated_to__user",
        "resolution_code",
        "root_cause",
        "response__version",
        "response__staff",
        "response__survey",
    ).get(pk=case_id)


def log_of(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor__user").order_by("at", "pk")


@dataclass(frozen=True)
class CustomerHistory:
    """The customer behind a case, with their other feedback and cases, newest first."""

    customer: Customer
    responses: list[Response]
    cases: list[Case]


def customer_history(case: Case, *, limit: int = 10) -> CustomerHistory | None:
    """Return the history of the customer who gave the case's feedback (None if anonymous).

    Three queries: the customer, their other responses, the cases opened by any of their
    responses; the customer page has the whole timeline.
    """
    if case.response_id is None:
        return None
    customer = Customer.objects.filter(responses__pk=case.response_id).first()
    if customer is None or customer.erased_at is not None:
        return None
    responses = list(
        Response.objects.filter(customer=customer)
        .exclude(pk=case.response_id)
        .select_related("unit", "survey")
        .order_by("-submitted_at", "-pk")[:limit]
    )
    cases = list(
        Case.objects.filter(organisation_id=case.organisation_id, response__customer=customer)
        .exclude(pk=case.pk)
        .select_related("unit")
        .order_by("-opened_at", "-pk")[:limit]
    )
    return CustomerHistory(customer=customer, responses=responses, cases=cases)


def nearby_feedback(case: Case, *, limit: int = 5) -> QuerySet[Response]:
    """Return the unit's other recent responses, newest first, to see the case in context.

    Beside an anonymous response's case this is the context there is: the feedback around
    the same place and time.
    """
    responses = Response.objects.filter(organisation_id=case.organisation_id, unit_id=case.unit_id)
    if case.response_id:
        responses = responses.exclude(pk=case.response_id)
    return (
        responses.select_related("unit", "version")
        .prefetch_related("answers")
        .order_by("-submitted_at", "-pk")[:limit]
    )


def codes_of(organisation: Organisation, kind: str) -> QuerySet[CaseCode]:
    return CaseCode.objects.for_org(organisation).filter(kind=kind, is_retired=False)


def resolution_codes(organisation: Organisation) -> QuerySet[CaseCode]:
    return codes_of(organisation, CodeKind.RESOLUTION)


def root_causes(organisation: Organisation) -> QuerySet[CaseCode]:
    return codes_of(organisation, CodeKind.ROOT_CAUSE)


def case_workers(organisation: Organisation) -> QuerySet[Membership]:
    """Return the members who may own cases, by email."""
    return (
        Membership.objects.for_org(organisation)
        .filter(role__in=ROLES_WORKING_CASES)
        .select_related("user", "unit")
        .order_by("user__email")
    )


def themes_to_choose(organisation: Organisation) -> QuerySet[Theme]:
    """Return the themes a rule may name: the organisation's active ones, by name."""
    return Theme.objects.for_org(organisation).filter(status=ThemeStatus.ACTIVE).order_by("name")


def rules_of(organisation: Organisation) -> QuerySet[Rule]:
    return (
        Rule.objects.for_org(organisation).select_related("unit", "survey").order_by("name", "pk")
    )


@dataclass(frozen=True)
class Inbox:
    """A front-line member's page: their cases, what is about to breach, their unit's feedback."""

    mine: list[Case]
    breaching: list[Case]
    feedback: list[Response]
    now: datetime


def inbox_for(membership: Membership, *, now: datetime) -> Inbox:
    """Return what needs ``membership`` now, most urgent first."""
    visible = for_listing(cases_visible_to(membership).filter(status__in=OPEN_STATUSES))
    mine = visible.filter(Q(owner=membership) | Q(escalated_to=membership)).order_by("due_at")
    breaching = visible.filter(due_at__lt=now + BREACH_SOON).order_by("due_at")
    feedback = Response.objects.filter(organisation_id=membership.organisation_id)
    if membership.is_unit_scoped:
        feedback = feedback.filter(unit__path__startswith=membership.unit.path)
    return Inbox(
        mine=list(mine[:INBOX_CASES]),
        breaching=list(breaching[:INBOX_CASES]),
        feedback=list(
            feedback.select_related("unit", "version")
            .prefetch_related("answers")
            .order_by("-submitted_at", "-pk")[:INBOX_FEEDBACK]
        ),
        now=now,
    )


def for_api(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Return cases with everything ``case_as_dict`` reads, in a fixed number of queries."""
    return cases.select_related(
        "owner__user", "escalated_to__user", "resolution_code", "root_cause"
    ).prefetch_related("rules")


def case_as_dict(case: Case, *, now: datetime) -> dict:
    """Return a case as the API speaks it: ids for links, emails for people, keys for codes."""
    return {
        "id": case.pk,
        "title": case.title,
        "status": case.status,
        "priority": case.priority,
        "source": case.source,
        "unit": case.unit_id,
        "response": case.response_id,
        "rules": sorted(rule.pk for rule in case.rules.all()),
        "owner": case.owner.user.email if case.owner_id else None,
        "opened_at": case.opened_at,
        "due_at": case.due_at,
        "is_overdue": case.is_overdue(now),
        "escalation_level": case.escalation_level,
        "escalated_to": case.escalated_to.user.email if case.escalated_to_id else None,
        "first_seen_at": case.first_seen_at,
        "first_action_at": case.first_action_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
        "resolution_code": case.resolution_code.key if case.resolution_code_id else None,
        "root_cause": case.root_cause.key if case.root_cause_id else None,
        "resolution_note": case.resolution_note,
        "gesture_total": case.gesture_total,
        "tags": list(case.tags or []),
    }


def event_as_dict(event: CaseEvent) -> dict:
    return {
        "id": event.pk,
        "kind": event.kind,
        "at": event.at,
        "actor": event.actor_label,
        "body": event.body,
        "reached": event.reached,
        "solved": event.solved,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "amount": event.amount,
        "detail": event.detail,
    }
