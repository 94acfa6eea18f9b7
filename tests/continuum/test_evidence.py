"""Evidence indicators from seeded responses, checked against values computed here by hand."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from heedback.continuum import selectors
from heedback.continuum.evidence import (
    Comparison,
    Indicator,
    IndicatorResult,
    Measurement,
    Scope,
    Status,
    combine_factor,
    compare,
    level_from_bands,
)
from heedback.continuum.indicators import NPS_BANDS
from heedback.continuum.instrument import Factor, Level
from heedback.continuum.registry import registered_indicators, resolve
from heedback.orgs import services as org_services

pytestmark = pytest.mark.django_db

HOTEL_NPS = [(10, 1), (9, 3), (9, 10), (3, 20), (8, 40)]  # (answer, days ago)
OTHER_NPS = [(6, 2), (7, 15), (10, 60)]
PULSE_HOTEL = [  # enps, training, authority, tools, recognition
    (10, 5, 4, 3, 2),
    (10, 4, 4, 2, 2),
    (9, 5, 5, 4, 1),
    (7, 3, 2, 4, 4),
    (5, 2, 2, 2, 3),
    (3, 4, 5, 5, 5),
]
PULSE_OTHER = [(10, 5, 5, 5, 5), (9, 5, 5, 5, 5), (2, 1, 1, 1, 1)]


@pytest.fixture
def lake(organisation, root_unit):
    return org_services.create_unit(organisation, name="Lake Hotel", parent=root_unit)


@pytest.fixture
def seeded(organisation, hotel, other_hotel, lake, make_survey, respond):
    """Customer answers at two of three hotels, a pulse at both, a self-assessment at one."""
    now = timezone.now()
    stay = make_survey("hotel_stay", "Stay")
    for unit, rows in ((hotel, HOTEL_NPS), (other_hotel, OTHER_NPS)):
        for answer, days in rows:
            respond(stay, unit, {"nps": answer}, now - timedelta(days=days))
    respond(stay, hotel, {"nps": 9, "food_quality": 4}, now - timedelta(days=5))
    respond(stay, lake, {"nps": 2}, now - timedelta(days=120))  # outside every window
    pulse = make_survey("employee_pulse", "Pulse")
    for unit, rows in ((hotel, PULSE_HOTEL), (other_hotel, PULSE_OTHER)):
        for enps, training, authority, tools, recognition in rows:
            answers = {"enps": enps, "training": training, "authority": authority}
            respond(pulse, unit, answers | {"tools": tools, "recognition": recognition})
    staff = make_survey("self_assessment", "How we serve")
    respond(staff, hotel, {"quality": 4, "value": 3})
    return {"now": now}


def measurements(organisation, unit):
    placed = selectors.evidence_for(organisation, [unit], as_of=timezone.now())[0]
    return {
        result.indicator.key: result.measurement
        for factor in placed.factors
        for result in factor.results
    }


def nps_of(answers: list[int]) -> float:
    promoters = sum(1 for answer in answers if answer >= 9)
    detractors = sum(1 for answer in answers if answer <= 6)
    return 100 * (promoters - detractors) / len(answers)


def test_coverage_volume_and_regularity_of_the_organisation(organisation, seeded):
    found = measurements(organisation, None)
    # Leaves: Harbour, Hill and Lake; Lake's only response is 120 days old.
    assert found["touchpoint_coverage"].value == pytest.approx(100 * 2 / 3)
    assert found["touchpoint_coverage"].display == "67%"
    assert found["touchpoint_coverage"].level == Level.FRIENDLY
    assert "2 of 3 units" in found["touchpoint_coverage"].detail
    assert "through 2 touchpoints" in found["touchpoint_coverage"].detail
    responses = len(HOTEL_NPS) + len(OTHER_NPS) + 1
    assert found["responses_per_unit"].value == pytest.approx(responses / 3 / 3)
    assert found["responses_per_unit"].display == "1.0 a month"
    assert found["responses_per_unit"].level == Level.FRIENDLY  # one a month reaches friendly
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    today = seeded["now"].astimezone(zone).date()
    days = [days for _answer, days in HOTEL_NPS + OTHER_NPS] + [5]
    weeks = {
        (today - (seeded["now"] - timedelta(days=d)).astimezone(zone).date()).days // 7
        for d in days
        if d < 91
    }
    assert found["feedback_regularity"].value == len(weeks)
    assert found["feedback_regularity"].level == level_from_bands(
        len(weeks),
        [(-1, Level.HOSTILE), (1, Level.AWARE), (6, Level.FRIENDLY), (12, Level.CENTRIC)],
    )


def test_customer_nps_is_small_sample_until_the_organisation_minimum(organisation, seeded):
    answers = [answer for answer, _d in HOTEL_NPS + OTHER_NPS] + [9]
    found = measurements(organisation, None)["customer_nps"]
    assert found.status == Status.SMALL_SAMPLE  # 9 answers, minimum 30
    assert found.value == pytest.approx(nps_of(answers))
    assert found.level is None
    organisation.minimum_sample = 5
    organisation.save()
    found = measurements(organisation, None)["customer_nps"]
    assert found.status == Status.MEASURED
    assert found.display == "+33"  # 5 promoters, 2 detractors of 9
    assert found.level == level_from_bands(nps_of(answers), NPS_BANDS) == Level.FOCUSED


def test_pulse_enps_and_enablement_of_a_unit_with_enough_respondents(organisation, hotel, seeded):
    found = measurements(organisation, hotel)
    enps = nps_of([row[0] for row in PULSE_HOTEL])
    assert found["enps"].status == Status.MEASURED
    assert found["enps"].value == pytest.approx(enps)  # 3 promoters, 2 detractors of 6
    assert found["enps"].display == "+17"
    assert found["enps"].level == Level.FOCUSED
    ratings = [value for row in PULSE_HOTEL for value in row[1:]]
    share = 100 * sum(1 for value in ratings if value >= 4) / len(ratings)
    assert found["employee_enablement"].value == pytest.approx(share)
    assert found["employee_enablement"].level == Level.FRIENDLY  # 54%
    assert found["employee_enablement"].detail == (
        "authority 67%, recognition 33%, tools 50%, training 67%"
    )
    assert found["employee_pulse_run"].level == Level.CENTRIC  # its only customer unit: 6 ≥ 5


def test_a_unit_with_fewer_than_five_respondents_shows_no_employee_figure(
    organisation, other_hotel, seeded
):
    found = measurements(organisation, other_hotel)
    for key in ("enps", "employee_enablement"):
        assert found[key].status == Status.WITHHELD
        assert found[key].value is None
        assert found[key].display == ""
        assert found[key].level is None
    assert found["employee_pulse_run"].level == Level.FOCUSED  # ran, but 3 < 5 beside customers


def test_the_organisation_combines_every_unit(organisation, seeded):
    found = measurements(organisation, None)
    all_enps = [row[0] for row in PULSE_HOTEL + PULSE_OTHER]
    assert found["enps"].value == pytest.approx(nps_of(all_enps))
    assert found["enps"].n == 9
    # One of the two customer units can show its pulse: half is enough for centric.
    assert found["employee_pulse_run"].level == Level.CENTRIC
    assert "1 of 2 units" in found["employee_pulse_run"].detail


def test_perception_gap_needs_staff_and_customers_on_the_same_domain(
    organisation, hotel, other_hotel, seeded
):
    assert measurements(organisation, hotel)["perception_gap_measured"].level == Level.CENTRIC
    assert measurements(organisation, hotel)["perception_gap_measured"].n == 1  # quality
    other = measurements(organisation, other_hotel)["perception_gap_measured"]
    assert (other.display, other.level) == ("no", Level.FOCUSED)


def test_an_organisation_without_data(organisation):
    found = measurements(organisation, None)
    assert found["touchpoint_coverage"].level == Level.HOSTILE
    assert found["customer_nps"].status == Status.NO_DATA
    assert found["enps"].status == Status.NO_DATA
    assert found["employee_pulse_run"].level == Level.FRIENDLY
    assert found["detractors_followed_up"].status == Status.NO_DATA  # measured by the loop
    assert (found["driver_analysis"].value, found["driver_analysis"].level) == (0.0, Level.FOCUSED)


def test_evidence_of_one_scope_costs_a_fixed_number_of_queries(
    organisation, seeded, hotel, other_hotel, lake, django_assert_num_queries
):
    # The snapshot (8), interactions per unit (1), the customers' lapse counts (1), the
    # driver analysis uses (1) and the loop's counts (4, loop/indicators.py).
    with django_assert_num_queries(15):
        selectors.evidence_for(organisation, [None], as_of=timezone.now())
    with django_assert_num_queries(15):
        selectors.evidence_for(organisation, [None, hotel, other_hotel, lake], as_of=timezone.now())


# --- Pure combination ---------------------------------------------------------------------


def _result(key: str, factor: Factor, level: Level | None, status=Status.MEASURED):
    indicator = Indicator(key=key, factor=factor, label=key, description="")
    return IndicatorResult(indicator, Measurement(status, 1.0, "1", level))


def test_the_weakest_measured_indicator_sets_the_factor_level():
    results = [
        _result("a", Factor.MEASUREMENT, Level.CENTRIC),
        _result("b", Factor.MEASUREMENT, Level.AWARE),
        _result("c", Factor.MEASUREMENT, Level.AWARE),
        _result("d", Factor.MEASUREMENT, None, Status.NOT_MEASURED),
        _result("e", Factor.ENVIRONMENT, Level.HOSTILE),
    ]
    evidence = combine_factor(Factor.MEASUREMENT, results)
    assert evidence.level == Level.AWARE
    assert [result.indicator.key for result in evidence.limiting] == ["b", "c"]
    assert evidence.measured_count == 3
    assert combine_factor(Factor.CUSTOMER_FOCUS, results).level is None


@pytest.mark.parametrize(
    ("own", "data", "expected"),
    [
        (Level.FOCUSED, Level.AWARE, Comparison.SELF_HIGHER),
        (Level.AWARE, Level.FOCUSED, Comparison.SELF_LOWER),
        (Level.FRIENDLY, Level.FRIENDLY, Comparison.AGREE),
        (None, Level.FRIENDLY, Comparison.NO_SELF),
        (Level.FRIENDLY, None, Comparison.NO_EVIDENCE),
        (None, None, Comparison.NEITHER),
    ],
)
def test_compare(own, data, expected):
    assert compare(own, data) == expected


# --- Registry -------------------------------------------------------------------------------


def _followed_up(request):
    return [Measurement(Status.MEASURED, 12.0, "12%", Level.AWARE, "3 of 25 detractors")] * len(
        request.scopes
    )


PLUGGED = [
    Indicator(
        key="detractors_followed_up",
        factor=Factor.MEASUREMENT,
        label="Detractors followed up",
        description="",
        step="Call every detractor.",
        measure=_followed_up,
    )
]


def test_an_app_fills_a_placeholder_without_editing_the_continuum_app(organisation, monkeypatch):
    config = apps.get_app_config("surveys")
    monkeypatch.setattr(
        config, "continuum_indicators", ["tests.continuum.test_evidence.PLUGGED"], raising=False
    )
    monkeypatch.setattr(apps.get_app_config("loop"), "continuum_indicators", [])
    indicator = next(i for i in registered_indicators() if i.key == "detractors_followed_up")
    assert indicator.measure is _followed_up
    found = measurements(organisation, None)["detractors_followed_up"]
    assert (found.display, found.level) == ("12%", Level.AWARE)


def test_two_apps_measuring_one_key_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="detractors_followed_up"):
        resolve([*PLUGGED, *PLUGGED])


def test_a_scope_contains_its_subtree():
    scope = Scope(4, "00000001.00000004.", "Hotel")
    assert scope.contains("00000001.00000004.00000009.")
    assert not scope.contains("00000001.00000005.")
    assert Scope(None, "").contains("00000001.")
