"""The drivers and perception-gap pages, their CSV and API, on a small known data set."""

from __future__ import annotations

import csv
import io
import random
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from heedback.collect.services import Submission, publish_and_open_links, submit_response
from heedback.insights import services
from heedback.insights.driver_selectors import DriverQuery, analyse_drivers
from heedback.surveys import services as survey_services
from heedback.surveys.domains import DEFAULT_DOMAINS

pytestmark = pytest.mark.django_db

DOMAIN_KEYS = [domain.key for domain in DEFAULT_DOMAINS]
WEIGHTS = {"timeliness": 1.2, "frontline_behaviours": 0.9, "quality": 0.6}


def _survey(organisation, template_key: str, name: str):
    survey = survey_services.create_survey_from_template(
        organisation, template_key=template_key, name=name
    )
    publish_and_open_links(survey)
    survey.refresh_from_db()
    return survey


@pytest.fixture
def rated(organisation, hotel, other_hotel):
    """160 customers rate the ten domains and NPS; staff of both hotels rate themselves."""
    generator = random.Random(11)
    customers = _survey(organisation, "ten_domains", "Ten domains")
    staff = _survey(organisation, "self_assessment", "Self-assessment")
    now = timezone.now()
    for number in range(160):
        unit = hotel if number % 2 else other_hotel
        ratings = {key: generator.randint(1, 5) for key in DOMAIN_KEYS}
        if number % 7 == 0:
            del ratings["innovation"]  # some skip a question: pairwise counts differ
        drive = sum(weight * (ratings[key] - 3) for key, weight in WEIGHTS.items())
        nps = max(0, min(10, round(6 + drive + generator.gauss(0, 1.2))))
        submit_response(
            Submission(
                survey=customers,
                unit=unit,
                answers={**ratings, "nps": nps},
                idempotency_key=f"c{number}",
                submitted_at=now - timedelta(days=number % 60),
            )
        )
    for number in range(12):
        unit = hotel if number % 2 else other_hotel
        submit_response(
            Submission(
                survey=staff,
                unit=unit,
                answers={key: generator.choice([4, 5]) for key in DOMAIN_KEYS},
                idempotency_key=f"s{number}",
                submitted_at=now - timedelta(days=number),
            )
        )
    return customers


def test_the_drivers_page_ranks_the_domains_that_move_nps(
    admin_client, rated, django_assert_num_queries
):
    services.refresh_rollups()
    # The analysis (8) and counting its use (2: the day's row is new).
    with django_assert_num_queries(10):
        page = admin_client.get(f"/o/acme/surveys/{rated.pk}/drivers/", {"period": "all"})
    assert page.status_code == 200
    text = page.content.decode()
    assert '<svg class="quadrant"' in text
    assert 'data-driver="timeliness"' in text
    result = analyse_drivers(
        DriverQuery(organisation=rated.organisation, survey=rated, outcome_key="nps")
    )
    assert [row.key for row in result.rows[:3]] == ["timeliness", "frontline_behaviours", "quality"]
    assert all(row.is_significant for row in result.rows[:3])
    assert {w.code for w in result.warnings} == {"pairwise"}
    assert result.n == 160 - len(range(0, 160, 7))
    assert "Not everyone answered every question" in text


def test_the_drivers_csv_holds_the_table(admin_client, rated):
    page = admin_client.get(f"/o/acme/surveys/{rated.pk}/drivers/", {"format": "csv"})
    assert page["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(page.content.decode())))
    assert [row["question"] for row in rows[:3]] == [
        "timeliness",
        "frontline_behaviours",
        "quality",
    ]
    assert len(rows) == 10
    assert {row["n"] for row in rows} == {str(160 - len(range(0, 160, 7)))}


def test_bootstrap_intervals_on_request(admin_client, rated):
    page = admin_client.get(
        f"/o/acme/surveys/{rated.pk}/drivers/", {"period": "all", "intervals": "on"}
    )
    text = page.content.decode()
    assert "95% interval (bootstrap)" in text
    assert "Intervals resample 160 responses 200 times (seed 0)." in text


def test_an_unknown_outcome_is_a_clear_error_in_the_api(api, rated):
    response = api.get("/api/v1/drivers", {"survey": rated.pk, "outcome": "innovation_typo"})
    assert response.status_code == 422
    assert "outcome" in response.json()["errors"]


def test_the_drivers_api_returns_the_figures_of_the_page(api, rated):
    response = api.get("/api/v1/drivers", {"survey": rated.pk})
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "nps"
    assert [row["key"] for row in body["drivers"][:3]] == [
        "timeliness",
        "frontline_behaviours",
        "quality",
    ]
    shares = sum(row["share_of_r_squared"] for row in body["drivers"])
    assert shares == pytest.approx(1.0, abs=1e-9)
    assert [w["code"] for w in body["warnings"]] == ["pairwise"]


def test_a_manager_sees_drivers_of_their_unit_only(make_member, organisation, rated, hotel):
    manager = make_member(organisation, "manager", unit=hotel)
    client = Client()
    client.force_login(manager.user)
    text = client.get(f"/o/acme/surveys/{rated.pk}/drivers/", {"period": "all"}).content.decode()
    answered = len([n for n in range(160) if n % 2 and n % 7])
    assert f"<strong>{answered}</strong>" in text


def test_the_perception_gap_page_says_what_we_think_and_what_customers_say(
    admin_client, rated, django_assert_num_queries
):
    services.refresh_rollups()
    with django_assert_num_queries(11):
        page = admin_client.get("/o/acme/perception-gap/", {"period": "all"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "We rate ourselves" in text
    assert 'data-testid="gap-units"' in text
    assert "The gap is significant." in text


def test_the_perception_gap_api(api, rated):
    response = api.get("/api/v1/perception-gap")
    assert response.status_code == 200
    body = response.json()
    assert len(body["domains"]) == 10
    timeliness = next(row for row in body["domains"] if row["domain"] == "timeliness")
    assert timeliness["staff_n"] == 12
    assert timeliness["customers_n"] == 160
    assert timeliness["gap"] == pytest.approx(timeliness["staff"] - timeliness["customers"])
    assert timeliness["is_significant"] is True
    assert {row["unit"] for row in body["units"]} == {
        unit for unit in {row["unit"] for row in body["units"]}
    }
    assert len(body["units"]) == 2


def test_too_few_responses_say_so_instead_of_a_model(admin_client, organisation, hotel):
    survey = _survey(organisation, "ten_domains", "Few answers")
    for number in range(3):
        submit_response(
            Submission(
                survey=survey,
                unit=hotel,
                answers={"nps": 5 + number, **{key: 1 + number for key in DOMAIN_KEYS}},
                idempotency_key=f"few{number}",
            )
        )
    page = admin_client.get(f"/o/acme/surveys/{survey.pk}/drivers/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Too few responses in this period to estimate drivers." in text
    assert 'data-testid="driver-table"' not in text


def test_the_results_page_links_to_the_drivers(admin_client, rated):
    text = admin_client.get(f"/o/acme/surveys/{rated.pk}/results/").content.decode()
    assert f'href="/o/acme/surveys/{rated.pk}/drivers/"' in text
