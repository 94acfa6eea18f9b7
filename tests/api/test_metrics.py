"""GET /api/v1/metrics: values checked against sums worked out by hand from the answers.

Every test runs twice: once with the responses only in the raw rows (the worker has not
run: the query reads them as the not-yet-rolled-up tail), once after the worker rolled
them up. The answers must not differ by a digit.
"""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from heedback.insights.services import refresh_rollups

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def adjusted_wald(promoters: int, detractors: int, n: int) -> tuple[float, float]:
    n_adj = n + 3
    p, d = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
    centre = 100 * (p - d)
    half = 1.96 * math.sqrt((p + d - (p - d) ** 2) / n_adj) * 100
    return max(centre - half, -100), min(centre + half, 100)


@pytest.fixture(params=["raw", "rolled_up"])
def answered(request, api, published_survey, hotel, other_hotel):
    """Ten responses: the harbour hotel in January and March, the hill hotel in March."""
    rows = [
        # unit, month, day, nps, staff
        (hotel, 1, 10, 10, 5),
        (hotel, 1, 11, 9, 4),
        (hotel, 1, 12, 3, 2),
        (hotel, 3, 1, 7, 4),
        (hotel, 3, 2, 10, 5),
        (other_hotel, 3, 3, 6, 3),
        (other_hotel, 3, 4, 2, 1),
        (other_hotel, 3, 5, 9, 5),
        (other_hotel, 3, 6, 8, 4),
        (other_hotel, 3, 7, 0, None),
    ]
    for number, (unit, month, day, nps, staff) in enumerate(rows):
        answers = {"nps": nps} if staff is None else {"nps": nps, "staff": staff}
        when = datetime(2026, month, day, 12, tzinfo=LONDON)
        response = api.post(
            f"/api/v1/surveys/{published_survey.pk}/responses",
            {
                "idempotency_key": f"m{number}",
                "unit": unit.pk,
                "answers": answers,
                "submitted_at": when.isoformat(),
                "channel": "web" if number % 2 else "qr",
            },
        )
        assert response.status_code == 201, response.json()
    if request.param == "rolled_up":
        assert refresh_rollups() == 10
        refresh_rollups()
    return published_survey


def metrics(api, **params):
    response = api.get("/api/v1/metrics", params)
    assert response.status_code == 200, response.json()
    return response.json()


def test_nps_of_the_whole_survey_with_its_adjusted_wald_interval(api, answered):
    body = metrics(api, survey=answered.pk, metric="nps")
    # promoters 10, 9, 10, 9 = 4; detractors 3, 6, 2, 0 = 4; n = 10
    low, high = adjusted_wald(4, 4, 10)
    assert body["metric"] == "nps"
    assert body["question"] == "nps"
    [row] = body["results"]
    assert row["n"] == 10
    assert row["value"] == pytest.approx(0.0)
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low), pytest.approx(high))


def test_nps_by_unit(api, answered, hotel, other_hotel):
    rows = {
        row["label"]: row
        for row in metrics(api, survey=answered.pk, metric="nps", group_by="unit")["results"]
    }
    assert rows["Harbour Hotel"]["n"] == 5
    assert rows["Harbour Hotel"]["value"] == pytest.approx(100 * (3 - 1) / 5)
    assert rows["Hill Hotel"]["value"] == pytest.approx(100 * (1 - 3) / 5)
    assert rows["Harbour Hotel"]["group"] == str(hotel.pk)


def test_nps_by_month_in_the_organisations_time_zone(api, answered):
    rows = metrics(api, survey=answered.pk, metric="nps", group_by="month")["results"]
    assert [(row["label"], row["n"]) for row in rows] == [("2026-01", 3), ("2026-03", 7)]


def test_csat_is_the_top_two_box_share(api, answered):
    [row] = metrics(api, survey=answered.pk, metric="csat", question="staff")["results"]
    # staff answers 5, 4, 2, 4, 5, 3, 1, 5, 4: six of nine are 4 or 5
    assert row["n"] == 9
    assert row["value"] == pytest.approx(100 * 6 / 9)


