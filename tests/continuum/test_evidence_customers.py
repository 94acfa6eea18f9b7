"""Evidence from customer records: responses per interaction and lapse tracking.

Seeded interactions and responses; the expected figures are counted here from the seed,
not from the indicator's own queries.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from heedback.continuum import selectors
from heedback.continuum.evidence import Status
from heedback.continuum.instrument import Level
from heedback.continuum.registry import registered_indicators
from heedback.customers import services as customer_services
from heedback.customers.inputs import CustomerInput, InteractionInput
from heedback.customers.models import Customer

pytestmark = pytest.mark.django_db

# (customer, unit name, days ago) — three visits make a rhythm under the default rule.
VISITS = [
    ("C1", "hotel", 80),
    ("C1", "hotel", 50),
    ("C1", "hotel", 20),
    ("C2", "hotel", 10),
    ("C3", "other", 5),
    ("C3", "other", 40),
    ("C3", "other", 70),
    ("C4", None, 3),  # no unit: counts for the organisation only
    ("C5", "hotel", 200),  # outside the 90-day window
]
RESPONSES = {"hotel": [2, 4, 30, 100], "other": [1]}  # days ago, per unit


@pytest.fixture
def seeded(organisation, hotel, other_hotel, make_survey, respond):
    now = timezone.now()
    units = {"hotel": hotel, "other": other_hotel}
    for external_id in sorted({visit[0] for visit in VISITS}):
        customer_services.upsert_customer(organisation, CustomerInput(external_id=external_id))
    for index, (customer, unit, days) in enumerate(VISITS):
        customer_services.record_interaction(
            organisation,
            InteractionInput(
                f"I-{index}",
                customer,
                "visit",
                now - timedelta(days=days),
                unit_id=units[unit].pk if unit else None,
            ),
        )
    stay = make_survey("hotel_stay", "Stay")
    for name, ages in RESPONSES.items():
        for days in ages:
            respond(stay, units[name], {"nps": 9}, now - timedelta(days=days))
    return units


def measured(organisation, units, key):
    placed = selectors.evidence_for(organisation, units, as_of=timezone.now())
    return [
        next(
            result.measurement
            for factor in placement.factors
            for result in factor.results
            if result.indicator.key == key
        )
        for placement in placed
    ]


def in_window(unit_name):
    return [v for v in VISITS if v[2] < 90 and (unit_name is None or v[1] == unit_name)]


def test_responses_per_interaction_per_scope(organisation, seeded):
    whole, hotel, other = measured(
        organisation, [None, seeded["hotel"], seeded["other"]], "responses_per_interaction"
    )
    hotel_responses = sum(1 for days in RESPONSES["hotel"] if days < 90)
    hotel_interactions = len(in_window("hotel"))
    assert hotel.status == Status.MEASURED
    assert hotel.value == pytest.approx(100 * hotel_responses / hotel_interactions)
    assert hotel.n == hotel_interactions == 4
    assert hotel.display == "75%"
    assert hotel.level == Level.CENTRIC  # 75 per 100 ≥ 30
    assert other.value == pytest.approx(100 * 1 / 3)
    all_responses = hotel_responses + 1
    assert whole.n == len(in_window(None)) == 8
    assert whole.value == pytest.approx(100 * all_responses / 8)


def test_responses_per_interaction_without_interactions_is_no_data(organisation, hotel):
    (result,) = measured(organisation, [hotel], "responses_per_interaction")
    assert result.status == Status.NO_DATA


def test_lapse_tracked_counts_customers_with_a_rhythm_once_judged(organisation, seeded):
    (before,) = measured(organisation, [None], "lapse_tracked")
    # Nobody judged yet: recording interactions marks customers stale, the worker judges.
    assert Customer.objects.filter(lapse_computed_at__isnull=False).count() == 0
    assert before.status == Status.MEASURED
    assert before.level == Level.FOCUSED
    customer_services.refresh_lapse(time_budget=60)
    visits = {}
    for customer, _unit, _days in VISITS:
        visits[customer] = visits.get(customer, 0) + 1
    with_rhythm = sum(1 for count in visits.values() if count >= 3)
    whole, hotel = measured(organisation, [None, seeded["hotel"]], "lapse_tracked")
    assert whole.status == Status.MEASURED
    assert whole.value == with_rhythm == 2
    assert whole.level == Level.CENTRIC
    assert whole.detail == (
        "2 of 5 customers (40%) have a rhythm of visits and are watched for lapses, "
        "organisation-wide."
    )
    assert hotel == whole  # an organisation-wide practice


def test_lapse_tracked_without_customers_is_no_data(organisation):
    (result,) = measured(organisation, [None], "lapse_tracked")
    assert result.status == Status.NO_DATA


def test_the_customers_app_measures_lapse_and_the_continuum_responses(organisation):
    providers = {i.key: i for i in registered_indicators()}
    assert providers["lapse_tracked"].measure.__module__ == "heedback.customers.indicators"
    assert providers["responses_per_interaction"].measure is not None
