"""POST /api/v1/surveys/{id}/responses/batch: per-item results, never half an item."""

from __future__ import annotations

import pytest

from heedback.collect.models import Answer, Response
from heedback.orgs.services import add_member, create_user

pytestmark = pytest.mark.django_db


def item(key: str, unit, **extra) -> dict:
    return {"idempotency_key": key, "unit": unit.pk, "answers": {"nps": 9, "staff": 4}, **extra}


def post_batch(api, survey, items):
    return api.post(f"/api/v1/surveys/{survey.pk}/responses/batch", {"items": items})


def test_a_batch_reports_created_duplicate_and_invalid_items(api, published_survey, hotel):
    submitted = api.post(f"/api/v1/surveys/{published_survey.pk}/responses", item("old", hotel))
    assert submitted.status_code == 201
    items = [
        item("a", hotel),
        item("old", hotel),  # stored before
        {"idempotency_key": "b", "unit": hotel.pk, "answers": {"nps": 11}},
        item("a", hotel),  # repeated inside the batch
        {"idempotency_key": "c", "unit": "not a number", "answers": {"nps": 1}},
        {"idempotency_key": "d", "unit": 999999, "answers": {"nps": 1}},
        item("e", hotel, comment="Lovely", external_id="crm-42"),
    ]
    response = post_batch(api, published_survey, items)
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["duplicate"], body["invalid"]) == (2, 2, 3)
    statuses = [result["status"] for result in body["results"]]
    assert statuses == [
        "created",
        "duplicate",
        "invalid",
        "duplicate",
        "invalid",
        "invalid",
        "created",
    ]
    results = body["results"]
    assert results[1]["id"] == submitted.json()["id"]
    assert results[3]["id"] == results[0]["id"]
    assert results[2]["errors"] == {"answers.nps": [results[2]["errors"]["answers.nps"][0]]}
    assert "unit" in results[4]["errors"]
    assert results[5]["errors"] == {"unit": ["not found"]}
    assert Response.objects.count() == 3
    stored = Response.objects.get(idempotency_key="e")
    assert (stored.comment, stored.external_id, stored.channel) == ("Lovely", "crm-42", "api")
    assert Answer.objects.filter(response=stored).count() == 2


def test_resending_a_batch_creates_nothing_new(api, published_survey, hotel):
    items = [item(f"k{number}", hotel) for number in range(50)]
    first = post_batch(api, published_survey, items).json()
    again = post_batch(api, published_survey, items).json()
    assert (first["created"], again["created"], again["duplicate"]) == (50, 0, 50)
    assert [r["id"] for r in first["results"]] == [r["id"] for r in again["results"]]
    assert Response.objects.count() == 50
    assert Answer.objects.count() == 100


def test_a_batch_over_1000_items_is_refused_whole(api, published_survey, hotel):
    response = post_batch(api, published_survey, [item(f"k{n}", hotel) for n in range(1001)])
    assert response.status_code == 422
    assert "items" in response.json()["errors"]
    assert Response.objects.count() == 0


def test_an_empty_batch_is_refused(api, published_survey):
    assert post_batch(api, published_survey, []).status_code == 422


def test_a_batch_to_a_closed_survey_marks_every_item_invalid(api, published_survey, hotel):
    from heedback.surveys.services import close_survey

    close_survey(published_survey)
    body = post_batch(api, published_survey, [item("x", hotel)]).json()
    assert body["results"][0]["status"] == "invalid"
    assert body["results"][0]["errors"] == {"survey": ["not open"]}
    assert Response.objects.count() == 0


def test_the_staff_member_who_served_is_named_by_email(api, organisation, published_survey, hotel):
    person = create_user(email="Sam.Staff@example.com", password="x" * 12)
    add_member(organisation, person, role="frontline", unit=hotel)
    ok = api.post(
        f"/api/v1/surveys/{published_survey.pk}/responses",
        item("s1", hotel, staff="sam.staff@EXAMPLE.com"),
    )
    assert ok.status_code == 201
    assert ok.json()["staff"] == "sam.staff@example.com"
    unknown = api.post(
        f"/api/v1/surveys/{published_survey.pk}/responses",
        item("s2", hotel, staff="ghost@example.com"),
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == {"staff": ["no member with this email"]}
    assert Response.objects.count() == 1
