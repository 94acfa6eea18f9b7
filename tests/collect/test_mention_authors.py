"""Mentions whose author is a known customer: tied to them, on their timeline, erased with them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from heedback.collect import mentions
from heedback.collect.models import Mention, Response
from heedback.customers import privacy

pytestmark = pytest.mark.django_db

POSTED = "2026-11-02T09:30:00Z"


def post(external_id: str, **extra) -> dict:
    return {
        "channel": "review",
        "site": "Google",
        "external_id": external_id,
        "rating": 2,
        "text": "The breakfast was cold.",
        "posted_at": POSTED,
        **extra,
    }


def test_a_mention_naming_the_customer_by_external_id_is_theirs(api, make_customer):
    jane = make_customer("CRM-7", name="Jane Roe")
    answer = api.post("/api/v1/mentions", post("g1", customer="CRM-7"))
    assert answer.status_code == 201, answer.json()
    assert answer.json()["customer"] == jane.pk
    assert Response.objects.get(pk=answer.json()["id"]).customer == jane


def test_an_unknown_customer_external_id_is_refused_and_nothing_stored(api, make_customer):
    make_customer("CRM-7")
    answer = api.post("/api/v1/mentions", post("g1", customer="CRM-404"))
    assert answer.status_code == 422
    assert answer.json() == {
        "detail": "The mention is not valid.",
        "errors": {"customer": ["No customer has this external id."]},
    }
    assert (Response.objects.count(), Mention.objects.count()) == (0, 0)


def test_the_authors_email_leads_to_the_customer_and_is_not_stored(api, make_customer):
    jane = make_customer("CRM-7", email="jane@example.com")
    answer = api.post("/api/v1/mentions", post("g1", author_email=" Jane@Example.com "))
    assert answer.status_code == 201, answer.json()
    assert answer.json()["customer"] == jane.pk
    mention = Mention.objects.get()
    assert "jane@example.com" not in (mention.author_handle, mention.public_url)


def test_a_handle_that_is_an_email_address_leads_to_the_customer(api, make_customer):
    jane = make_customer("CRM-7", email="jane@example.com")
    answer = api.post("/api/v1/mentions", post("g1", author_handle="jane@example.com"))
    assert answer.json()["customer"] == jane.pk


def test_an_unknown_author_stays_anonymous_and_no_customer_is_made(api, make_customer):
    from heedback.customers.models import Customer

    make_customer("CRM-7", email="jane@example.com")
    answer = api.post(
        "/api/v1/mentions",
        post("g1", author_handle="@someone", author_email="someone@example.com"),
    )
    assert answer.status_code == 201
    assert answer.json()["customer"] is None
    assert Customer.objects.count() == 1


def test_an_invalid_author_email_is_refused(api):
    answer = api.post("/api/v1/mentions", post("g1", author_email="not an address"))
    assert answer.status_code == 422
    assert answer.json()["errors"] == {"author_email": ["Enter a valid email address."]}


def test_a_handle_once_tied_to_a_customer_leads_to_them_on_the_same_site_only(api, make_customer):
    jane = make_customer("CRM-7")
    api.post("/api/v1/mentions", post("x1", author_handle="@jane_r", customer="CRM-7"))
    answer = api.post(
        "/api/v1/mentions",
        [
            post("x2", author_handle="@jane_r"),  # the same account, later
            post("x3", author_handle="@jane_r", site="Tripadvisor"),  # another site's account
            post("x4", author_handle="@someone_else"),
        ],
    )
    assert answer.status_code == 200
    ids = [result["id"] for result in answer.json()["results"]]
    customers = dict(Response.objects.filter(pk__in=ids).values_list("pk", "customer_id"))
    assert [customers[pk] for pk in ids] == [jane.pk, None, None]


def test_a_list_finds_its_authors_in_a_fixed_number_of_queries(
    organisation, make_customer, root_unit
):
    from datetime import UTC, datetime

    for number in range(3):
        make_customer(f"CRM-{number}", email=f"guest{number}@example.com")

    def items(count: int, prefix: str) -> list[mentions.MentionInput]:
        return [
            mentions.MentionInput(
                channel="review",
                site="google",
                posted_at=datetime(2026, 11, 1, tzinfo=UTC),
                external_id=f"{prefix}{index}",
                author_handle=f"@guest{index}",
                author_email=f"guest{index % 3}@example.com" if index % 2 else "",
                customer_external_id=f"CRM-{index % 3}" if index % 3 == 0 else "",
            )
            for index in range(count)
        ]

    counts = []
    for count, prefix in ((3, "a"), (30, "b")):
        with CaptureQueriesContext(connection) as queries:
            mentions.author_customers(organisation, items(count, prefix))
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 5


def test_a_tied_mention_shows_on_the_customers_timeline_with_its_public_address(
    api, make_customer, admin_client
):
    jane = make_customer("CRM-7", name="Jane Roe")
    api.post(
        "/api/v1/mentions",
        post(
            "g1",
            customer="CRM-7",
            rating=4,
            public_url="https://maps.example/review/g1",
            text="Lovely staff",
        ),
    )
    page = admin_client.get(f"/o/acme/customers/{jane.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert '<a href="https://maps.example/review/g1">Posted on google (Public review)</a>' in text
    assert '<span class="badge ">4/5</span>' in text
    assert "Lovely staff" in text


def test_merging_moves_the_mentions_and_erasure_forgets_the_handle(api, make_customer):
    jane = make_customer("CRM-7", name="Jane Roe")
    duplicate = make_customer("CRM-8", name="J. Roe")
    api.post(
        "/api/v1/mentions",
        post(
            "g1",
            customer="CRM-8",
            author_handle="@jane_r",
            public_url="https://maps.example/review/g1",
        ),
    )
    privacy.merge_customers(jane, duplicate, actor=None)
    assert Response.objects.get().customer == jane
    # The handle still leads to the person, now the surviving record.
    later = api.post("/api/v1/mentions", post("g2", author_handle="@jane_r"))
    assert later.json()["customer"] == jane.pk
    jane.refresh_from_db()
    privacy.erase_customer(jane, actor=None)
    assert sorted(Mention.objects.values_list("external_id", "author_handle", "public_url")) == [
        ("g1", "", ""),
        ("g2", "", ""),
    ]
    assert set(Response.objects.values_list("comment", flat=True)) == {""}
    # Nothing leads from the handle to the erased person any more.
    after = api.post("/api/v1/mentions", post("g3", author_handle="@jane_r"))
    assert after.json()["customer"] is None
