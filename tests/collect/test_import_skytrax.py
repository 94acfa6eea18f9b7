"""A real file: 2,264 Skytrax lounge reviews, imported as a user would, problems and all.

The file is public data kept outside the repository (../shared/data); a fresh clone has no
such folder, so the test skips with the reason printed.
"""

from __future__ import annotations

from collections import Counter

import pytest

from heedback.collect import importing
from heedback.collect.models import Response
from heedback.collect.services import publish_and_open_links
from heedback.orgs.models import Unit
from heedback.surveys import services as survey_services
from tests.shared_data import SKYTRAX, shared_path

pytestmark = pytest.mark.django_db

LOUNGE = SKYTRAX / "lounge.csv"
DOMAINS = ["comfort", "cleanliness", "bar_beverages", "catering", "washrooms", "wifi", "staff"]
RATING_COLUMNS = {
    "comfort": "comfort_rating",
    "cleanliness": "cleanliness_rating",
    "bar_beverages": "bar_beverages_rating",
    "catering": "catering_rating",
    "washrooms": "washrooms_rating",
    "wifi": "wifi_connectivity_rating",
    "staff": "staff_service_rating",
}


def lounge_survey(organisation):
    """The survey an airline would define for its lounges: 1–5 ratings and a recommendation."""
    rating = {"type": "rating", "scale": {"min": 1, "max": 5}}
    return review_survey(organisation, "Lounges", rating, DOMAINS)


def review_survey(organisation, name: str, overall: dict, domains):
    """A published survey of reviews: the overall question, 1–5 domain ratings, recommend."""
    rating = {"type": "rating", "scale": {"min": 1, "max": 5}}
    questions = [
        {"key": "overall", "text": "Overall?", "required": True, **overall},
        *({"key": key, "text": f"{key}?", **rating} for key in domains),
        {"key": "recommended", "type": "yes_no", "text": "Would you recommend it?"},
    ]
    survey = survey_services.create_survey(
        organisation, name=name, definition={"title": name, "questions": questions}
    )
    publish_and_open_links(survey)
    survey.refresh_from_db()
    return survey


MAPPING = {
    "answers": {
        "overall_rating": "overall",
        **{column: key for key, column in RATING_COLUMNS.items()},
        "recommended": "recommended",
    },
    "unit": "airline_name",
    "submitted_at": "date",
    "comment": "content",
    "channel": "review",
    # The data's README: in the domain ratings, 0 means "not rated".
    "values": {column: {"0": None} for column in RATING_COLUMNS.values()},
}


@pytest.fixture
def lounge():
    return shared_path("skytrax", "lounge.csv")


def test_the_dry_run_finds_the_real_files_problems(organisation, lounge):
    survey = lounge_survey(organisation)
    request = importing.ImportRequest(
        survey=survey,
        path=lounge,
        mapping=importing.parse_mapping(MAPPING),
        options=importing.ImportOptions(dry_run=True, create_units=True),
    )
    report = importing.run_import(request)
    assert (report.rows, report.created, report.duplicates, report.invalid) == (2264, 2192, 0, 72)
    assert len(report.units_planned) == 97
    reasons = Counter((problem.field, problem.reason) for problem in report.problems)
    # Some reviews rate "overall" on a 1–10 scale, a few not at all.
    assert reasons == {
        ("overall_rating", "must be a whole number from 1 to 5 (got '10.0')"): 14,
        ("overall_rating", "must be a whole number from 1 to 5 (got '9.0')"): 20,
        ("overall_rating", "must be a whole number from 1 to 5 (got '8.0')"): 14,
        ("overall_rating", "must be a whole number from 1 to 5 (got '7.0')"): 11,
        ("overall_rating", "must be a whole number from 1 to 5 (got '6.0')"): 8,
        ("overall_rating", "this question is required"): 5,
    }
    # Reviews hold line breaks, so a record's line is not its position in the file.
    lines = [problem.line for problem in report.problems]
    assert lines[:3] == [33, 34, 48]
    assert lines[-1] == 2256  # the 2,244th review starts on line 2,256
    physical = lounge.read_text(encoding="utf-8").split("\n")
    assert all(physical[line - 1].startswith('"') for line in lines)
    assert Response.objects.count() == 0
    assert not Unit.objects.filter(name="british-airways").exists()


def test_skipping_the_bad_reviews_imports_the_rest_once(organisation, lounge, tmp_path):
    survey = lounge_survey(organisation)
    request = importing.ImportRequest(
        survey=survey,
        path=lounge,
        mapping=importing.parse_mapping(MAPPING),
        options=importing.ImportOptions(create_units=True, skip_invalid=True),
        bad_rows_path=tmp_path / "lounge.bad-rows.csv",
    )
    report = importing.run_import(request)
    assert (report.created, report.invalid) == (2192, 72)
    assert len(report.units_created) == 97
    assert Response.objects.filter(channel="review").count() == 2192
    again = importing.run_import(request)
    assert (again.created, again.duplicates, again.invalid) == (0, 2192, 72)
    assert len((tmp_path / "lounge.bad-rows.csv").read_text().splitlines()) > 72
