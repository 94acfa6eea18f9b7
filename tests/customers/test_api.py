"""The customers API: one object or a list, idempotency, 422 field paths, reads and filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from heedback.customers import services
from heedback.customers.models import Customer, Interaction
from tests.customers.conftest import every


@pytest.fixture
def now():
    return timezone.now()


def test_post_one_customer_creates_then_returns_it_unchanged(api):
    body = {"external_id": "C-1", "email": "Ann@Example.com", "name": "Ann", "temperament": "blue"}
    first = api.post("/api/v1/customers", body)
    assert first.status_code == 201, first.json()
    data = first.json()
    assert (data["external_id"], data["email"], data["temperament"]) == (
        "C-1",
        "ann@example.com",
        "blue",
    )
    assert (data["temperament_source"], data["lapsed"], data["at_risk"]) == ("api", False, False)
    assert data["reasons"] == [
        {"code": "too_few_visits", "message": "0 visits so far; a rhythm needs at least 3."}
    ]
    again = api.post("/api/v1/customers", body)
    assert again.status_code == 200
    assert again.json()["id"] == data["id"]
    assert Customer.objects.count() == 1


def test_post_a_list_of_customers_reports_each_item(api):
    response = api.post(
        "/api/v1/customers",
        [
            {"external_id": "A", "name": "Ann"},
            {"email": "not an email"},
            {"external_id": "B", "colour": "blue"},
            {"external_id": "A", "phone": "+33 1 23 45 67 89"},
            "not an object",
        ],
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"], body["invalid"]) == (1, 1, 0, 3)
    assert [item["status"] for item in body["results"]] == [
        "created",
        "invalid",
        "invalid",
        "updated",
        "invalid",
    ]
    assert body["results"][1]["errors"] == {"email": ["Enter a valid email address."]}
    assert body["results"][2]["errors"] == {"colour": ["Extra inputs are not permitted"]}
    assert body["results"][4]["errors"] == {"__all__": ["Send a JSON object."]}
    assert Customer.objects.get(external_id="A").phone == "+33 1 23 45 67 89"


def test_bad_single_customers_answer_422_or_409_with_field_paths(api, make_customer):
    response = api.post("/api/v1/customers", {"external_id": "x", "attributes": {"tier": [1]}})
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "attributes.tier": ["Use text, a number, true/false or null."]
    }
    response = api.post("/api/v1/customers", {"name": "nobody"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "The customer is not valid.",
        "errors": {"external_id": ["Give an external_id or an email."]},
    }
    make_customer("C-1", email="taken@example.com")
    response = api.post("/api/v1/customers", {"external_id": "C-2", "email": "taken@example.com"})
    assert response.status_code == 409
    assert list(response.json()["errors"]) == ["email"]
    assert api.post("/api/v1/customers", []).status_code == 422
    assert (
        api.post("/api/v1/customers", [{"external_id": str(i)} for i in range(1001)]).status_code
        == 422
    )


def test_interactions_one_and_many_idempotent(api, make_customer, hotel, admin, now):
    make_customer("C-1")
    one = {
        "external_id": "order-1",
        "customer": "C-1",
        "kind": "order",
        "occurred_at": (now - timedelta(days=2)).isoformat(),
        "unit": hotel.pk,
        "staff": admin.user.email.upper(),
        "value": "42.50",
    }
    first = api.post("/api/v1/interactions", one)
    assert first.status_code == 201, first.json()
    data = first.json()
    assert (data["customer_external_id"], data["value"], data["staff"]) == (
        "C-1",
        "42.50",
        admin.user.email,
    )
    assert api.post("/api/v1/interactions", one).status_code == 200
    batch = api.post(
        "/api/v1/interactions",
        [
            one,
            {**one, "external_id": "order-2", "occurred_at": (now - timedelta(days=1)).isoformat()},
            {**one, "external_id": "order-3", "customer": "nobody"},
            {**one, "external_id": "order-4", "kind": "teleport"},
            {**one, "external_id": "order-5", "value": "1.234"},
            {**one, "external_id": "order-6", "occurred_at": (now + timedelta(days=9)).isoformat()},
        ],
    )
    body = batch.json()
    assert (body["created"], body["duplicate"], body["invalid"]) == (1, 1, 4)
    errors = [item["errors"] for item in body["results"]]
    assert errors[2] == {"customer": ["no customer with this external id"]}
    assert list(errors[3]) == ["kind"]
    assert list(errors[4]) == ["value"]
    assert errors[5] == {"occurred_at": ["An interaction cannot be in the future."]}
    assert Interaction.objects.count() == 2


def test_a_bad_single_interaction_names_the_field(api, make_customer):
    make_customer("C-1")
    response = api.post(
        "/api/v1/interactions",
        {"external_id": "x", "customer": "C-1", "kind": "visit", "occurred_at": "yesterday"},
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["occurred_at"]
    response = api.post(
        "/api/v1/interactions",
        {
            "external_id": "x",
            "customer": "C-404",
            "kind": "visit",
            "occurred_at": "2025-01-01T10:00",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"customer": ["no customer with this external id"]}


def test_get_a_customer_with_lapse_status_and_reasons(api, make_customer, add_visits, now):
    customer = make_customer("C-1", name="Ann")
    add_visits(customer, every(7, 10, last=now - timedelta(days=40)))
    services.refresh_lapse()
    data = api.get(f"/api/v1/customers/{customer.pk}").json()
    assert data["lapsed"] is True
    assert data["at_risk"] is False
    assert data["lapsed_since"] is not None
    assert data["reasons"][0]["code"] == "lapsed"
    assert data["reasons"][0]["message"].startswith("No visit for 40 days: 90% of their own gaps")
    assert data["rhythm"] == {
        "basis": "own",
        "visits": 10,
        "gaps": 9,
        "typical_gap_days": 7.0,
        "at_risk_after_days": 7.0,
        "lapse_after_days": 7.0,
    }
    assert api.get("/api/v1/customers/999999").status_code == 404


def test_list_customers_filters_lapsed_and_at_risk(api, make_customer, add_visits, now):
    lapsed = make_customer("L")
    add_visits(lapsed, every(7, 10, last=now - timedelta(days=60)))
    regular = make_customer("R")
    add_visits(regular, every(7, 10, last=now - timedelta(days=1)))
    wobbly = make_customer("W")
    # Gaps 6, 7, 8, 9, 10, 20, 30 days: at risk after 15 days, lapsed after 24.
    add_visits(wobbly, [now - timedelta(days=d) for d in (18, 24, 31, 39, 48, 58, 78, 108)])
    make_customer("N")
    services.refresh_lapse()
    ids = lambda params: [c["id"] for c in api.get("/api/v1/customers", params).json()["results"]]  # noqa: E731
    assert ids({"lapsed": "true"}) == [lapsed.pk]
    assert ids({"at_risk": "true"}) == [wobbly.pk]
    assert set(ids({"lapsed": "false"})) == {
        regular.pk,
        wobbly.pk,
        Customer.objects.get(external_id="N").pk,
    }
    page = api.get("/api/v1/customers", {"limit": 2, "offset": 1}).json()
    assert (page["count"], page["limit"], page["offset"], len(page["results"])) == (4, 2, 1, 2)
    assert ids({"q": "R"}) == [regular.pk]
    assert api.get("/api/v1/customers", {"limit": 0}).status_code == 422
    assert api.get("/api/v1/customers", {"unit": 999999}).json()["errors"] == {
        "unit": ["not found"]
    }


def test_an_analyst_key_cannot_read_identified_customers(
    make_api_client, organisation, make_customer
):
    customer = make_customer("C-1")
    analyst = make_api_client(organisation, role="analyst")
    assert analyst.get("/api/v1/customers").status_code == 403
    assert analyst.get(f"/api/v1/customers/{customer.pk}").status_code == 403
    assert analyst.post("/api/v1/customers", {"external_id": "C-2"}).status_code == 403
    assert Customer.objects.count() == 1


def test_another_organisation_sees_nothing(make_api_client, other_organisation, make_customer):
    customer = make_customer("C-1")
    rival = make_api_client(other_organisation)
    assert rival.get(f"/api/v1/customers/{customer.pk}").status_code == 404
    assert rival.get("/api/v1/customers").json()["count"] == 0
    response = rival.post(
        "/api/v1/interactions",
        {
            "external_id": "x",
            "customer": "C-1",
            "kind": "visit",
            "occurred_at": "2025-01-01T10:00Z",
        },
    )
    assert response.status_code == 422


def test_the_openapi_document_describes_one_object_or_a_list(api):
    document = api.get("/api/openapi.json").json()
    body = document["paths"]["/api/v1/customers"]["post"]["requestBody"]
    choices = body["content"]["application/json"]["schema"]["oneOf"]
    assert choices[0]["title"] == "CustomerIn"
    assert choices[0]["properties"]["temperament"]["anyOf"][0]["enum"] == [
        "blue",
        "gold",
        "green",
        "orange",
    ]
    assert choices[1] == {"type": "array", "items": choices[0], "maxItems": 1000}
    interactions = document["paths"]["/api/v1/interactions"]["post"]["requestBody"]
    item = interactions["content"]["application/json"]["schema"]["oneOf"][0]
    assert item["required"] == ["external_id", "customer", "kind", "occurred_at"]
    assert "lapsed" in document["components"]["schemas"]["CustomerOut"]["properties"]
