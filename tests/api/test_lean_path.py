"""What the ingest path's shortcuts keep: headers, key revocation, one query for survey and unit."""

from __future__ import annotations

import os
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from heedback.collect.models import Answer, Response
from heedback.core.middleware import CONTENT_SECURITY_POLICY
from heedback.orgs import services as org_services
from heedback.orgs.models import ApiKey, Unit
from tests.conftest import ApiClient
from tests.test_kept_stamps import move_in_another_process

pytestmark = pytest.mark.django_db


def post(client, survey, unit_id: int, key: str):
    payload = {"idempotency_key": key, "unit": unit_id, "answers": {"nps": 9, "staff": 5}}
    return client.post(f"/api/v1/surveys/{survey.pk}/responses", payload)


def test_api_responses_carry_the_security_headers_and_no_session_or_csrf_cookie(
    api, published_survey, hotel
):
    response = post(api, published_survey, hotel.pk, "headers")
    assert response.status_code == 201
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Content-Language"] == "en"
    assert response["Vary"] == "Accept-Language"  # not Cookie: nothing reads the session
    assert dict(response.cookies) == {}
    assert not hasattr(response.wsgi_request, "session")
    assert not hasattr(response.wsgi_request, "user")


def test_api_errors_still_answer_in_the_language_asked_for(organisation, published_survey):
    created = org_services.create_api_key(organisation, name="french")
    client = Client(headers={"Authorization": f"Bearer {created.secret}"})
    response = client.post(
        f"/api/v1/surveys/{published_survey.pk}/responses",
        {"idempotency_key": "fr", "unit": 999_999, "answers": {"nps": 9}},
        content_type="application/json",
        headers={"Accept-Language": "fr"},
    )
    assert response.status_code == 422
    assert response["Content-Language"] == "fr"


def test_pages_still_get_their_session_and_csrf_middleware(admin_client, organisation):
    response = admin_client.get(f"/o/{organisation.slug}/")
    assert response.wsgi_request.session.session_key is not None
    assert response.wsgi_request.user.is_authenticated
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert hasattr(response.wsgi_request, "_messages")
    assert hasattr(response.wsgi_request, "htmx")


def test_an_unknown_api_path_is_still_a_404(api):
    assert api.get("/api/v1/no-such-thing").status_code == 404


def test_a_single_response_reads_its_survey_and_unit_in_one_query_then_keeps_them(
    api, published_survey, hotel, other_organisation
):
    with CaptureQueriesContext(connection) as first:
        assert post(api, published_survey, hotel.pk, "first").status_code == 201
    with CaptureQueriesContext(connection) as second:
        assert post(api, published_survey, hotel.pk, "second").status_code == 201

    reads = [q["sql"] for q in first.captured_queries if q["sql"].startswith("SELECT t.")]
    assert len(reads) == 2  # the key, then the survey and unit
    assert '"surveys_survey" t LEFT JOIN "orgs_unit" u' in reads[1]
    assert not [q["sql"] for q in second.captured_queries if q["sql"].startswith("SELECT t.")]
    assert not any("orgs_apikey" in q["sql"] for q in second.captured_queries)
    stored = Response.objects.get(idempotency_key="second")
    assert (stored.unit_id, stored.survey_id) == (hotel.pk, published_survey.pk)
    assert Answer.objects.filter(response=stored).count() == 2


def test_a_unit_of_another_organisation_or_none_is_a_field_error(
    api, published_survey, other_organisation
):
    foreign = org_services.create_unit(
        other_organisation,
        name="Elsewhere",
        parent=Unit.objects.get(organisation=other_organisation, parent__isnull=True),
    )
    for unit_id in (foreign.pk, 999_999):
        response = post(api, published_survey, unit_id, f"unit-{unit_id}")
        assert response.status_code == 422
        assert response.json()["errors"] == {"unit": ["not found"]}
    assert post(api, published_survey, foreign.pk, "x").status_code == 422
    assert not Response.objects.exists()


def test_a_survey_of_another_organisation_is_a_404_even_with_a_unit_of_ours(
    make_api_client, other_organisation, published_survey, hotel
):
    outsider = make_api_client(other_organisation)
    assert post(outsider, published_survey, hotel.pk, "foreign").status_code == 404


def test_a_revocation_in_another_process_is_seen_at_once(organisation, settings):
    created = org_services.create_api_key(organisation, name="kept")
    client = ApiClient(created.secret)
    assert client.get("/api/v1/surveys").status_code == 200
    # Another process revokes: the row changes and the stamp file moves on. This process
    # has the key in its cache, and must not trust it any longer.
    ApiKey.objects.filter(pk=created.api_key.pk).update(revoked_at=timezone.now())
    move_in_another_process(os.path.join(settings.DATA_DIR, "api-keys.changed"))
    assert client.get("/api/v1/surveys").status_code == 401


def test_a_key_read_by_this_process_is_read_again_after_its_time(organisation, monkeypatch):
    created = org_services.create_api_key(organisation, name="expiring")
    client = ApiClient(created.secret)
    assert client.get("/api/v1/surveys").status_code == 200
    # Revoked on another machine: nothing here is told, the copy is trusted until it expires.
    ApiKey.objects.filter(pk=created.api_key.pk).update(revoked_at=timezone.now())
    assert client.get("/api/v1/surveys").status_code == 200
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + org_services.API_KEY_CACHE_SECONDS + 0.1)
    assert client.get("/api/v1/surveys").status_code == 401


def test_a_kept_key_still_records_its_last_use_once_a_minute(organisation):
    created = org_services.create_api_key(organisation, name="used")
    client = ApiClient(created.secret)
    assert client.get("/api/v1/surveys").status_code == 200
    first = ApiKey.objects.get(pk=created.api_key.pk).last_used_at
    assert first is not None
    assert client.get("/api/v1/surveys").status_code == 200
    assert ApiKey.objects.get(pk=created.api_key.pk).last_used_at == first


def test_requests_share_no_key_or_organisation_instance(organisation):
    created = org_services.create_api_key(organisation, name="shared")
    first = org_services.authenticate_api_key(created.secret)
    second = org_services.authenticate_api_key(created.secret)
    assert first is not None
    assert second is not None
    assert first.pk == second.pk == created.api_key.pk
    assert first is not second
    assert first.organisation is not second.organisation
    assert second.organisation.pk == organisation.pk
    first.organisation.name = "changed by one request"
    assert org_services.authenticate_api_key(created.secret).organisation.name == (
        organisation.name
    )
