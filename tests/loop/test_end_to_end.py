"""The loop end to end, through the API and a real SMTP server on loopback, time controlled.

A detractor is submitted → the worker evaluates it → a case is opened → the owner's alert
arrives → the deadline passes → the escalation reaches the manager → the case is resolved
→ the customer's re-survey email arrives → the customer answers "no" through the emailed
link → the worker reads the answer → the case is reopened and its owner told.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from heedback.loop.models import Case
from heedback.notify.services import deliver_due
from heedback.ops.management.commands.worker import periodic_jobs

pytestmark = pytest.mark.django_db


def test_a_detractor_is_followed_up_escalated_and_resolved(
    api, published_survey, hotel, clerk, manager, director, smtp_server
):
    guest = api.post(
        "/api/v1/customers",
        {"external_id": "G-1", "email": "guest@example.com", "name": "Gail Guest"},
    )
    assert guest.status_code == 201
    submitted = api.post(
        f"/api/v1/surveys/{published_survey.pk}/responses",
        {
            "idempotency_key": "e2e-1",
            "unit": hotel.pk,
            "answers": {"nps": 2, "staff": 1},
            "comment": "Nobody helped with our luggage.",
            "staff": clerk.user.email,
            "customer": "G-1",
        },
    )
    assert submitted.status_code == 201
    response_id = submitted.json()["id"]

    # One round of the worker's periodic jobs: the loop's run before the outbox's delivery,
    # so the alert leaves in the round that opens the case. (The jobs are called directly:
    # the worker's connection handling would end the test's transaction on PostgreSQL.)
    for job in periodic_jobs():
        job()
    [case] = api.get("/api/v1/cases", {"response": response_id}).json()["results"]
    assert (case["status"], case["owner"], case["priority"]) == ("new", clerk.user.email, "normal")
    [alert] = smtp_server.messages
    assert alert["To"] == clerk.user.email
    assert alert["Subject"].strip() == "New case: Every detractor · Harbour Hotel · NPS 2, 1/5"
    assert alert["Message-ID"].startswith(f"<case-{case['id']}-opened-")

    breach = Case.objects.get(pk=case["id"]).due_at + timedelta(minutes=5)
    from heedback.loop.services import escalate_overdue

    assert escalate_overdue(now=breach) == 1
    assert deliver_due(now=breach) == 2
    escalations = {message["To"]: message for message in smtp_server.messages[1:]}
    assert set(escalations) == {manager.user.email, clerk.user.email}
    assert escalations[manager.user.email]["Subject"].strip().startswith("Overdue case escalated: ")
    detail = api.get(f"/api/v1/cases/{case['id']}").json()
    assert (detail["escalation_level"], detail["escalated_to"]) == (1, manager.user.email)
    assert [event["kind"] for event in detail["events"]] == ["opened", "alerted", "escalated"]

    called = api.post(
        f"/api/v1/cases/{case['id']}/events",
        {"kind": "call", "reached": True, "solved": True, "body": "Apologised; sent a voucher."},
    )
    assert called.status_code == 201
    resolved = api.post(
        f"/api/v1/cases/{case['id']}/events",
        {"kind": "resolve", "resolution_code": "apologised", "root_cause": "staff_behaviour"},
    )
    assert resolved.status_code == 201
    final = api.get(f"/api/v1/cases/{case['id']}").json()
    assert (final["status"], final["resolution_code"], final["root_cause"]) == (
        "resolved",
        "apologised",
        "staff_behaviour",
    )
    assert escalate_overdue(now=breach + timedelta(days=5)) == 0  # resolved: no more steps

    # The re-survey left with the resolution; the next delivery hands it to SMTP.
    deliver_due(now=timezone.now() + timedelta(days=10))
    assert len(smtp_server.messages) == 4
    resurvey = smtp_server.messages[3]
    assert resurvey["To"] == "guest@example.com"
    assert resurvey["Subject"].strip() == "Is your problem solved?"
    assert resurvey["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = resurvey.get_body(preferencelist=("plain",)).get_content()
    assert "Hello Gail Guest," in text
    assert "Not satisfied? Contact the person responsible or their manager: " in text
    link = re.search(r"(/i/[A-Za-z0-9_-]{20,}/)", text).group(1)

    customer = Client()
    opened = customer.get(link)
    assert opened.status_code == 302
    page = customer.get(opened["Location"])
    assert page.status_code == 200
    assert "Is your problem solved?" in page.content.decode()
    invitation_id = page.context["invitation"].pk
    answered = customer.post(
        "/i/",
        {
            "invitation": invitation_id,
            "revision": page.context["revision"],
            "action": "send",
            "q_problem_solved": "no",
            "q_comment": "The luggage is still missing.",
        },
    )
    assert answered.status_code == 302, answered.content.decode()[:2000]

    for job in periodic_jobs():
        job()
    reopened = api.get(f"/api/v1/cases/{case['id']}").json()
    assert reopened["status"] == "reopened"
    # The log is in time order; the escalation was logged at the controlled, later time.
    assert [event["kind"] for event in reopened["events"]] == [
        "opened",
        "alerted",
        "call",
        "resolved",
        "resurvey_sent",
        "resurvey",
        "reopened",
        "escalated",
    ]
    answer = next(event for event in reopened["events"] if event["kind"] == "resurvey")
    assert answer["solved"] is False
    assert len(smtp_server.messages) == 5
    told = smtp_server.messages[4]
    assert told["To"] == clerk.user.email
    assert told["Subject"].strip() == f"Case reopened: {reopened['title']}"
    assert len(set(smtp_server.message_ids)) == 5
