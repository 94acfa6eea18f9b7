"""GET /api/v1/metrics with a comparison: existing fields unchanged, the test added."""

from __future__ import annotations

import math

import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

pytestmark = pytest.mark.django_db

JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}


def metrics(api, survey, **params):
    return api.get("/api/v1/metrics", {"survey": survey.pk, **params})


def test_without_a_comparison_the_answer_is_as_before(api, two_months):
    body = metrics(api, two_months, metric="nps", **JANUARY).json()
    assert set(body) == {"metric", "question", "unit", "results", "comparison"}
    assert body["comparison"] is None
    assert body["results"] == [
        {
            "group": None,
            "label": "All",
            "value": 40.0,
            "n": 50,
            "ci_low": body["results"][0]["ci_low"],
            "ci_high": body["results"][0]["ci_high"],
        }
    ]


def test_compare_previous_gives_the_nps_difference_and_p(api, two_months):
    body = metrics(api, two_months, metric="nps", compare="previous", **JANUARY).json()
    assert body["results"][0]["value"] == 40.0  # the period itself, unchanged
    comparison = body["comparison"]
    assert (comparison["compare_from"], comparison["compare_to"]) == ("2025-12-01", "2025-12-31")
    assert comparison["minimum_sample"] == 30
    (row,) = comparison["results"]
    # January 30 P / 10 D of 50; December 20 P / 20 D of 50.
    var1, var2 = (0.8 - 0.4**2) / 50, (0.8 - 0.0) / 50
    se = math.sqrt(var1 + var2)
    assert (row["group"], row["value"], row["n"]) == (None, 0.0, 50)
    assert row["difference"] == pytest.approx(40.0)
    assert row["standard_error"] == pytest.approx(100 * se, rel=1e-12)
    assert row["statistic"] == pytest.approx(0.4 / se, rel=1e-12)
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(0.4 / se), rel=1e-9)
    assert row["adjusted_p_value"] == row["p_value"]  # one group: nothing to correct
    assert row["is_significant"] is True


def test_compare_by_unit_tests_only_large_groups(api, two_months, hotel, other_hotel):
    body = metrics(
        api,
        two_months,
        metric="csat",
        question="staff",
        group_by="unit",
        compare_from="2025-12-01",
        compare_to="2025-12-31",
        **JANUARY,
    ).json()
    rows = {row["group"]: row for row in body["comparison"]["results"]}
    harbour = rows[str(hotel.pk)]
    z, p_value = proportions_ztest([30, 15], [40, 40])
    assert harbour["value"] == pytest.approx(37.5)
    assert harbour["difference"] == pytest.approx(37.5)
    assert harbour["statistic"] == pytest.approx(z, rel=1e-9)
    assert harbour["p_value"] == pytest.approx(p_value, rel=1e-9)
    hill = rows[str(other_hotel.pk)]
    assert (hill["n"], hill["p_value"], hill["is_significant"]) == (10, None, False)
    assert hill["difference"] == pytest.approx(0.0)  # shown, never tested


def test_compare_means_with_welch(api, two_months):
    body = metrics(api, two_months, metric="mean", question="staff", compare="previous", **JANUARY)
    (row,) = body.json()["comparison"]["results"]
    january = [5] * 30 + [2] * 10 + [5] * 5 + [1] * 5
    december = [5] * 15 + [2] * 25 + [5] * 5 + [1] * 5
    expected = stats.ttest_ind(january, december, equal_var=False)
    assert row["statistic"] == pytest.approx(expected.statistic, rel=1e-9)
    assert row["p_value"] == pytest.approx(expected.pvalue, rel=1e-9)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"compare": "next", **JANUARY}, "compare"),
        ({"compare": "previous"}, "compare"),
        ({"compare": "previous", "group_by": "month", **JANUARY}, "group_by"),
        ({"compare_from": "2025-12-31", "compare_to": "2025-12-01"}, "compare_from"),
        ({"compare": "previous", "correction": "sidak", **JANUARY}, "correction"),
    ],
)
def test_a_bad_comparison_names_its_field(api, two_months, params, field):
    answer = metrics(api, two_months, metric="nps", **params)
    assert answer.status_code == 422
    assert field in answer.json()["errors"]
