"""The read cache: a repeated dashboard read comes from memory, and is never stale.

January 2026 of ``two_months``: 50 responses, NPS 30 promoters and 10 detractors (+40).
One more response scoring 0 makes it 30 and 11 of 51: +37.25, shown as +37.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from heedback.insights import histograms, read_cache, services
from heedback.insights.models import RollupVersion
from tests.insights.conftest import PERIOD

pytestmark = pytest.mark.django_db

METRICS = "/api/v1/metrics"


def _submit_detractor(api, survey, hotel, key: str = "late") -> None:
    stored = api.post(
        f"/api/v1/surveys/{survey.pk}/responses",
        {
            "idempotency_key": key,
            "unit": hotel.pk,
            "answers": {"nps": 0},
            "submitted_at": "2026-01-20T10:00:00+00:00",
        },
    )
    assert stored.status_code == 201, stored.json()


def _january(api, survey) -> dict:
    body = api.get(
        METRICS,
        {
            "survey": survey.pk,
            "metric": "nps",
            "group_by": "month",
            "from": "2026-01-01",
            "to": "2026-01-31",
        },
    ).json()
    [row] = body["results"]
    return {"n": row["n"], "value": round(row["value"], 2)}


def test_a_repeated_overview_reads_from_the_cache(
    admin_client, two_months, django_assert_num_queries
):
    params = {"survey": two_months.pk, **PERIOD}
    admin_client.get("/o/acme/dashboard/", params)
    # Warm: session, user, membership, survey; the state of the responses, once for every
    # panel, instead of the 8 reads and the 6 checks that the top unit is the only root;
    # the survey's questions, the scorecard's domains and units, the comments, the form's
    # choices (read once), the drivers' domains, the service plans.
    with django_assert_num_queries(13):
        text = admin_client.get("/o/acme/dashboard/", params).content.decode()
    assert 'data-testid="headline-1">+40<' in text


def test_a_new_response_changes_the_overview_at_once_and_after_the_refresh(
    api, admin_client, two_months, hotel
):
    params = {"survey": two_months.pk, **PERIOD}
    services.refresh_rollups()
    assert (
        'data-testid="headline-1">+40<'
        in admin_client.get("/o/acme/dashboard/", params).content.decode()
    )
    _submit_detractor(api, two_months, hotel)
    # Not rolled up yet: the tail changed, so the remembered reads are not used.
    text = admin_client.get("/o/acme/dashboard/", params).content.decode()
    assert 'data-testid="headline-1">+37<' in text
    assert "n = 51" in text
    assert services.refresh_rollups() == 1
    text = admin_client.get("/o/acme/dashboard/", params).content.decode()
    assert 'data-testid="headline-1">+37<' in text
    assert "n = 51" in text


def test_the_metrics_api_is_exact_before_and_after_the_worker_counts(
    api, two_months, hotel, django_assert_num_queries
):
    services.refresh_rollups()
    assert _january(api, two_months) == {"n": 50, "value": 40.0}
    # Warm: the survey, its published version, the state of the responses (the process
    # keeps the API key and its organisation it read a moment ago).
    with django_assert_num_queries(3):
        assert _january(api, two_months) == {"n": 50, "value": 40.0}
    _submit_detractor(api, two_months, hotel)
    assert _january(api, two_months) == {"n": 51, "value": 37.25}
    assert services.refresh_rollups() == 1
    assert _january(api, two_months) == {"n": 51, "value": 37.25}
    _submit_detractor(api, two_months, hotel, key="later")
    assert _january(api, two_months) == {"n": 52, "value": 34.62}


def test_the_version_changes_when_the_rollups_change_and_only_then(two_months):
    organisation = two_months.organisation
    before = read_cache.responses_state(organisation.pk)
    assert (before.version, before.tail_count) == (0, 100)
    assert services.refresh_rollups() == 100
    counted = read_cache.responses_state(organisation.pk)
    assert counted.version != 0
    assert counted.tail_count == counted.tail_id_sum == 0
    assert services.refresh_rollups() == 0
    assert read_cache.responses_state(organisation.pk) == counted
    services.start_rebuild(organisation)
    started = read_cache.responses_state(organisation.pk)
    assert started.version not in (0, counted.version)
    assert started.tail_count == 100  # the range the rebuild has not recounted yet
    services.continue_rebuild(organisation.pk)
    assert read_cache.responses_state(organisation.pk).tail_count == 0
    assert RollupVersion.objects.get(organisation=organisation).version not in (
        0,
        counted.version,
        started.version,
    )


def test_a_read_inside_a_transaction_of_its_own_is_not_kept(two_months, django_assert_num_queries):
    scope = histograms.Scope(two_months.organisation_id, two_months.pk)
    with transaction.atomic():  # it might see responses that are then rolled back
        inside = histograms.answer_counts(scope, ["nps"], "none")
    with django_assert_num_queries(2):  # the state, then the read itself
        outside = histograms.answer_counts(scope, ["nps"], "none")
    with django_assert_num_queries(1):  # the state; the read is remembered now
        again = histograms.answer_counts(scope, ["nps"], "none")
    assert inside == outside == again
    assert outside[None]["nps"].answers == 100
