"""Lapse after an answer, worked by hand: bands, domains, the last feedback, themes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from heedback.customers import services
from heedback.customers.models import Customer
from heedback.insights import churn
from tests.customers.conftest import NOW, every

pytestmark = pytest.mark.django_db
WINDOW = churn.ChurnWindow(as_of=NOW, follow_days=90)
DAY = timedelta(days=1)


@pytest.fixture
def world(make_customer, add_visits, answer, hotel):
    """Five customers, each a case of the definition (see each line)."""
    made = {}
    # A: came fortnightly, stopped 200 days ago after a detractor answer: lapsed.
    made["A"] = make_customer("A")
    add_visits(made["A"], every(14, 6, last=NOW - 200 * DAY), unit=hotel)
    answer(made["A"], NOW - 205 * DAY, 3, staff=1, comment="Rude reception, never again")
    # B: a detractor once, still coming: stayed.
    made["B"] = make_customer("B")
    add_visits(made["B"], every(14, 20, last=NOW - 3 * DAY), unit=hotel)
    answer(made["B"], NOW - 150 * DAY, 2)
    # C: a promoter, still coming: stayed.
    made["C"] = make_customer("C")
    add_visits(made["C"], every(14, 20, last=NOW - 2 * DAY), unit=hotel)
    answer(made["C"], NOW - 120 * DAY, 10, staff=5)
    # D: a detractor, then a promoter too recently to be followed 90 days: a detractor.
    made["D"] = make_customer("D")
    add_visits(made["D"], every(14, 20, last=NOW - DAY), unit=hotel)
    answer(made["D"], NOW - 200 * DAY, 4)
    answer(made["D"], NOW - 30 * DAY, 9)
    # E: a passive, lapsed, then answered a win-back survey: the passive counts.
    made["E"] = make_customer("E")
    add_visits(made["E"], every(14, 6, last=NOW - 300 * DAY), unit=hotel)
    answer(made["E"], NOW - 310 * DAY, 8)
    answer(made["E"], NOW - 100 * DAY, 0, comment="Moved away")
    # F: too few visits for a rhythm: not judged at all.
    made["F"] = make_customer("F")
    add_visits(made["F"], [NOW - 400 * DAY], unit=hotel)
    answer(made["F"], NOW - 400 * DAY, 0)
    services.refresh_lapse()
    return made


def test_lapse_rates_by_band_follow_the_stated_definition(world, organisation):
    figures = churn.churn_figures(organisation, Customer.objects.for_org(organisation), WINDOW)
    assert figures.judged == 5
    assert [(band.key, band.lapsed, band.n) for band in figures.nps] == [
        ("detractor", 1, 3),
        ("passive", 1, 1),
        ("promoter", 0, 1),
    ]
    detractors = figures.nps[0]
    low, high = detractors.interval
    assert (round(low, 4), round(high, 4)) == (0.0615, 0.7923)  # Wilson, 1 of 3
    first = figures.nps_comparisons[0]
    assert (first.first.key, first.second.key) == ("detractor", "passive")
    assert round(first.difference, 4) == round(1 / 3 - 1, 4)


def test_lapse_after_low_and_high_domain_scores(world, organisation):
    figures = churn.churn_figures(organisation, Customer.objects.for_org(organisation), WINDOW)
    by_key = {domain.key: domain for domain in figures.domains}
    staff = by_key["frontline_behaviours"]
    assert (staff.low.lapsed, staff.low.n, staff.high.lapsed, staff.high.n) == (1, 1, 0, 1)
    assert staff.comparison is not None
    assert round(staff.comparison.p_value, 4) == 0.1573  # z = √2 for 1/1 against 0/1


def test_the_last_feedback_before_each_lapse(world, organisation):
    rows = churn.lapsed_with_last_feedback(
        organisation, Customer.objects.for_org(organisation), WINDOW
    )
    assert [(row.customer.external_id, row.score) for row in rows] == [("A", 3), ("E", 8)]
    assert rows[0].response.comment == "Rude reception, never again"
