"""The loop's API: cases with filters, changes and follow-up; rules; errors exactly."""

from __future__ import annotations

import pytest

from heedback.loop import services
from heedback.loop.models import Case, Rule
from heedback.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluated(submit, clerk, manager, other_hotel):
    """Cases opened by the worker: one served by the clerk, one for the manager, one elsewhere."""
    served = submit(nps=1, served_by=clerk.user)
    unserved = submit(nps=2)
    elsewhere = submit(nps=3, unit=other_hotel)
    submit(nps=9)
    services.evaluate_new_responses()
    return {"served": served, "unserved": unserved, "elsewhere": elsewhere}


def patch(api, path: str, body: dict):
    return api.client.patch(path, body, content_type="application/json")


def test_cases_name_their_response_and_filter(api, evaluated, clerk, hotel, other_hotel):
    every = api.get("/api/v1/cases").json()
    assert every["count"] == 3
    assert [case["response"] for case in every["results"]] == [
        evaluated["served"].pk,
        evaluated["unserved"].pk,
        evaluated["elsewhere"].pk,
    ]
    first = every["results"][0]
    assert (first["owner"], first["status"], first["source"], first["is_overdue"]) == (
        clerk.user.email,
        "new",
        "rule",
        False,
    )
    assert first["rules"] == [
        Rule.objects.get(organisation__slug="acme", system_key="detractor").pk
    ]

    def ids(**params) -> list[int]:
        return [case["response"] for case in api.get("/api/v1/cases", params).json()["results"]]

    assert ids(owner=clerk.user.email) == [evaluated["served"].pk]
    assert ids(owner="none") == [evaluated["elsewhere"].pk]
    assert ids(unit=other_hotel.pk) == [evaluated["elsewhere"].pk]
    assert ids(response=evaluated["unserved"].pk) == [evaluated["unserved"].pk]
    assert ids(status="resolved") == []
    assert ids(limit=1, offset=1) == [evaluated["unserved"].pk]


def test_bad_filters_are_named(api, evaluated):
    assert api.get("/api/v1/cases", {"status": "sleeping"}).json() == {
        "detail": "The filters are not valid.",
        "errors": {"status": ["unknown status"]},
    }
    assert api.get("/api/v1/cases", {"owner": "ghost@example.com"}).json()["errors"] == {
        "owner": ["no member with this email"]
    }
    assert api.get("/api/v1/cases", {"unit": 999999}).status_code == 422


def test_patching_a_case_changes_what_is_given(api, evaluated, clerk, manager):
    case = Case.objects.get(response=evaluated["unserved"])
    changed = patch(
        api, f"/api/v1/cases/{case.pk}", {"priority": "urgent", "owner": clerk.user.email}
    )
    assert changed.status_code == 200
    body = changed.json()
    assert (body["priority"], body["owner"], body["status"]) == ("urgent", clerk.user.email, "new")
    assert [event["kind"] for event in body["events"]][-2:] == ["assigned", "priority"]
    assert body["events"][-1]["actor"].startswith("API key ")
    unassigned = patch(api, f"/api/v1/cases/{case.pk}", {"owner": None}).json()
    assert unassigned["owner"] is None
    waiting = patch(api, f"/api/v1/cases/{case.pk}", {"status": "waiting"}).json()
    assert waiting["status"] == "waiting"


def test_patching_refuses_bad_changes_and_changes_nothing(api, evaluated):
    case = Case.objects.get(response=evaluated["unserved"])
    refused = patch(api, f"/api/v1/cases/{case.pk}", {"status": "resolved"})
    assert (refused.status_code, refused.json()["errors"]) == (422, {"status": ["use resolve"]})
    assert patch(api, f"/api/v1/cases/{case.pk}", {"owner": "ghost@example.com"}).status_code == 422
    assert patch(api, f"/api/v1/cases/{case.pk}", {"priority": "asap"}).status_code == 422
    case.refresh_from_db()
    assert (case.status, case.priority) == ("new", "normal")
    assert patch(api, "/api/v1/cases/999999", {"priority": "high"}).status_code == 404


