"""The evidence indicator "driver analysis used", from uses recorded by the drivers page and API.

The expected values are worked out here from the list of seeded uses, by the rule stated
in docs/continuum.md, without the indicator's code.
"""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

import pytest
from django.utils import timezone

from heedback.continuum import selectors
from heedback.continuum.evidence import Status
from heedback.continuum.instrument import Level
from heedback.insights.driver_usage import (
    DriverAnalysisUse,
    DriverAnalysisUseIn,
    record_driver_analysis_use,
)

pytestmark = pytest.mark.django_db


def driver_measurement(organisation, unit, as_of):
    placed = selectors.evidence_for(organisation, [unit], as_of=as_of)[0]
    return next(
        result.measurement
        for factor in placed.factors
        for result in factor.results
        if result.indicator.key == "driver_analysis"
    )


def expected(uses, scope, related):
    """Work the indicator out from (days ago, unit, who, surface, count) rows.

    A use counts for a scope when it analysed the whole organisation, the scope, or a unit
    above or below it (``related``).
    """
    covering = [
        use
        for use in uses
        if use[0] < 90
        and (scope is None or use[1] is None or use[1] == scope or use[1] in related[scope])
    ]
    days = {use[0] for use in covering}
    months = {ago // 30 for ago in days}
    people = {use[2] for use in covering if use[3] == "page"}
    api_calls = sum(use[4] for use in covering if use[3] == "api")
    return {
        "value": float(len(days)),
        "level": Level.CENTRIC if len(months) >= 2 else Level.FOCUSED,
        "n": sum(use[4] for use in covering),
        "detail": (
            f"Analysed on {len(days)} of the last 90 days, in {len(months)} of the last 3 months, "
            f"by {len(people)} people on the drivers page and {api_calls} times through the API."
        ),
    }


def test_driver_analysis_is_measured_from_recorded_uses(
    organisation,
    root_unit,
    hotel,
    other_hotel,
    admin,
    admin_client,
    make_member,
    client_of,
    published_survey,
    api,
):
    now = timezone.now()
    zone = zoneinfo.ZoneInfo(organisation.time_zone)

    def local_day(ago: int):
        # The day in the organisation's time zone, not today's date minus days: across a
        # summer-time change, "100 days ago" at 23:30 UTC falls on another local date.
        return (now - timedelta(days=ago)).astimezone(zone).date()

    manager = make_member(organisation, "manager", unit=hotel)
    page = f"/o/{organisation.slug}/surveys/{published_survey.pk}/drivers/"
    # Today: the admin looks at the whole organisation twice, the hotel's manager at their
    # hotel (their own subtree, without choosing it), a script at the other hotel.
    assert admin_client.get(page).status_code == 200
    assert admin_client.get(page).status_code == 200
    assert client_of(manager).get(page).status_code == 200
    drivers_api = api.get(
        "/api/v1/drivers", {"survey": published_survey.pk, "unit": other_hotel.pk}
    )
    assert drivers_api.status_code == 200
    # Earlier: the admin analysed the hotel 40 days ago, everything 100 days ago.
    for ago, unit in ((40, hotel), (100, None)):
        record_driver_analysis_use(
            DriverAnalysisUseIn(organisation, unit, admin, "page", now - timedelta(days=ago))
        )
    uses = [  # (days ago, unit, who, surface, count)
        (0, None, admin.pk, "page", 2),
        (0, hotel, manager.pk, "page", 1),
        (0, other_hotel, None, "api", 1),
        (40, hotel, admin.pk, "page", 1),
        (100, None, admin.pk, "page", 1),
    ]
    stored = {
        (row.day, row.unit_id, row.membership_id, row.surface): row.uses
        for row in DriverAnalysisUse.objects.all()
    }
    assert stored == {
        (local_day(ago), unit.pk if unit else None, who, surface): count
        for ago, unit, who, surface, count in uses
    }
    related = {hotel: [root_unit], other_hotel: [root_unit], root_unit: [hotel, other_hotel]}
    for scope in (None, root_unit, hotel, other_hotel):
        found = driver_measurement(organisation, scope, now)
        wanted = expected(uses, scope, related)
        assert found.status == Status.MEASURED
        assert (found.value, found.level, found.n, found.detail) == (
            wanted["value"],
            wanted["level"],
            wanted["n"],
            wanted["detail"],
        ), scope
    assert driver_measurement(organisation, hotel, now).level == Level.CENTRIC
    assert driver_measurement(organisation, other_hotel, now).level == Level.FOCUSED
    assert driver_measurement(organisation, None, now).display == "2 days"


def test_without_any_analysis_the_indicator_supports_focused_at_most(organisation, hotel):
    found = driver_measurement(organisation, hotel, timezone.now())
    assert (found.status, found.value, found.level, found.display) == (
        Status.MEASURED,
        0.0,
        Level.FOCUSED,
        "0 days",
    )


def test_a_refused_drivers_request_records_nothing(organisation, published_survey, api):
    response = api.get(
        "/api/v1/drivers", {"survey": published_survey.pk, "from": "2027-02-01", "to": "2027-01-01"}
    )
    assert response.status_code == 422
    assert DriverAnalysisUse.objects.count() == 0


def test_the_placement_api_shows_driver_analysis_with_its_level(
    organisation, published_survey, admin_client, api
):
    assert (
        admin_client.get(
            f"/o/{organisation.slug}/surveys/{published_survey.pk}/drivers/"
        ).status_code
        == 200
    )
    body = api.get("/api/v1/continuum/placement").json()
    measurement = next(item for item in body["factors"] if item["factor"] == "measurement")
    indicators = {item["key"]: item for item in measurement["evidence"]["indicators"]}
    driver = indicators["driver_analysis"]
    assert (driver["status"], driver["value"], driver["level"]["key"]) == (
        "measured",
        1.0,
        "focused",
    )
