"""The results page: headline figures, per-question counts, comments, filters and scoping."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(api, published_survey, hotel, other_hotel):
    now = timezone.now()
    rows = [
        (hotel, 10, 5, "Spotless room"),
        (hotel, 9, 4, ""),
        (hotel, 2, 1, "Rude at check-in"),
        (other_hotel, 8, 4, ""),
        (other_hotel, 10, None, "Best breakfast in town"),
    ]
    for number, (unit, nps, staff, comment) in enumerate(rows):
        answers = {"nps": nps}
        if staff is not None:
            answers["staff"] = staff
        if comment:
            answers["comment"] = comment
        api.post(
            f"/api/v1/surveys/{published_survey.pk}/responses",
            {
                "idempotency_key": f"r{number}",
                "unit": unit.pk,
                "answers": answers,
                "submitted_at": (now - timedelta(days=number)).isoformat(),
            },
        )
    return published_survey


def results(client, survey, **params):
    page = client.get(f"/o/acme/surveys/{survey.pk}/results/", params)
    assert page.status_code == 200
    return page


def test_headline_nps_csat_and_counts(admin_client, answered):
    page = results(admin_client, answered)
    text = page.content.decode()
    assert "<strong>5</strong> responses" in text
    # promoters 10, 9, 10 = 3, detractors 2 = 1 of 5 → +40
    assert 'data-testid="kpi-1">+40<' in text
    assert 'data-testid="answers-staff">4<' in text
    assert 'data-testid="answers-nps">5<' in text
    assert "Spotless room" in text
    assert "Best breakfast in town" in text


def test_small_samples_are_marked(admin_client, answered):
    text = results(admin_client, answered).content.decode()
    assert "small sample" in text


def test_the_unit_filter_narrows_everything(admin_client, answered, hotel):
    text = results(admin_client, answered, unit=hotel.pk, period="all").content.decode()
    assert "<strong>3</strong> responses" in text
    assert "Best breakfast in town" not in text


def test_a_manager_sees_only_their_subtree(make_member, organisation, answered, other_hotel):
    manager = make_member(organisation, "manager", unit=other_hotel)
    client = Client()
    client.force_login(manager.user)
    text = results(client, answered).content.decode()
    assert "<strong>2</strong> responses" in text
    assert "Spotless room" not in text


def test_bad_filter_dates_are_reported_not_crashing(admin_client, answered):
    page = results(
        admin_client, answered, date_from="2026-05-01", date_to="2026-01-01", period="custom"
    )
    assert "The end comes before the start." in page.content.decode()


def test_the_query_count_is_locked(admin_client, answered, django_assert_max_num_queries):
    # Three more than before the changes against the previous period: its histograms;
    # one more for the themes the segment filter offers; one for the response rate.
    with django_assert_max_num_queries(19):
        results(admin_client, answered)
