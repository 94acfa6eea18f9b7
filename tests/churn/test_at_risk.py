"""Whom to call this week: reasons from customers, insights and loop, ranked, on page and API."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from heedback.customers import at_risk, services
from heedback.customers.models import Customer
from heedback.loop import services as loop
from heedback.loop.models import Case
from heedback.loop.services import Actor, CaseOpening, Resolution
from tests.churn.conftest import uneven_visits

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


@pytest.fixture
def world(make_customer, add_visits, answer, hotel, admin):
    now = timezone.now()
    made = {}
    made["overdue"] = make_customer("R", name="Rita Regular", phone="+44 1632 960 001")
    add_visits(made["overdue"], uneven_visits(now - 11.5 * DAY), unit=hotel)
    made["declining"] = make_customer("D", name="Dan Declining")
    add_visits(made["declining"], uneven_visits(now - 2 * DAY), unit=hotel)
    for days_ago, score in ((90, 9), (60, 10), (5, 3)):
        answer(made["declining"], now - days_ago * DAY, score)
    made["case"] = make_customer("C", name="Cora Case")
    add_visits(made["case"], uneven_visits(now - DAY), unit=hotel)
    response = answer(made["case"], now - 4 * DAY, 1, comment="Cold room")
    loop.open_case(
        CaseOpening(
            organisation=hotel.organisation,
            unit=hotel,
            title="Cold room",
            response=response,
            due_hours=1,
            actor=Actor(admin),
        ),
        now=now - 3 * DAY,
    )
    made["fine"] = make_customer("F", name="Fay Fine")
    add_visits(made["fine"], uneven_visits(now - DAY), unit=hotel)
    for days_ago, score in ((60, 9), (5, 9)):
        answer(made["fine"], now - days_ago * DAY, score)
    services.refresh_lapse()
    return made


def test_the_list_ranks_every_apps_reasons(world, organisation):
    ranked = at_risk.at_risk_list(
        organisation, Customer.objects.for_org(organisation), timezone.now()
    )
    assert [(item.customer.external_id, [s.code for s in item.signals]) for item in ranked] == [
        ("C", ["overdue_case"]),
        ("D", ["declining_score"]),
        ("R", ["overdue_visit"]),
    ]
    assert ranked[1].signals[0].message == (
        "Their last score was 3, down from 9.5 on average before."
    )
    assert ranked[0].signals[0].message == (
        "1 case about their feedback is past its deadline, unresolved."
    )


def test_a_resolved_case_is_no_reason_any_more(world, organisation, admin):
    case = Case.objects.get()
    loop.resolve_case(case, Resolution(code="fixed"), actor=Actor(admin))
    ranked = at_risk.at_risk_list(
        organisation, Customer.objects.for_org(organisation), timezone.now()
    )
    assert [item.customer.external_id for item in ranked] == ["D", "R"]


def test_the_api_lists_them_and_the_customer_carries_the_new_reasons(world, api):
    body = api.get("/api/v1/customers/at-risk").json()
    assert body["count"] == 3
    assert [item["external_id"] for item in body["results"]] == ["C", "D", "R"]
    assert body["results"][0]["score"] == at_risk.WEIGHT_OVERDUE_CASE
    detail = api.get(f"/api/v1/customers/{world['declining'].pk}").json()
    assert detail["at_risk"] is True
    assert detail["lapsed"] is False
    assert [reason["code"] for reason in detail["reasons"]][-1] == "declining_score"
    fine = api.get(f"/api/v1/customers/{world['fine'].pk}").json()
    assert fine["at_risk"] is False
    assert "declining_score" not in [reason["code"] for reason in fine["reasons"]]


def test_the_page_and_its_csv(world, admin_client, django_assert_num_queries):
    # session, user, membership, tiers, units, overdue visits, rule, survey versions,
    # falling scores, open cases, the customers: whatever the number of customers
    with django_assert_num_queries(11):
        page = admin_client.get("/o/acme/customers/at-risk/")
    html = page.content.decode()
    assert html.index("Cora Case") < html.index("Dan Declining") < html.index("Rita Regular")
    assert "Fay Fine" not in html
    exported = admin_client.get("/o/acme/customers/at-risk.csv")
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[0][:3] == ["customer_id", "external_id", "name"]
    assert [(row[1], row[7]) for row in rows[1:]] == [
        ("C", "overdue_case"),
        ("D", "declining_score"),
        ("R", "overdue_visit"),
    ]


def test_a_manager_sees_the_customers_of_their_subtree_only(
    world, organisation, other_hotel, make_member, client
):
    manager = make_member(organisation, "manager", unit=other_hotel)
    client.force_login(manager.user)
    html = client.get("/o/acme/customers/at-risk/").content.decode()
    assert "Cora Case" not in html
    assert "Nobody to call" in html


def test_the_lapsed_export(organisation, make_customer, add_visits, hotel, admin_client):
    gone = make_customer("G", name="Gone Guest", email="gone@example.com")
    add_visits(gone, uneven_visits(timezone.now() - 200 * DAY), unit=hotel)
    services.refresh_lapse()
    rows = list(
        csv.reader(io.StringIO(admin_client.get("/o/acme/customers/lapsed.csv").content.decode()))
    )
    assert [row[:4] for row in rows[1:]] == [[str(gone.pk), "G", "Gone Guest", "gone@example.com"]]