def test_mean_and_count(api, answered):
    [mean] = metrics(api, survey=answered.pk, metric="mean", question="staff")["results"]
    assert mean["value"] == pytest.approx(33 / 9)
    [count] = metrics(api, survey=answered.pk, metric="count")["results"]
    assert count["value"] == 10


def test_a_unit_filter_means_its_whole_subtree(api, answered, organisation, root_unit, hotel):
    whole = metrics(api, survey=answered.pk, metric="count", unit=root_unit.pk)["results"][0]
    one = metrics(api, survey=answered.pk, metric="count", unit=hotel.pk)["results"][0]
    assert (whole["value"], one["value"]) == (10, 5)


def test_a_period_filter_uses_whole_days(api, answered):
    [row] = metrics(
        api, survey=answered.pk, metric="nps", **{"from": "2026-03-01", "to": "2026-03-05"}
    )["results"]
    assert row["n"] == 5


def test_by_channel(api, answered):
    rows = metrics(api, survey=answered.pk, metric="count", group_by="channel")["results"]
    assert sorted((row["group"], row["value"]) for row in rows) == [("qr", 5), ("web", 5)]


def test_an_empty_selection_has_no_value(api, answered):
    [row] = metrics(
        api, survey=answered.pk, metric="nps", **{"from": "2020-01-01", "to": "2020-01-31"}
    )["results"]
    assert (row["value"], row["n"]) == (None, 0)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"metric": "happiness"}, "metric"),
        ({"metric": "nps", "question": "staff"}, "metric"),
        ({"metric": "nps", "question": "missing"}, "question"),
        ({"metric": "nps", "group_by": "planet"}, "group_by"),
        ({"metric": "nps", "from": "2026-02-01", "to": "2026-01-01"}, "from"),
        ({"metric": "nps", "from": "last week"}, "from"),
        ({"metric": "nps", "unit": 999999}, "unit"),
        ({"metric": "share_yes"}, "metric"),
    ],
)
def test_bad_metric_queries_are_422_with_the_field(api, answered, params, field):
    response = api.get("/api/v1/metrics", {"survey": answered.pk, **params})
    assert response.status_code == 422
    assert field in response.json()["errors"], response.json()


def test_a_missing_survey_parameter_is_422(api):
    response = api.get("/api/v1/metrics", {"metric": "nps"})
    assert response.status_code == 422
    assert "survey" in response.json()["errors"]


def test_another_organisations_survey_is_not_found(make_api_client, other_organisation, answered):
    response = make_api_client(other_organisation).get(
        "/api/v1/metrics", {"survey": answered.pk, "metric": "nps"}
    )
    assert response.status_code == 404


def test_the_week_and_day_groupings_start_on_their_first_day(api, answered):
    weeks = metrics(api, survey=answered.pk, metric="count", group_by="week")["results"]
    assert weeks[0]["group"] == "2026-01-05"  # Monday of the week of 10 January
    days = metrics(api, survey=answered.pk, metric="count", group_by="day")["results"]
    assert len(days) == 10
    assert days[0]["group"] == "2026-01-10"


def test_the_quarter_grouping(api, answered):
    rows = metrics(api, survey=answered.pk, metric="nps", group_by="quarter")["results"]
    assert [(row["group"], row["label"], row["n"]) for row in rows] == [
        ("2026-01-01", "2026-Q1", 10)
    ]


def test_a_period_cutting_months_reads_whole_months_and_edge_days(api, answered):
    # 12 January to 2 March: the harbour's 12 January (3) and 1-2 March (7, 10).
    [row] = metrics(
        api, survey=answered.pk, metric="nps", **{"from": "2026-01-12", "to": "2026-03-02"}
    )["results"]
    assert (row["n"], row["value"]) == (3, pytest.approx(100 * (1 - 1) / 3))
    rows = metrics(
        api,
        survey=answered.pk,
        metric="count",
        group_by="month",
        **{"from": "2026-01-11", "to": "2026-03-31"},
    )["results"]
    assert [(row["label"], row["value"]) for row in rows] == [("2026-01", 2), ("2026-03", 7)]
