"""Cases on the customer's timeline, through merges and exports; enrichment racing erasure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from heedback.customers import privacy, services, timeline
from heedback.loop import services as loop
from heedback.loop.services import Actor, CaseOpening, Resolution
from heedback.text import services as text_services
from heedback.text.models import TextAnalysis
from tests.customers.conftest import NOW

pytestmark = pytest.mark.django_db


def test_a_case_follows_its_response_into_the_survivors_timeline_and_export(
    make_customer, answer, hotel, admin
):
    survivor, duplicate = make_customer("S", name="Sam"), make_customer("S-old")
    response = answer(duplicate, NOW - timedelta(days=3), 2, comment="Noisy room")
    case = loop.open_case(
        CaseOpening(
            organisation=hotel.organisation,
            unit=hotel,
            title="Noisy room",
            response=response,
            actor=Actor(admin),
        ),
        now=NOW - timedelta(days=2),
    )
    loop.resolve_case(
        case,
        Resolution(code="fixed", note="Moved to a quiet room"),
        actor=Actor(admin),
        now=NOW - timedelta(days=1),
    )
    merge = privacy.merge_customers(survivor, duplicate, actor=admin.user)
    assert "cases" not in merge.moved_elsewhere  # cases point at responses: nothing to move
    entries = timeline.assemble(survivor, timeline.TimelineWindow()).entries
    [entry] = [entry for entry in entries if entry.kind == "case"]
    assert entry.title == "Case opened: Noisy room"
    assert entry.badge == "Resolved"
    assert entry.detail.endswith("Moved to a quiet room")
    exported = privacy.export_customer(survivor, actor=admin.user)["cases"]
    assert [(item["title"], item["resolution_code"]) for item in exported] == [
        ("Noisy room", "fixed")
    ]
    assert [event["kind"] for event in exported[0]["events"]] == ["opened", "resolved"]


def test_an_analysis_read_before_an_erasure_is_not_written_after_it(make_customer, answer, admin):
    customer = make_customer("E", name="Erin Example")
    response = answer(customer, NOW - timedelta(days=1), 4, comment="Erin Example was ignored")
    read_before = text_services.read_responses([response])  # the worker reads…
    assert [analysis.body for analysis in read_before] == ["Erin Example was ignored"]
    privacy.erase_customer(customer, actor=admin.user)  # …the erasure commits…
    with transaction.atomic():  # …then the worker writes its batch
        stored = text_services.store_analyses(read_before)
    assert stored == 0
    assert not TextAnalysis.objects.exists()


def test_the_churn_page_query_count_is_locked(
    admin_client, make_customer, add_visits, answer, hotel, django_assert_num_queries
):
    for index in range(3):
        customer = make_customer(f"P-{index}", name=f"Past Guest {index}")
        add_visits(
            customer,
            [NOW - timedelta(days=400 - 14 * visit) for visit in range(6)],
            unit=hotel,
        )
        answer(customer, NOW - timedelta(days=330), index * 4, comment=f"Visit {index}")
    services.refresh_lapse()
    # session, user, membership, survey versions (twice: bands, domains), domains, the
    # figures, the last feedback (customers, responses, versions, scores), themes (two),
    # the win-back reasons (surveys, reasons, would return, responses)
    with django_assert_num_queries(17):
        page = admin_client.get("/o/acme/customers/churn/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("Past Guest") == 3
    assert "Visit 2" in html
