"""Shares, means and NPS per airline and month on real data, against pandas to 1e-9.

The Skytrax lounge reviews (overall 1–5, recommended yes/no) and seat reviews (overall
1–10, read as a recommend-like 0–10 question) are imported as a user would, through the
importer; the metric engine answers first from the raw rows (nothing rolled up yet), then
from the rollups. pandas computes every figure from the CSV file itself, with the file's
own rules: a review without a valid overall rating is not imported; in the domain ratings
0 means "not rated". Skipped, with the reason printed, when the shared data is absent.
"""

from __future__ import annotations

import pandas as pd
import pytest

from heedback.collect import importing
from heedback.collect.models import Response
from heedback.insights import services
from heedback.insights.selectors import MetricQuery, compute_metric
from heedback.orgs.models import Unit
from tests.collect.test_import_skytrax import review_survey
from tests.insights.test_drivers_skytrax import import_reviews
from tests.shared_data import shared_path

pytestmark = pytest.mark.django_db

SEAT_DOMAINS = {
    "legroom": "seat_legroom_rating",
    "recline": "seat_recline_rating",
    "width": "seat_width_rating",
}


def seat_survey(organisation):
    """A seat survey: the 1–10 overall rating as a 0–10 recommend-like question."""
    return review_survey(organisation, "Seats", {"type": "nps"}, SEAT_DOMAINS)


def import_seats(organisation, path):
    survey = seat_survey(organisation)
    mapping = {
        "answers": {
            "overall_rating": "overall",
            **{column: key for key, column in SEAT_DOMAINS.items()},
            "recommended": "recommended",
        },
        "unit": "airline_name",
        "submitted_at": "date",
        "channel": "review",
        "values": {column: {"0": None} for column in SEAT_DOMAINS.values()},
    }
    importing.run_import(
        importing.ImportRequest(
            survey=survey,
            path=path,
            mapping=importing.parse_mapping(mapping),
            options=importing.ImportOptions(create_units=True, skip_invalid=True),
        )
    )
    return survey


def read(path, valid_overall) -> pd.DataFrame:
    frame = pd.read_csv(path)
    frame = frame[frame["overall_rating"].isin(valid_overall)].copy()
    frame["month"] = pd.to_datetime(frame["date"]).dt.to_period("M").dt.start_time.dt.date
    return frame


def pandas_figures(frame: pd.DataFrame, column: str, metric: str) -> pd.Series:
    grouped = frame.dropna(subset=[column]).groupby(["airline_name", "month"])[column]
    if metric == "mean":
        return grouped.mean()
    if metric == "csat":
        return grouped.apply(lambda values: 100.0 * (values >= 4).mean())
    if metric == "share_yes":
        return grouped.apply(lambda values: 100.0 * (values == 1).mean())
    return grouped.apply(lambda values: 100.0 * ((values >= 9).mean() - (values <= 6).mean()))


def engine_figures(survey, question: str, metric: str) -> dict:
    """Return the engine's figure per (airline, month): one query per airline, by month."""
    found = {}
    for unit in Unit.objects.filter(organisation=survey.organisation, parent__isnull=False):
        query = MetricQuery(
            organisation=survey.organisation,
            survey=survey,
            metric=metric,
            question_key=question,
            unit=unit,
            group_by="month",
        )
        for row in compute_metric(query).rows:
            found[(unit.name, pd.Timestamp(row.group).date())] = (row.value, row.n)
    return found


def assert_equal_figures(survey, frame, column: str, question: str, metric: str) -> None:
    expected = pandas_figures(frame, column, metric)
    sizes = frame.dropna(subset=[column]).groupby(["airline_name", "month"]).size()
    found = engine_figures(survey, question, metric)
    assert set(found) == set(expected.index), (question, metric)
    for key, value in expected.items():
        assert found[key][1] == sizes[key], (key, question, metric)
        assert found[key][0] == pytest.approx(value, abs=1e-9), (key, question, metric)


def test_lounge_means_and_shares_per_airline_and_month_equal_pandas(organisation):
    path = shared_path("skytrax", "lounge.csv")
    frame = read(path, [1, 2, 3, 4, 5])
    survey = import_reviews(organisation, path, "Lounges")
    assert Response.objects.filter(survey=survey).count() == len(frame) == 2192
    for _source in ("raw rows", "rollups"):
        assert_equal_figures(survey, frame, "overall_rating", "overall", "mean")
        assert_equal_figures(survey, frame, "overall_rating", "overall", "csat")
        assert_equal_figures(survey, frame, "recommended", "recommended", "share_yes")
        assert services.refresh_rollups() in (len(frame), 0)


def test_seat_nps_and_shares_per_airline_and_month_equal_pandas(organisation):
    path = shared_path("skytrax", "seat.csv")
    frame = read(path, range(0, 11))
    survey = import_seats(organisation, path)
    assert Response.objects.filter(survey=survey).count() == len(frame) == 1257
    for _source in ("raw rows", "rollups"):
        assert_equal_figures(survey, frame, "overall_rating", "overall", "nps")
        assert_equal_figures(survey, frame, "overall_rating", "overall", "mean")
        assert_equal_figures(survey, frame, "recommended", "recommended", "share_yes")
        legroom = frame.assign(legroom=frame["seat_legroom_rating"].replace(0, float("nan")))
        assert_equal_figures(survey, legroom, "legroom", "legroom", "mean")
        assert services.refresh_rollups() in (len(frame), 0)