def test_follow_up_through_the_api(api, evaluated):
    case = Case.objects.get(response=evaluated["served"])
    url = f"/api/v1/cases/{case.pk}/events"
    note = api.post(url, {"kind": "note", "body": "Looking into it"})
    assert note.status_code == 201
    assert {key: note.json()[key] for key in ("kind", "body", "reached")} == {
        "kind": "note",
        "body": "Looking into it",
        "reached": None,
    }
    reply = api.post(url, {"kind": "reply", "body": "Sorry!", "to": "guest@example.org"}).json()
    assert reply["detail"] == {"to": "guest@example.org"}
    assert OutboxMessage.objects.filter(
        idempotency_key=f"case-{case.pk}-event-{reply['id']}-reply"
    ).exists()
    refused = api.post(url, {"kind": "call"})
    assert (refused.status_code, refused.json()["errors"]) == (
        422,
        {"reached": ["Say whether the customer was reached."]},
    )
    assert api.post(url, {"kind": "shout"}).status_code == 422
    resolved = api.post(url, {"kind": "resolve", "resolution_code": "fixed", "body": "Done"}).json()
    assert (resolved["kind"], resolved["to_status"], resolved["body"]) == (
        "resolved",
        "resolved",
        "Done",
    )
    again = api.post(url, {"kind": "resolve", "resolution_code": "fixed"})
    assert again.status_code == 409
    reopened = api.post(url, {"kind": "reopen", "body": "The guest called back"}).json()
    assert (reopened["kind"], reopened["from_status"]) == ("reopened", "resolved")


def test_a_read_only_key_cannot_change_cases(make_api_client, organisation, evaluated):
    reader = make_api_client(organisation, role="analyst")
    case = Case.objects.get(response=evaluated["served"])
    assert (
        reader.post(f"/api/v1/cases/{case.pk}/events", {"kind": "note", "body": "x"}).status_code
        == 403
    )
    assert case.events.filter(kind="note").count() == 0


def test_rules_through_the_api(api, hotel, submit):
    listed = api.get("/api/v1/rules").json()
    assert [(rule["name"], rule["is_default"], rule["is_enabled"]) for rule in listed] == [
        ("Every detractor", True, True),
        ("Every public complaint", True, True),
    ]
    created = api.post(
        "/api/v1/rules",
        {
            "name": "Problem not solved",
            "conditions": [{"kind": "yes_no", "question": "problem_resolved", "equals": False}],
            "unit": hotel.pk,
            "case_priority": "high",
            "case_due_hours": 24,
            "alert": ["owner", "managers"],
        },
    )
    assert created.status_code == 201
    rule = created.json()
    assert (rule["is_enabled"], rule["unit"], rule["is_default"]) == (False, hotel.pk, False)
    submit(nps=1)
    trial = api.get(f"/api/v1/rules/{rule['id']}/try").json()
    assert (trial["examined"], trial["matched"], trial["would_open_cases"]) == (1, 0, 0)
    replaced = api.put(
        f"/api/v1/rules/{rule['id']}",
        {
            "name": "Any detractor here",
            "conditions": [{"kind": "nps_band", "band": "detractor"}],
            "is_enabled": True,
        },
    ).json()
    assert (replaced["name"], replaced["is_enabled"], replaced["unit"]) == (
        "Any detractor here",
        True,
        None,
    )
    assert api.get(f"/api/v1/rules/{rule['id']}/try").json()["matched"] == 1


def test_an_invalid_rule_is_refused_with_every_field(api, other_organisation):
    refused = api.post(
        "/api/v1/rules",
        {
            "name": "Bad",
            "conditions": [{"kind": "rating_at_most", "value": 99}],
            "unit": 999999,
            "channels": ["telepathy"],
            "opens_case": False,
        },
    )
    assert refused.status_code == 422
    assert refused.json() == {
        "detail": "The rule is not valid.",
        "errors": {
            "unit": ["not found"],
            "conditions.0.value": ["Input should be less than or equal to 10"],
            "channels": [
                "Choose from: web, email, qr, kiosk, paper, api, import, phone, review, social."
            ],
            "__all__": ["A rule must open a case, alert someone, add a tag or call webhooks."],
        },
    }
