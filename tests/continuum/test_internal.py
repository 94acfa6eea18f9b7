"""Internal customers: the pulse per unit beside customer scores, on the page, API and CSV.

Expected figures are computed here from the seeded answers, independently of the metric
engine; small employee cells must be withheld on all three surfaces alike.
"""

from __future__ import annotations

import csv
import io
import math
import statistics

import pytest
from django.urls import reverse

from heedback.continuum.stats import pearson, ranks, spearman
from heedback.orgs import services as org_services

pytestmark = pytest.mark.django_db

# Per branch: the pulse (enps, training) of each employee, and customers' NPS answers.
PULSES = [
    [(10, 5)] * 5,
    [(10, 5), (10, 4), (10, 2), (3, 2), (3, 1)],
    [(10, 4), (3, 3), (3, 2), (3, 2), (3, 1), (9, 5)],
    [(3, 1)] * 5,
    [(10, 5), (9, 4)],  # too few: withheld
]
CUSTOMERS = [[10] * 10, [10] * 6 + [3] * 4, [10] * 3 + [3] * 7, [3] * 10, [10] * 10]


def nps_of(answers):
    return 100 * (sum(a >= 9 for a in answers) - sum(a <= 6 for a in answers)) / len(answers)


def top_two(ratings):
    return 100 * sum(r >= 4 for r in ratings) / len(ratings)


@pytest.fixture
def branches(organisation, root_unit, make_survey, respond):
    units = [
        org_services.create_unit(organisation, name=f"Branch {number}", parent=root_unit)
        for number in range(len(PULSES))
    ]
    pulse, stay = make_survey("employee_pulse", "Pulse"), make_survey("hotel_stay", "Stay")
    for unit, staff, customers in zip(units, PULSES, CUSTOMERS, strict=True):
        for enps, training in staff:
            respond(pulse, unit, {"enps": enps, "training": training})
        for answer in customers:
            respond(stay, unit, {"nps": answer})
    return {"units": units, "pulse": pulse, "stay": stay}


def test_ranks_share_ties():
    assert ranks([3.0, 1.0, 3.0, 2.0]) == [3.5, 1.0, 3.5, 2.0]


def test_spearman_matches_pearson_of_hand_ranked_values():
    pairs = [(1.0, 2.0), (2.0, 1.0), (3.0, 4.0), (4.0, 3.0), (5.0, 6.0), (5.0, 5.0)]
    xs, ys = [1, 2, 3, 4, 5.5, 5.5], [2, 1, 4, 3, 6, 5]
    expected = statistics.correlation(xs, ys)
    rho = spearman(pairs)
    assert rho.r == pytest.approx(expected)
    half = 1.96 * math.sqrt(1.06 / (len(pairs) - 3))
    assert rho.low == pytest.approx(math.tanh(math.atanh(expected) - half), abs=1e-3)
    assert pearson(pairs).r == pytest.approx(statistics.correlation(*zip(*pairs, strict=True)))


def test_the_api_reports_each_unit_and_withholds_the_small_one(branches, api):
    body = api.get("/api/v1/continuum/internal-customers").json()
    assert body["pulse"] == branches["pulse"].pk
    assert body["survey"] == branches["stay"].pk
    assert [m["key"] for m in body["measures"]] == [
        "enps",
        "training",
        "authority",
        "tools",
        "recognition",
        "customer_nps",
        "customer_csat",
    ]
    units = {line["unit"]: line for line in body["units"]}
    for unit, staff, customers in zip(branches["units"], PULSES, CUSTOMERS, strict=True):
        line = units[unit.pk]
        assert line["figures"]["customer_nps"]["value"] == pytest.approx(nps_of(customers))
        assert line["figures"]["customer_nps"]["n"] == len(customers)
        if len(staff) < 5:
            assert line["respondents"] == {
                "value": None,
                "display": "withheld",
                "n": None,
                "ci_low": None,
                "ci_high": None,
                "is_withheld": True,
            }
            assert line["figures"]["enps"]["is_withheld"] is True
            assert line["figures"]["enps"]["n"] is None
            continue
        assert line["respondents"]["n"] == len(staff)
        assert line["figures"]["enps"]["value"] == pytest.approx(nps_of([e for e, _t in staff]))
        training = line["figures"]["training"]
        assert training["value"] == pytest.approx(top_two([t for _e, t in staff]))
        assert line["figures"]["authority"]["n"] == 0  # nobody answered it
    # The total holds 2 answers more than the units shown: 2 < 5, so it is withheld too.
    assert body["total"]["figures"]["enps"]["is_withheld"] is True
    assert body["total"]["respondents"]["is_withheld"] is True
    assert body["total"]["figures"]["customer_nps"]["n"] == sum(map(len, CUSTOMERS))


