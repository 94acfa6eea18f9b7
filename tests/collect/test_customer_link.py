"""Responses tied to the customer who answered and the interaction they answer about."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from heedback.collect.customer_data import timeline_entries
from heedback.collect.models import Answer, Response
from heedback.customers import privacy, timeline
from heedback.text import services as text_services
from heedback.text.models import TextAnalysis
from heedback.text.search import search_texts
from tests.customers.conftest import NOW

pytestmark = pytest.mark.django_db

SECRET_COMMENT = "Ask for Mrs Quennell-Stroud in room 412, she found a hair in the soup"
SECRET_ANSWER = "Call me back on 07700 900123 about the refund"


def respond(api, survey, unit, key, **extra):
    payload = {"idempotency_key": key, "unit": unit.pk, "answers": {"nps": 3}, **extra}
    return api.post(f"/api/v1/surveys/{survey.pk}/responses", payload)


def test_a_response_names_its_customer_by_external_id(api, published_survey, hotel, make_customer):
    customer = make_customer("loyalty-1", name="Ada")
    response = respond(api, published_survey, hotel, "k1", customer="loyalty-1")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["customer"] == customer.pk
    assert body["interaction"] is None
    assert Response.objects.get(pk=body["id"]).customer_id == customer.pk


def test_an_interaction_names_the_customer_too(
    api, published_survey, hotel, make_customer, add_visits
):
    customer = make_customer("loyalty-2")
    [visit] = add_visits(customer, [NOW - timedelta(days=1)], unit=hotel)
    body = respond(api, published_survey, hotel, "k2", interaction=visit.external_id).json()
    assert (body["customer"], body["interaction"]) == (customer.pk, visit.pk)


def test_a_merged_customers_old_id_leads_to_the_survivor(
    api, published_survey, hotel, make_customer, admin
):
    survivor, duplicate = make_customer("new-id"), make_customer("old-id")
    privacy.merge_customers(survivor, duplicate, actor=admin.user)
    body = respond(api, published_survey, hotel, "k3", customer="old-id").json()
    assert body["customer"] == survivor.pk


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"customer": "nobody"}, "customer", "no customer with this external id"),
        ({"interaction": "no-such-visit"}, "interaction", "no interaction with this external id"),
    ],
)
def test_unknown_references_are_refused_and_nothing_is_stored(
    api, published_survey, hotel, extra, field, message
):
    response = respond(api, published_survey, hotel, "k4", **extra)
    assert response.status_code == 422
    assert response.json()["errors"] == {field: [message]}
    assert not Response.objects.exists()


def test_an_interaction_of_another_customer_is_refused(
    api, published_survey, hotel, make_customer, add_visits
):
    ada, bob = make_customer("ada"), make_customer("bob")
    [visit] = add_visits(bob, [NOW - timedelta(days=1)])
    response = respond(
        api, published_survey, hotel, "k5", customer="ada", interaction=visit.external_id
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "interaction": ["The interaction belongs to another customer."]
    }
    assert ada.responses.count() == 0


def test_another_organisations_customer_is_unknown(
    api, published_survey, hotel, make_customer, other_organisation
):
    make_customer("theirs", organisation_=other_organisation)
    response = respond(api, published_survey, hotel, "k6", customer="theirs")
    assert response.status_code == 422
    assert response.json()["errors"] == {"customer": ["no customer with this external id"]}


def test_a_batch_resolves_customers_at_once_and_reports_each_item(
    api, published_survey, hotel, make_customer, django_assert_max_num_queries
):
    customers = [make_customer(f"batch-{index}") for index in range(20)]
    items = [
        {
            "idempotency_key": f"b{index}",
            "unit": hotel.pk,
            "answers": {"nps": 8},
            "customer": c.external_id,
        }
        for index, c in enumerate(customers)
    ]
    items.append(
        {"idempotency_key": "bad", "unit": hotel.pk, "answers": {"nps": 8}, "customer": "?"}
    )
    with django_assert_max_num_queries(25):
        response = api.post(
            f"/api/v1/surveys/{published_survey.pk}/responses/batch", {"items": items}
        )
    body = response.json()
    assert (body["created"], body["invalid"]) == (20, 1)
    assert body["results"][20]["errors"] == {"customer": ["no customer with this external id"]}
    stored = dict(Response.objects.values_list("idempotency_key", "customer_id"))
    assert stored == {f"b{index}": c.pk for index, c in enumerate(customers)}


@pytest.fixture
def answered(api, published_survey, hotel, make_customer):
    """A customer with one response carrying a comment and a text answer."""
    customer = make_customer("loyalty-9", name="Philippa", email="pq@example.org")
    body = respond(
        api,
        published_survey,
        hotel,
        "answered",
        customer="loyalty-9",
        external_id="crm-ticket-88",
        comment=SECRET_COMMENT,
        answers={"nps": 2, "staff": 1, "comment": SECRET_ANSWER},
    ).json()
    return customer, Response.objects.get(pk=body["id"])


def test_the_timeline_shows_the_response_with_its_score(answered):
    customer, response = answered
    page = timeline.assemble(customer, timeline.TimelineWindow())
    [entry] = [entry for entry in page.entries if entry.kind == "response"]
    assert entry.key == f"response:{response.pk}"
    assert entry.badge == "NPS 2"
    assert entry.badge_class == "nps-detractor"
    assert entry.detail == SECRET_COMMENT
    assert entry.unit == response.unit.name


def test_the_timeline_reads_responses_in_two_queries_however_many(
    api, published_survey, hotel, make_customer, django_assert_num_queries
):
    customer = make_customer("regular")
    for index in range(6):
        respond(api, published_survey, hotel, f"t{index}", customer="regular")
    # the responses with their survey etc., their answers; the invitations
    with django_assert_num_queries(3):
        entries = list(timeline_entries(customer, timeline.TimelineWindow(limit=5)))
    assert len(entries) == 5
    assert {entry.badge for entry in entries} == {"NPS 3"}


def test_a_merge_moves_the_responses(answered, make_customer, admin):
    merged, response = answered
    survivor = make_customer("survivor")
    summary = privacy.merge_customers(survivor, merged, actor=admin.user)
    assert summary.moved_elsewhere["responses"] == 1
    response.refresh_from_db()
    assert response.customer_id == survivor.pk


def test_the_export_holds_the_responses(answered, admin):
    customer, response = answered
    data = privacy.export_customer(customer, actor=admin.user)
    [exported] = data["responses"]
    assert exported["id"] == response.pk
    assert exported["comment"] == SECRET_COMMENT
    assert exported["answers"] == {"nps": 2, "staff": 1, "comment": SECRET_ANSWER}


def dump() -> str:
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from Django
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


def test_erasure_blanks_the_comment_and_its_copies_but_keeps_the_scores(
    answered, admin, organisation
):
    customer, response = answered
    text_services.enrich_organisation(organisation)
    assert TextAnalysis.objects.filter(response=response).count() == 2
    assert search_texts(organisation, "soup").count == 1
    assert search_texts(organisation, "refund").count == 1
    assert "Quennell-Stroud" in dump()
    readings = TextAnalysis.objects.filter(response=response).order_by("question_key")
    before = list(readings.values_list("question_key", "sentiment_score", "is_urgent"))

    summary = privacy.erase_customer(customer, actor=admin.user)

    after = dump()
    for secret in ("Quennell-Stroud", "07700 900123", "crm-ticket-88"):
        assert secret not in after, secret
    assert summary.rows_by_app["responses"] == 2  # the response, and its text answer
    assert summary.rows_by_app["texts"] == 2
    assert search_texts(organisation, "soup").count == 0
    assert search_texts(organisation, "refund").count == 0
    response.refresh_from_db()
    assert (response.comment, response.external_id) == ("", "")
    numbers = Answer.objects.filter(response=response, number__isnull=False)
    assert dict(numbers.values_list("question_key", "number")) == {"nps": 2, "staff": 1}
    analyses = TextAnalysis.objects.filter(response=response)
    assert set(analyses.values_list("body", flat=True)) == {""}
    # The anonymous reading stays in the figures.
    assert list(readings.values_list("question_key", "sentiment_score", "is_urgent")) == before
