"""The evaluation job: each response once, from a watermark, whatever the workers do."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from heedback.collect.models import Response
from heedback.core.errors import InvalidInput
from heedback.loop import services
from heedback.loop.models import (
    Case,
    EvaluatedResponse,
    EvaluationCursor,
    ResponseTag,
    Rule,
    RuleMatch,
)
from heedback.loop.services import Actor, RuleInput
from heedback.loop.services import evaluation as evaluation_module
from heedback.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_a_detractor_opens_one_case_with_its_owner_deadline_and_alert(submit, clerk, manager):
    response = submit(nps=3, served_by=clerk.user)
    now = timezone.now()
    assert services.evaluate_new_responses(now=now) == 1
    assert services.evaluate_new_responses(now=now) == 0
    case = Case.objects.get()
    detractor = Rule.objects.get(system_key="detractor")
    assert (case.response, case.owner, case.priority, case.source) == (
        response,
        clerk,
        "normal",
        "rule",
    )
    assert case.title == "Every detractor · Harbour Hotel · NPS 3"
    assert case.due_at == response.received_at + timedelta(hours=48)
    assert list(case.rules.all()) == [detractor]
    assert RuleMatch.objects.get().case == case
    assert EvaluatedResponse.objects.get().matched == 1
    [alert] = OutboxMessage.objects.all()
    assert alert.payload["to"] == [clerk.user.email]
    assert "rule: Every detractor" in alert.payload["body"]


def test_a_passive_is_evaluated_and_left_alone(submit):
    submit(nps=7)
    assert services.evaluate_new_responses() == 1
    assert Case.objects.count() == 0
    assert EvaluatedResponse.objects.get().matched == 0


def test_a_public_complaint_opens_one_urgent_case_for_both_rules(submit, manager, director):
    response = submit(nps=2, channel="review", staff=1)
    services.evaluate_new_responses()
    case = Case.objects.get()
    assert (case.priority, case.due_at) == ("high", response.received_at + timedelta(hours=4))
    assert case.title.startswith("Every public complaint · Harbour Hotel")
    assert sorted(case.rules.values_list("system_key", flat=True)) == [
        "detractor",
        "public_complaint",
    ]
    assert case.tags == ["public"]
    assert list(ResponseTag.objects.values_list("tag", flat=True)) == ["public"]
    assert RuleMatch.objects.filter(case=case).count() == 2
    # The owner (the manager) and the unit's managers, once each.
    assert sorted(m.payload["to"][0] for m in OutboxMessage.objects.all()) == [manager.user.email]


def test_a_low_rating_on_a_review_site_is_a_public_complaint_without_an_nps(submit, manager):
    submit(nps=8, channel="social", room_cleanliness=2)
    services.evaluate_new_responses()
    case = Case.objects.get()
    assert (case.priority, case.title) == (
        "high",
        "Every public complaint · Harbour Hotel · NPS 8, 2/5",
    )
    assert list(case.rules.values_list("system_key", flat=True)) == ["public_complaint"]


def test_disabled_rules_and_rules_of_other_units_do_not_act(
    submit, organisation, other_hotel, admin
):
    Rule.objects.filter(system_key="public_complaint").update(is_enabled=False)
    services.set_rule_enabled(Rule.objects.get(system_key="detractor"), False, actor=Actor(admin))
    services.create_rule(
        organisation,
        RuleInput(
            name="Hill only", conditions=[{"kind": "low_score"}], unit=other_hotel, is_enabled=True
        ),
        actor=Actor(admin),
    )
    submit(nps=0, channel="review")
    services.evaluate_new_responses()
    assert Case.objects.count() == 0


def test_old_feedback_is_recorded_but_opens_no_case(submit):
    submit(nps=1, submitted_at=timezone.now() - timedelta(days=40))
    assert services.evaluate_new_responses() == 1
    assert Case.objects.count() == RuleMatch.objects.count() == 0
    assert EvaluatedResponse.objects.count() == 1


def test_a_rule_that_only_alerts_sends_a_feedback_alert(submit, organisation, admin, manager):
    Rule.objects.update(is_enabled=False)
    services.create_rule(
        organisation,
        RuleInput(
            name="Food complaints",
            conditions=[{"kind": "rating_at_most", "value": 2, "domain": "quality"}],
            opens_case=False,
            alert=["managers", "chef@example.com"],
            tags=["food"],
            is_enabled=True,
        ),
        actor=Actor(admin),
    )
    response = submit(nps=9, food_quality=1, comment="Cold soup")
    services.evaluate_new_responses()
    assert Case.objects.count() == 0
    assert RuleMatch.objects.get().case is None
    assert ResponseTag.objects.get().tag == "food"
    sent = {m.payload["to"][0]: m for m in OutboxMessage.objects.all()}
    assert set(sent) == {"chef@example.com", manager.user.email}
    assert sent["chef@example.com"].payload["subject"] == "Feedback alert: Food complaints"
    assert "Cold soup" in sent["chef@example.com"].payload["body"]
    assert sent["chef@example.com"].idempotency_key.startswith(
        f"rule-{RuleMatch.objects.get().rule_id}-response-{response.pk}-"
    )


def test_the_watermark_moves_only_over_settled_evaluated_responses(submit):
    first, second, third = submit(nps=9), submit(nps=9), submit(nps=9)
    now = timezone.now()
    services.evaluate_new_responses(now=now)
    assert EvaluationCursor.objects.get().position == 0  # all received in the last ten minutes
    # A response whose evaluation is lost (as if its transaction had not committed when the
    # others were evaluated) holds the watermark back.
    EvaluatedResponse.objects.filter(response=second).delete()
    later = now + timedelta(minutes=11)
    services.evaluate_new_responses(now=later, limit=0)
    assert EvaluationCursor.objects.get().position == first.pk
    services.evaluate_new_responses(now=later)
    assert EvaluationCursor.objects.get().position == third.pk
    assert EvaluatedResponse.objects.count() == 3


def test_a_response_committed_late_below_the_watermark_candidates_is_still_evaluated(submit):
    late = submit(nps=2)
    early = submit(nps=2)
    EvaluatedResponse.objects.create(response=early)  # seen first, as if it committed first
    services.evaluate_new_responses()
    assert list(Case.objects.values_list("response_id", flat=True)) == [late.pk]


def test_two_workers_interleaved_open_one_case(submit, manager):
    response = submit(nps=1)
    rules = list(Rule.objects.filter(is_enabled=True))
    now = timezone.now()
    # Worker A lists the response, then worker B evaluates everything, then A goes on.
    listed = Response.objects.get(pk=response.pk)
    assert services.evaluate_new_responses(now=now) == 1
    assert services.evaluate_response(listed, rules, now=now) == 0
    assert Case.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_a_response_the_rules_cannot_handle_is_recorded_and_the_others_go_on(submit, monkeypatch):
    broken, fine = submit(nps=1), submit(nps=2)
    real = evaluation_module.act_on

    def act_on(response, rules, *, now, text=None):
        if response.pk == broken.pk:
            raise ValueError("a bad definition")
        return real(response, rules, now=now, text=text)

    monkeypatch.setattr(evaluation_module, "act_on", act_on)
    assert services.evaluate_new_responses() == 1
    assert list(Case.objects.values_list("response_id", flat=True)) == [fine.pk]
    assert EvaluatedResponse.objects.get(response=broken).error == "ValueError('a bad definition')"
    assert services.evaluate_new_responses() == 0


def test_the_worker_runs_evaluation_and_escalation():
    from heedback.ops.management.commands.worker import periodic_jobs

    jobs = periodic_jobs()
    assert services.evaluate_new_responses in jobs
    assert services.escalate_overdue in jobs


# --- trying a rule --------------------------------------------------------------------------


def test_trying_a_rule_shows_what_it_would_have_done_and_writes_nothing(
    submit, organisation, admin, other_hotel
):
    now = timezone.now()
    submit(nps=1, staff=2)
    submit(nps=2, unit=other_hotel)
    submit(nps=9, staff=1)
    submit(nps=9)
    submit(nps=1, submitted_at=now - timedelta(days=31))
    rule = services.draft_rule(
        organisation,
        RuleInput(
            name="Staff", conditions=[{"kind": "rating_at_most", "value": 2, "question": "staff"}]
        ),
    )
    result = services.try_rule(organisation, rule, now=now)
    assert (result.examined, result.matched, result.is_truncated) == (4, 2, False)
    assert result.by_unit == {"Harbour Hotel": 2}
    detractors = services.try_rule(organisation, Rule.objects.get(system_key="detractor"), now=now)
    assert (detractors.matched, detractors.by_unit) == (2, {"Harbour Hotel": 1, "Hill Hotel": 1})
    assert (
        Case.objects.count() == RuleMatch.objects.count() == EvaluatedResponse.objects.count() == 0
    )
    assert Rule.objects.for_org(organisation).count() == 2


def test_an_invalid_rule_names_every_problem(organisation, admin):
    with pytest.raises(InvalidInput) as raised:
        services.create_rule(
            organisation,
            RuleInput(
                name="",
                conditions=[{"kind": "nps_band", "band": "angry"}],
                channels=["carrier pigeon"],
                case_priority="asap",
                case_due_hours=0,
                alert=["someone"],
                tags=["Not a tag!"],
            ),
            actor=Actor(admin),
        )
    assert set(raised.value.errors) == {
        "name",
        "conditions.0.band",
        "channels",
        "case_priority",
        "case_due_hours",
        "alert.0",
        "tags.0",
    }
    assert Rule.objects.for_org(organisation).count() == 2


# --- several workers for real -----------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's shared in-memory test database refuses concurrent writers; "
    "test_workers.py races two worker processes on an SQLite file instead",
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_evaluating_at_once_open_one_case_per_detractor(submit, manager):
    responses = [submit(nps=index % 7) for index in range(30)]
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            results.append(services.evaluate_new_responses())
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(results) == 30
    assert Case.objects.count() == 30
    assert sorted(Case.objects.values_list("response_id", flat=True)) == [r.pk for r in responses]
    assert OutboxMessage.objects.count() == 30