def test_the_correlation_uses_units_with_enough_answers(branches, api):
    body = api.get("/api/v1/continuum/internal-customers").json()
    shown = [(staff, customers) for staff, customers in zip(PULSES, CUSTOMERS, strict=True)]
    shown = [pair for pair in shown if len(pair[0]) >= 5]
    enps = [nps_of([e for e, _t in staff]) for staff, _c in shown]
    customer = [nps_of(customers) for _s, customers in shown]
    r = statistics.correlation(enps, customer)
    headline = body["correlations"][0]
    assert headline["employee_measure"] == "enps"
    assert headline["pearson"]["n"] == 4
    assert headline["pearson"]["r"] == pytest.approx(r)
    half = 1.96 / math.sqrt(4 - 3)
    assert headline["pearson"]["ci_low"] == pytest.approx(math.tanh(math.atanh(r) - half), 1e-3)
    rho = statistics.correlation(ranks(enps), ranks(customer))
    assert headline["spearman"]["r"] == pytest.approx(rho)
    assert headline["pearson"]["is_few"] is True
    assert headline["caveat"].startswith("Only 4 units (fewer than 10)")


def test_the_page_shows_the_table_chart_and_caveat_and_withholds_the_small_unit(
    organisation, branches, admin_client, django_assert_num_queries
):
    url = reverse("continuum-internal", args=[organisation.slug])
    # Log-in, units and surveys, then per measure (count, eNPS, four ratings, NPS, CSAT) the
    # engine's reads grouped by unit and in total: the same for any number of units.
    with django_assert_num_queries(48):
        page = admin_client.get(url)
    text = page.content.decode()
    small, first = branches["units"][4], branches["units"][0]
    assert f'data-testid="enps-{first.pk}">+100 <span class="muted small">n=5</span>' in text
    cell = text.split(f'data-testid="enps-{small.pk}">')[1].split("</td>")[0]
    assert "withheld" in cell
    assert "n=" not in cell
    assert "+" not in cell
    assert '<svg class="scatter"' in text
    assert 'data-testid="scatter-table"' in text
    assert "Only 4 units (fewer than 10)" in text
    assert 'data-testid="enps-total"><span class="badge"' in text


def test_the_csv_matches_the_page_and_withholds_alike(organisation, branches, admin_client):
    url = reverse("continuum-internal-csv", args=[organisation.slug])
    response = admin_client.get(url, {"period": "all"})
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_unit = {row["unit"]: row for row in rows}
    small = by_unit["Branch 4"]
    assert small["pulse_respondents"] == "withheld"
    assert small["enps"] == "withheld"
    assert small["enps_n"] == "withheld"
    assert small["customer_nps"] == "100.0000"
    assert by_unit["Branch 1"]["enps"] == f"{nps_of([10, 10, 10, 3, 3]):.4f}"
    assert by_unit["Branch 1"]["pulse_respondents"] == "5"
    assert by_unit["All units"]["enps"] == "withheld"


def test_a_manager_sees_their_own_unit_only(organisation, branches, make_member, client_of):
    unit = branches["units"][0]
    manager = make_member(organisation, "manager", unit=unit)
    page = client_of(manager).get(reverse("continuum-internal", args=[organisation.slug]))
    text = page.content.decode()
    assert f'data-unit="{unit.pk}"' in text
    assert f'data-unit="{branches["units"][1].pk}"' not in text


def test_a_bad_pulse_is_a_field_error(branches, api):
    response = api.get("/api/v1/continuum/internal-customers", {"pulse": branches["stay"].pk})
    assert response.status_code == 422
    assert "pulse" in response.json()["errors"]


def test_without_a_pulse_the_page_says_how_to_start(organisation, admin_client):
    page = admin_client.get(reverse("continuum-internal", args=[organisation.slug]))
    assert b'data-testid="no-pulse"' in page.content
