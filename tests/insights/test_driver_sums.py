"""Driver sums equal the responses: after any interleaving of inserts, refreshes and rebuilds.

The expected sums are counted here in plain Python from the test's own record of what it
inserted (``CrossProducts.from_rows``) and compared with ``driver_sums.cross_products``,
which reads the driver-sum rows plus the not-yet-rolled-up tail, exactly as the histograms.
"""

from __future__ import annotations

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heedback.insights import driver_sums, histograms
from heedback.insights.drivers import CrossProducts
from heedback.insights.models import DriverSum, Grain, OrganisationDriverSum
from tests.insights.test_rollups import NUMERIC, World, dates, interleave, operations

pytestmark = pytest.mark.django_db

KEYS = sorted(NUMERIC)
scopes = st.tuples(
    st.sampled_from([None, "root", "north", "north_a", "south"]),
    st.one_of(st.none(), st.just(("north_b", "south"))),
    st.tuples(st.one_of(st.none(), dates), st.one_of(st.none(), dates)),
    st.lists(st.sampled_from(KEYS), min_size=1, max_size=len(KEYS), unique=True),
)


def expected_sums(world: World, unit, visible, period, keys) -> CrossProducts:
    rows = [
        {key: float(value) for key, value in plan.answers if key in keys}
        for plan in world._in_scope(unit, visible, period)
    ]
    return CrossProducts.from_rows(rows, keys)


def assert_sums_match(world: World, check) -> None:
    unit, visible, (first, last), keys = check
    if first is not None and last is not None and first > last:
        first, last = last, first
    scope = histograms.Scope(
        organisation_id=world.organisation.pk,
        survey_id=world.survey.pk,
        unit_path=world.units[unit].path if unit else None,
        visible_unit_paths=tuple(world.units[name].path for name in visible) if visible else None,
        date_from=first,
        date_to=last,
    )
    got = driver_sums.cross_products(scope, list(keys))
    wanted = expected_sums(world, unit, visible, (first, last), keys)
    assert got.pairs == wanted.pairs, check


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(operations, min_size=1, max_size=10),
    checks=st.lists(scopes, min_size=3, max_size=6),
)
def test_driver_sums_equal_sums_of_the_raw_responses(db, steps, checks):
    def check_all(world: World) -> None:
        for check in checks:
            assert_sums_match(world, check)

    interleave(
        steps,
        check_now=lambda world: assert_sums_match(world, checks[0]),
        check_all=check_all,
        check_stored=assert_driver_rows_hold_everything,
    )


def assert_driver_rows_hold_everything(world: World) -> None:
    """With the tail empty, every grain of both tables holds each pair's count."""
    answered_nps = sum(1 for plan in world.inserted if "nps" in dict(plan.answers))
    for grain in Grain.values:
        for model in (DriverSum, OrganisationDriverSum):
            rows = model.objects.filter(survey=world.survey, grain=grain)
            own = rows.filter(question_key="nps", other_key="nps").aggregate(n=Sum("n"))["n"]
            assert (own or 0) == answered_nps
