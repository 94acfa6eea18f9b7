"""The customers pages: list, customer page and timeline, temperament, merge, erasure,
settings, loyalty; who may see identified customers."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from heedback.customers import services
from heedback.customers.models import Customer, CustomerMerge, LapseSettings
from heedback.orgs.models import AuditEvent
from tests.customers.conftest import every


@pytest.fixture
def now():
    return timezone.now()


def client_for(member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


@pytest.fixture
def regulars(organisation, make_customer, add_visits, hotel, now):
    """A lapsed weekly regular, one on rhythm, and one with too little history."""
    lapsed = make_customer("L-1", name="Lars Lapsed", email="lars@example.com")
    add_visits(lapsed, every(7, 12, last=now - timedelta(days=45)), unit=hotel)
    steady = make_customer("S-1", name="Sue Steady", value_tier="gold")
    add_visits(steady, every(7, 12, last=now - timedelta(days=2)), unit=hotel)
    new = make_customer("N-1", name="Ned New")
    add_visits(new, [now - timedelta(days=3)], unit=hotel)
    services.refresh_lapse()
    return {"lapsed": lapsed, "steady": steady, "new": new}


def test_the_list_shows_status_and_filters_lapsed(admin_client, regulars):
    page = admin_client.get("/o/acme/customers/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Lars Lapsed" in html
    assert "Sue Steady" in html
    assert "Ned New" in html
    assert 'data-testid="count-lapsed">1<' in html
    lapsed_only = admin_client.get("/o/acme/customers/", {"status": "lapsed"}).content.decode()
    assert "Lars Lapsed" in lapsed_only
    assert "Sue Steady" not in lapsed_only
    found = admin_client.get("/o/acme/customers/", {"q": "lars@"}).content.decode()
    assert "Lars Lapsed" in found
    assert "Sue Steady" not in found


def test_an_htmx_search_gets_only_the_results(admin_client, regulars):
    response = admin_client.get("/o/acme/customers/", {"q": "Sue"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "Sue Steady" in html
    assert "<html" not in html


def test_the_list_query_count_is_locked(admin_client, regulars, django_assert_num_queries):
    # session, user, membership, tiers, status counts (which give the total), page,
    # units of the filter; a filtered list counts its matches too (one more)
    with django_assert_num_queries(7):
        admin_client.get("/o/acme/customers/")
    with django_assert_num_queries(8):
        admin_client.get("/o/acme/customers/", {"status": "lapsed"})


def test_the_customer_page_explains_the_lapse_and_shows_the_timeline(admin_client, regulars):
    customer = regulars["lapsed"]
    html = admin_client.get(f"/o/acme/customers/{customer.pk}/").content.decode()
    assert "Lapsed since" in html
    assert "No visit for 45 days: 90% of their own gaps were shorter than 7.0 days." in html
    assert html.count('data-kind="interaction"') == 12
    assert "Harbour Hotel" in html


def test_the_customer_page_query_count_is_locked(admin_client, regulars, django_assert_num_queries):
    # session, user, membership, customer, rule, interactions, merges, responses,
    # invitations, cases, guidance; the other apps' at-risk reasons: survey versions, falling
    # score, open cases: the same for any number of interactions (one page of the timeline)
    with django_assert_num_queries(14):
        admin_client.get(f"/o/acme/customers/{regulars['lapsed'].pk}/")


def test_the_timeline_pages_older_entries(
    admin_client, organisation, make_customer, add_visits, now
):
    customer = make_customer("T-1")
    add_visits(customer, every(3, 60, last=now - timedelta(days=1)))
    first = admin_client.get(f"/o/acme/customers/{customer.pk}/").content.decode()
    assert first.count('data-kind="interaction"') == 50
    assert "?before=" in first
    older = admin_client.get(
        f"/o/acme/customers/{customer.pk}/",
        {
            "before": Customer.objects.get(pk=customer.pk)
            .interactions.order_by("-occurred_at")[49]
            .occurred_at.isoformat()
        },
        headers={"HX-Request": "true"},
    ).content.decode()
    assert older.count('data-kind="interaction"') == 10
    assert "<html" not in older


def test_staff_set_a_temperament_and_see_how_to_serve_it(organisation, make_member, regulars):
    frontline = make_member(organisation, "frontline")
    client = client_for(frontline)
    customer = regulars["steady"]
    response = client.post(
        f"/o/acme/customers/{customer.pk}/temperament/", {"temperament": "orange"}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.temperament, customer.temperament_set_by_id) == ("orange", frontline.user.pk)
    html = client.get(f"/o/acme/customers/{customer.pk}/").content.decode()
    assert "How to serve Orange customers:" in html
    assert "Be quick and get to the point." in html
    # Front-line staff do not get the record actions.
    assert "Erase personal data" not in html


def test_the_organisation_edits_the_guidance(admin_client, regulars, organisation):
    customer = regulars["steady"]
    services.set_temperament(customer, "green", actor=None)
    response = admin_client.post(
        "/o/acme/customers/settings/",
        {"form": "green", "green-temperament": "green", "green-text": "Send the numbers first."},
    )
    assert response.status_code == 302
    html = admin_client.get(f"/o/acme/customers/{customer.pk}/").content.decode()
    assert "Send the numbers first." in html


def test_the_rule_is_shown_and_changed_on_the_settings_page(admin_client, organisation):
    page = admin_client.get("/o/acme/customers/settings/").content.decode()
    assert "Lapsed: absent longer than 90% of their own gaps between visits." in page
    bad = admin_client.post(
        "/o/acme/customers/settings/",
        {
            "form": "rule",
            "lapse_percent": 80,
            "at_risk_percent": 85,
            "minimum_visits": 3,
            "own_history_gaps": 5,
            "fallback_gap_days": 30,
        },
    )
    assert bad.status_code == 422
    assert not LapseSettings.objects.exists()
    good = admin_client.post(
        "/o/acme/customers/settings/",
        {
            "form": "rule",
            "lapse_percent": 95,
            "at_risk_percent": 80,
            "minimum_visits": 4,
            "own_history_gaps": 6,
            "fallback_gap_days": 30,
        },
    )
    assert good.status_code == 302
    settings = LapseSettings.objects.get()
    assert (settings.lapse_quantile, settings.minimum_visits, settings.version) == (0.95, 4, 1)


def test_merge_from_the_page_after_looking_at_both(admin_client, regulars):
    keep, duplicate = regulars["steady"], regulars["new"]
    preview = admin_client.get(f"/o/acme/customers/{keep.pk}/merge/", {"other": "N-1"})
    assert "Ned New" in preview.content.decode()
    unconfirmed = admin_client.post(f"/o/acme/customers/{keep.pk}/merge/", {"other": duplicate.pk})
    assert unconfirmed.status_code == 422
    assert not CustomerMerge.objects.exists()
    done = admin_client.post(
        f"/o/acme/customers/{keep.pk}/merge/",
        {"other": duplicate.pk, "confirm": "on", "reason": "same card number"},
    )
    assert done.status_code == 302
    assert CustomerMerge.objects.get().merged_id == duplicate.pk
    # The duplicate's page now leads to the survivor.
    moved = admin_client.get(f"/o/acme/customers/{duplicate.pk}/")
    assert moved.status_code == 302
    assert moved["Location"].endswith(f"/customers/{keep.pk}/")


def test_export_downloads_json_and_erasure_needs_confirmation(admin_client, regulars):
    customer = regulars["lapsed"]
    download = admin_client.post(f"/o/acme/customers/{customer.pk}/export/")
    assert download["Content-Disposition"] == f'attachment; filename="customer-{customer.pk}.json"'
    assert json.loads(download.content)["customers"]["records"][0]["email"] == "lars@example.com"
    refused = admin_client.post(f"/o/acme/customers/{customer.pk}/erase/", {})
    assert refused.status_code == 422
    assert Customer.objects.get(pk=customer.pk).erased_at is None
    erased = admin_client.post(f"/o/acme/customers/{customer.pk}/erase/", {"confirm": "on"})
    assert erased.status_code == 302
    assert Customer.objects.get(pk=customer.pk).name == ""
    assert admin_client.get(f"/o/acme/customers/{customer.pk}/").status_code == 404
    assert list(
        AuditEvent.objects.filter(action__startswith="customer.")
        .order_by("at")
        .values_list("action", flat=True)
    ) == [
        "customer.export",
        "customer.erase",
    ]


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_viewers_and_analysts_cannot_see_identified_customers(
    organisation, make_member, regulars, role
):
    client = client_for(make_member(organisation, role))
    assert client.get("/o/acme/customers/").status_code == 403
    assert client.get(f"/o/acme/customers/{regulars['lapsed'].pk}/").status_code == 403
    # They reach the anonymous loyalty figures instead.
    surveys = client.get("/o/acme/surveys/").content.decode()
    assert "/o/acme/customers/loyalty/" in surveys
    assert 'href="/o/acme/customers/"' not in surveys
    assert client.get("/o/acme/customers/loyalty/").status_code == 200


def test_a_member_of_another_organisation_gets_404(other_organisation, make_member, regulars):
    client = client_for(make_member(other_organisation, "owner"))
    assert client.get(f"/o/acme/customers/{regulars['lapsed'].pk}/").status_code == 404
    assert client.get(f"/o/rival/customers/{regulars['lapsed'].pk}/").status_code == 404


def test_front_line_staff_see_the_customers_of_their_unit(
    organisation, make_member, make_customer, add_visits, hotel, other_hotel, now
):
    here = make_customer("H-1", name="Served Here")
    add_visits(here, [now - timedelta(days=1)], unit=hotel)
    elsewhere = make_customer("E-1", name="Served Elsewhere")
    add_visits(elsewhere, [now - timedelta(days=1)], unit=other_hotel)
    client = client_for(make_member(organisation, "frontline", unit=hotel))
    listing = client.get("/o/acme/customers/").content.decode()
    assert "Served Here" in listing
    assert "Served Elsewhere" not in listing
    assert client.get(f"/o/acme/customers/{elsewhere.pk}/").status_code == 404
    assert client.get(f"/o/acme/customers/{here.pk}/").status_code == 200


def test_loyalty_page_on_hand_worked_numbers(
    admin_client, organisation, make_customer, add_visits, now
):
    # Ten customers last year; eight of them come back this year, plus two new ones.
    for index in range(10):
        customer = make_customer(f"Y-{index}")
        add_visits(customer, [now - timedelta(days=500)], value=Decimal("100"))
        if index < 8:
            add_visits(customer, [now - timedelta(days=100)], value=Decimal("150"))
    for index in range(2):
        add_visits(make_customer(f"New-{index}"), [now - timedelta(days=50)], value=Decimal("150"))
    html = admin_client.get(
        "/o/acme/customers/loyalty/",
        {"period_months": 12, "discount_percent": 0, "margin_percent": 100, "retention_points": 5},
    ).content.decode()
    # r = 0.8; revenue per customer 150; CLV = 150 / (1 - 0.8) = 750; at 0.85: 1,000.
    assert 'data-testid="retention">80.0%' in html
    assert 'data-testid="revenue">150.00' in html
    assert 'data-testid="lifetime-value">750.00' in html
    assert 'data-testid="raised-value">1,000.00' in html
    assert 'data-testid="value-of-points">2,500.00' in html  # 10 customers × 250
    assert 'data-testid="steady-gain">33.3%' in html  # 0.20 / 0.15 − 1
    assert "25% to 85%" in html


def test_loyalty_figures_are_counted_once_a_day(
    admin_client, organisation, make_customer, add_visits, now
):
    from heedback.customers.models import LoyaltySnapshot

    customer = make_customer("Y-1")
    add_visits(customer, [now - timedelta(days=500), now - timedelta(days=100)])
    assert services.refresh_loyalty() == 4  # one per period length offered
    assert services.refresh_loyalty() == 0  # done for today
    assert LoyaltySnapshot.objects.count() == 4
    add_visits(make_customer("Y-2"), [now - timedelta(days=400)])
    html = admin_client.get("/o/acme/customers/loyalty/").content.decode()
    # The page reads today's count: the late arrival shows tomorrow.
    assert "1 of 1 came back" in html


def test_the_loyalty_page_shows_the_newest_count_rather_than_wait(admin_client, organisation):
    from heedback.customers.models import LoyaltySnapshot
    from heedback.customers.selectors import today_in

    yesterday = today_in(organisation) - timedelta(days=1)
    LoyaltySnapshot.objects.create(
        organisation=organisation,
        period_months=12,
        end_day=yesterday,
        previous_customers=40,
        retained_customers=30,
        current_customers=50,
        current_revenue=Decimal("5000"),
    )
    html = admin_client.get("/o/acme/customers/loyalty/").content.decode()
    assert "30 of 40 came back" in html
    assert 'data-testid="revenue">100.00' in html
    assert LoyaltySnapshot.objects.count() == 1  # nothing counted while the page waited
