"""Case services: owners, deadlines, the log, states, resolution, reopening, escalation."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from heedback.core.errors import Conflict, InvalidInput
from heedback.loop import services
from heedback.loop.choices import CaseSource, CaseStatus, EventKind
from heedback.loop.models import BusinessHours, Case, CaseCode, CaseEvent, LoopSettings, Rule
from heedback.loop.services import Actor, CaseOpening, FollowUp, Resolution
from heedback.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db
MONDAY_NOON = datetime(2025, 1, 6, 12, tzinfo=UTC)


def open_for(response, **overrides) -> Case:
    values = {
        "organisation": response.organisation,
        "unit": response.unit,
        "title": "Unhappy guest",
        "response": response,
        "source": CaseSource.STAFF,
    }
    now = overrides.pop("now", MONDAY_NOON)
    return services.open_case(CaseOpening(**{**values, **overrides}), now=now)


def kinds(case: Case) -> list[str]:
    return list(case.events.order_by("at", "pk").values_list("kind", flat=True))


def emails_to(address: str) -> list[OutboxMessage]:
    return [
        message
        for message in OutboxMessage.objects.order_by("pk")
        if message.payload["to"] == [address]
    ]


def test_every_new_organisation_gets_the_default_rules_lists_and_settings(organisation):
    rules = {rule.system_key: rule for rule in Rule.objects.for_org(organisation)}
    assert set(rules) == {"detractor", "public_complaint"}
    detractor, public = rules["detractor"], rules["public_complaint"]
    assert (detractor.is_enabled, detractor.case_priority, detractor.case_due_hours) == (
        True,
        "normal",
        48,
    )
    assert detractor.conditions == [{"kind": "nps_band", "band": "detractor"}]
    assert (public.channels, public.case_priority, public.case_due_hours) == (
        ["review", "social"],
        "high",
        4,
    )
    assert public.conditions == [{"kind": "low_score"}]
    assert CaseCode.objects.for_org(organisation).filter(kind="resolution").count() == 6
    assert CaseCode.objects.for_org(organisation).filter(kind="root_cause").count() == 9
    assert LoopSettings.objects.get(organisation=organisation).gesture_limits["frontline"] == "50"
    services.seed_loop_defaults(organisation)  # again: nothing doubles
    assert Rule.objects.for_org(organisation).count() == 2


def test_the_staff_member_who_served_owns_the_case_and_is_alerted(submit, clerk, manager):
    response = submit(nps=2, served_by=clerk.user)
    case = open_for(response, alert=["owner"])
    assert case.owner == clerk
    assert case.status == CaseStatus.NEW
    assert case.due_at == MONDAY_NOON + timedelta(hours=48)
    assert case.next_escalation_at == case.due_at
    assert kinds(case) == [EventKind.OPENED, EventKind.ALERTED]
    [alert] = emails_to(clerk.user.email)
    assert alert.payload["subject"] == "New case: Unhappy guest"
    assert f"/o/acme/cases/{case.pk}/" in alert.payload["body"]
    assert alert.idempotency_key.startswith(f"case-{case.pk}-opened-")


def test_without_a_staff_member_the_unit_manager_owns_the_case(submit, manager, director):
    case = open_for(submit(nps=2))
    assert case.owner == manager


def test_a_staff_member_who_cannot_work_cases_is_passed_over(
    submit, make_member, organisation, manager
):
    viewer = make_member(organisation, "viewer")
    assert open_for(submit(nps=2, served_by=viewer.user)).owner == manager


def test_nobody_owns_a_case_of_a_unit_without_managers(submit, other_hotel, published_survey):
    case = open_for(submit(nps=2, unit=other_hotel))
    assert case.owner is None


def test_a_rule_deadline_counts_from_arrival_in_the_units_business_hours(
    submit, organisation, region, manager
):
    BusinessHours.objects.create(
        organisation=organisation,
        unit=region,
        weekdays=[0, 1, 2, 3, 4],
        opens=time(9),
        closes=time(17),
    )
    response = submit(nps=2)
    response.received_at = datetime(2025, 1, 10, 16, tzinfo=UTC)  # a Friday, 16:00 in London
    case = open_for(response, source=CaseSource.RULE, due_hours=4, now=MONDAY_NOON)
    assert case.due_at == datetime(2025, 1, 13, 12, tzinfo=UTC)  # 1 h Friday, 3 h Monday


def test_an_invalid_opening_names_every_field_and_opens_nothing(submit, other_organisation):
    response = submit(nps=2)
    with pytest.raises(InvalidInput) as raised:
        open_for(response, title=" ", priority="whenever", due_hours=0)
    assert set(raised.value.errors) == {"title", "priority", "due_hours"}
    assert Case.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_assigning_logs_it_and_tells_the_new_owner(submit, clerk, manager):
    case = open_for(submit(nps=2))
    services.assign_case(case, clerk, actor=Actor(membership=manager), now=MONDAY_NOON)
    case.refresh_from_db()
    assert case.owner == clerk
    event = case.events.get(kind=EventKind.ASSIGNED)
    assert event.detail == {"from": manager.pk, "to": clerk.pk}
    assert event.actor == manager
    [email] = emails_to(clerk.user.email)
    assert email.payload["subject"] == "Case assigned to you: Unhappy guest"


def test_a_case_cannot_go_to_someone_who_does_not_work_cases(
    submit, organisation, make_member, manager
):
    case = open_for(submit(nps=2))
    viewer = make_member(organisation, "viewer")
    with pytest.raises(InvalidInput) as raised:
        services.assign_case(case, viewer, actor=Actor(membership=manager))
    assert raised.value.errors == {"owner": ["Choose a member who works cases."]}
    case.refresh_from_db()
    assert case.owner == manager


def test_a_first_note_starts_the_work(submit, manager):
    case = open_for(submit(nps=2))
    later = MONDAY_NOON + timedelta(hours=1)
    services.add_event(
        case, FollowUp(kind="note", body="Called the desk."), actor=Actor(manager), now=later
    )
    case.refresh_from_db()
    assert (case.status, case.first_action_at) == (CaseStatus.IN_PROGRESS, later)
    assert kinds(case) == ["opened", "note", "status"]
    status = case.events.get(kind="status")
    assert (status.from_status, status.to_status) == ("new", "in_progress")


def test_a_call_records_whether_the_customer_was_reached_and_the_problem_solved(submit, manager):
    case = open_for(submit(nps=2))
    with pytest.raises(InvalidInput) as raised:
        services.add_event(case, FollowUp(kind="call"), actor=Actor(manager))
    assert raised.value.errors == {"reached": ["Say whether the customer was reached."]}
    event = services.add_event(
        case,
        FollowUp(kind="call", reached=True, solved=False, body="Room still cold"),
        actor=Actor(manager),
    )
    assert (event.kind, event.reached, event.solved, event.body) == (
        "call",
        True,
        False,
        "Room still cold",
    )


def test_a_reply_is_emailed_to_the_customer_with_the_owner_to_answer(submit, manager):
    case = open_for(submit(nps=2))
    event = services.add_event(
        case,
        FollowUp(
            kind="reply", body="We are sorry; the heating is fixed.", reply_to="guest@example.org"
        ),
        actor=Actor(manager),
    )
    [email] = emails_to("guest@example.org")
    assert email.idempotency_key == f"case-{case.pk}-event-{event.pk}-reply"
    assert email.payload["body"] == "We are sorry; the heating is fixed."
    assert email.payload["reply_to"] == [manager.user.email]
    with pytest.raises(InvalidInput) as raised:
        services.add_event(
            case, FollowUp(kind="reply", body="x", reply_to="not an address"), actor=Actor(manager)
        )
    assert raised.value.errors == {"reply_to": ["Enter a valid email address."]}


def test_a_gesture_stays_within_the_limit_of_the_role(submit, clerk, manager):
    case = open_for(submit(nps=2))
    services.add_event(
        case, FollowUp(kind="gesture", body="Free breakfast", amount="35"), actor=Actor(clerk)
    )
    with pytest.raises(InvalidInput) as raised:
        services.add_event(
            case, FollowUp(kind="gesture", body="A night", amount="120"), actor=Actor(clerk)
        )
    assert raised.value.errors == {"amount": ["Your role may make gestures up to 50."]}
    services.add_event(
        case, FollowUp(kind="gesture", body="A night", amount="120"), actor=Actor(manager)
    )
    with pytest.raises(InvalidInput):
        services.add_event(
            case, FollowUp(kind="gesture", body="API", amount="5"), actor=Actor(label="API key")
        )
    case.refresh_from_db()
    assert case.gesture_total == Decimal("155.00")
    assert list(case.events.filter(kind="gesture").values_list("amount", flat=True)) == [
        Decimal("35.00"),
        Decimal("120.00"),
    ]


def test_states_follow_the_allowed_transitions(submit, manager):
    case = open_for(submit(nps=2))
    actor = Actor(manager)
    services.change_status(case, CaseStatus.WAITING, actor=actor)
    services.change_status(case, CaseStatus.IN_PROGRESS, actor=actor)
    services.change_status(case, CaseStatus.CLOSED, actor=actor, now=MONDAY_NOON)
    case.refresh_from_db()
    assert (case.status, case.closed_at, case.next_escalation_at) == ("closed", MONDAY_NOON, None)
    with pytest.raises(Conflict) as raised:
        services.change_status(case, CaseStatus.WAITING, actor=actor)
    assert raised.value.message == "A case that is closed cannot become waiting on customer."
    case.refresh_from_db()
    assert case.status == "closed"
    with pytest.raises(InvalidInput):
        services.change_status(case, CaseStatus.RESOLVED, actor=actor)


def test_resolving_needs_a_code_from_the_list_and_stops_the_clock(submit, manager):
    case = open_for(submit(nps=2))
    with pytest.raises(InvalidInput) as raised:
        services.resolve_case(
            case, Resolution(code="magic", root_cause="gremlins"), actor=Actor(manager)
        )
    assert set(raised.value.errors) == {"resolution_code", "root_cause"}
    later = MONDAY_NOON + timedelta(hours=3)
    services.resolve_case(
        case,
        Resolution(code="fixed", root_cause="cleanliness", note="Room cleaned again"),
        actor=Actor(manager),
        now=later,
    )
    case.refresh_from_db()
    assert (case.status, case.resolved_at, case.next_escalation_at) == ("resolved", later, None)
    assert (case.resolution_code.key, case.root_cause.key, case.resolution_note) == (
        "fixed",
        "cleanliness",
        "Room cleaned again",
    )
    assert case.events.get(kind="resolved").detail == {"code": "fixed", "root_cause": "cleanliness"}


def test_reopening_gives_a_fresh_deadline_and_tells_the_owner(submit, manager):
    case = open_for(submit(nps=2))
    services.resolve_case(case, Resolution(code="fixed"), actor=Actor(manager))
    later = MONDAY_NOON + timedelta(days=3)
    services.reopen_case(
        case, reason="The guest says no", actor=Actor(label="re-survey"), now=later
    )
    case.refresh_from_db()
    assert (case.status, case.reopened_count, case.resolved_at) == ("reopened", 1, None)
    assert case.due_at == later + timedelta(hours=48)
    assert (case.next_escalation_at, case.escalation_level) == (case.due_at, 0)
    assert [m.payload["subject"] for m in emails_to(manager.user.email)] == [
        "Case reopened: Unhappy guest"
    ]
    assert (
        OutboxMessage.objects.filter(
            idempotency_key__startswith=f"case-{case.pk}-reopened-1-"
        ).count()
        == 1
    )
    with pytest.raises(Conflict):
        services.reopen_case(case, reason="", actor=Actor(manager))


# --- escalation -----------------------------------------------------------------------------


def test_an_overdue_case_escalates_to_the_owners_manager_then_up_the_tree(
    submit, clerk, manager, director
):
    case = open_for(submit(nps=2, served_by=clerk.user))
    assert services.escalate_overdue(now=case.due_at) == 0  # due, not yet past
    breach = case.due_at + timedelta(minutes=1)
    assert services.escalate_overdue(now=breach) == 1
    assert services.escalate_overdue(now=breach) == 0  # one step per breach
    case.refresh_from_db()
    assert (case.escalation_level, case.escalated_to, case.breached_at) == (1, manager, breach)
    assert case.next_escalation_at == breach + timedelta(hours=24)
    first = case.events.get(kind="escalated")
    assert first.detail == {
        "level": 1,
        "to": [manager.pk],
        "emails": [manager.user.email],
        "unit": manager.unit_id,
    }
    assert [m.payload["subject"] for m in emails_to(manager.user.email)] == [
        "Overdue case escalated: Unhappy guest"
    ]
    assert len(emails_to(clerk.user.email)) == 1  # the owner hears about it too

    second = breach + timedelta(hours=24, minutes=1)
    assert services.escalate_overdue(now=second) == 1
    case.refresh_from_db()
    assert (case.escalation_level, case.escalated_to) == (2, director)
    assert len(emails_to(director.user.email)) == 1

    third = case.next_escalation_at + timedelta(minutes=1)
    assert services.escalate_overdue(now=third) == 1
    case.refresh_from_db()
    assert (case.escalation_level, case.next_escalation_at) == (3, None)
    assert case.events.filter(kind="escalated").last().detail["to"] == []
    assert services.escalate_overdue(now=third + timedelta(days=30)) == 0


def test_a_manager_who_owns_the_case_escalates_to_their_own_manager(submit, manager, director):
    case = open_for(submit(nps=2))
    assert case.owner == manager
    services.escalate_overdue(now=case.due_at + timedelta(seconds=1))
    case.refresh_from_db()
    assert case.escalated_to == director


def test_resolved_and_waiting_cases_do_not_escalate_but_waiting_ones_do(submit, manager, director):
    resolved = open_for(submit(nps=2))
    services.resolve_case(resolved, Resolution(code="fixed"), actor=Actor(manager))
    waiting = open_for(submit(nps=1))
    services.change_status(waiting, CaseStatus.WAITING, actor=Actor(manager))
    assert services.escalate_overdue(now=MONDAY_NOON + timedelta(days=3)) == 1
    assert CaseEvent.objects.filter(kind="escalated").get().case_id == waiting.pk
