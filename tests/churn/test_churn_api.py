"""The churn figures through the API: the page's definition, the page's numbers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from heedback.customers import services
from tests.customers.conftest import every

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)
TEN = Decimal("10")


@pytest.fixture
def world(make_customer, add_visits, answer, hotel):
    """Four customers judged today: two detractors (one lapsed), a passive who lapsed, a
    promoter who stays, and one without a rhythm."""
    now = timezone.now()
    made = {}
    made["A"] = make_customer("A", name="Alma")
    add_visits(made["A"], every(14, 6, last=now - 200 * DAY), unit=hotel, value=TEN)
    answer(made["A"], now - 205 * DAY, 3, comment="Rude reception, never again")
    made["B"] = make_customer("B", name="Bo")
    add_visits(made["B"], every(14, 20, last=now - 3 * DAY), unit=hotel, value=TEN)
    answer(made["B"], now - 150 * DAY, 2)
    made["C"] = make_customer("C", name="Cy")
    add_visits(made["C"], every(14, 20, last=now - 2 * DAY), unit=hotel, value=TEN)
    answer(made["C"], now - 120 * DAY, 10)
    made["E"] = make_customer("E", name="Eve")
    add_visits(made["E"], every(14, 6, last=now - 300 * DAY), unit=hotel, value=TEN)
    answer(made["E"], now - 310 * DAY, 8)
    made["F"] = make_customer("F", name="Fin")
    add_visits(made["F"], [now - 400 * DAY], unit=hotel, value=TEN)
    answer(made["F"], now - 400 * DAY, 0)
    services.refresh_lapse()
    return made


def rounded(band: dict) -> tuple:
    return (
        band["key"],
        band["lapsed"],
        band["n"],
        band["rate"],
        round(band["interval_low"], 4),
        round(band["interval_high"], 4),
    )


def test_the_churn_figures_by_nps_band_and_domain(world, organisation, make_api_client):
    response = make_api_client(organisation, role="analyst").get("/api/v1/churn")
    assert response.status_code == 200
    body = response.json()
    assert (body["follow_days"], body["judged"]) == (90, 4)
    assert [rounded(band) for band in body["nps"]] == [
        ("detractor", 1, 2, 0.5, 0.0945, 0.9055),  # Wilson 95 % of 1 in 2, by hand
        ("passive", 1, 1, 1.0, 0.2065, 1.0),
        ("promoter", 0, 1, 0.0, 0.0, 0.7935),
    ]
    pairs = [(c["first"], c["second"]) for c in body["nps_comparisons"]]
    assert pairs == [("detractor", "passive"), ("detractor", "promoter"), ("passive", "promoter")]
    assert body["nps_comparisons"][0]["difference"] == -0.5
    # Only the NPS question was answered, and it belongs to no domain.
    assert {(d["low"]["n"], d["high"]["n"], d["comparison"]) for d in body["domains"]} == {
        (0, 0, None)
    }


def test_the_window_is_validated_by_field(world, organisation, make_api_client):
    client = make_api_client(organisation)
    refused = client.get("/api/v1/churn", {"follow_days": 3})
    assert refused.status_code == 422
    assert list(refused.json()["errors"]) == ["follow_days"]
    foreign = client.get("/api/v1/churn", {"unit": 987654})
    assert foreign.status_code == 422
    assert list(foreign.json()["errors"]) == ["unit"]


def test_the_last_feedback_before_each_lapse_is_paged(world, organisation, make_api_client):
    client = make_api_client(organisation)
    first = client.get("/api/v1/churn/last-feedback", {"limit": 1}).json()
    assert first["has_more"] is True
    assert [(row["name"], row["nps"], row["comment"]) for row in first["results"]] == [
        ("Alma", 3, "Rude reception, never again")
    ]
    second = client.get("/api/v1/churn/last-feedback", {"limit": 1, "offset": 1}).json()
    assert second["has_more"] is False
    assert [(row["name"], row["nps"]) for row in second["results"]] == [("Eve", 8)]
    analyst = make_api_client(organisation, role="analyst")
    assert analyst.get("/api/v1/churn/last-feedback").status_code == 403


def test_the_page_shows_the_same_figures(world, admin):
    client = Client()
    client.force_login(admin.user)
    page = client.get("/o/acme/customers/churn/").content.decode()
    assert '<tr><th scope="row">Detractors (0–6)</th><td>1</td><td>2</td><td>50.0</td>' in page


def test_the_loyalty_page_values_moving_detractors_on_these_lapse_rates(world, admin_client):
    # Previous year: Eve and Fin; Eve came back (r = 0.5). This year: Alma, Bo, Cy, Eve
    # bring 6 + 20 + 20 + 5 visits of 10: 127.50 each; at no discount CLV = 127.5 / 0.5.
    # Detractors lapse 1 in 2, promoters 0 in 1: moving 10 keeps 10 × 0.5 = 5 customers.
    query = {"period_months": 12, "discount_percent": 0, "margin_percent": 100}
    page = admin_client.get("/o/acme/customers/loyalty/", {**query, "moved_detractors": 10})
    html = page.content.decode()
    assert 'data-testid="lifetime-value">255.00' in html
    what_if = html.split('data-testid="move-what-if">')[1].split("</p>")[0]
    assert "50.0% of customers lapse after a detractor answer and 0.0% after" in what_if
    assert "keeps <strong>5.0</strong> customers more, worth <strong>1,275.00</strong>" in what_if
    to_passives = admin_client.get(
        "/o/acme/customers/loyalty/", {**query, "moved_detractors": 10, "moved_to": "passive"}
    ).content.decode()
    assert "What if 10 detractors became passives?" in to_passives
    # Passives lapse more often here (1 in 1): the what-if claims nothing.
    assert "keeps <strong>0.0</strong> customers more, worth <strong>0.00</strong>" in to_passives


def test_an_organisation_without_an_nps_question_gets_empty_bands(
    organisation, make_customer, add_visits, make_api_client
):
    customer = make_customer("Q")
    add_visits(customer, every(14, 6, last=timezone.now() - 200 * DAY))
    services.refresh_lapse()
    body = make_api_client(organisation).get("/api/v1/churn").json()
    assert body["judged"] == 1
    assert [(band["key"], band["n"], band["rate"]) for band in body["nps"]] == [
        ("detractor", 0, None),
        ("passive", 0, None),
        ("promoter", 0, None),
    ]
