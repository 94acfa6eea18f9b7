"""The WSGI fast path of a new single response answers exactly as Django does, or lets Django.

Each request is sent as a WSGI server sends it, once through Django's application and
once through ``FastIngest`` around it, and the two answers are compared header by
header and byte by byte (the new response's id aside). Outside a test transaction,
because the fast path commits and tidies the connection as a finished request does.
"""

from __future__ import annotations

import io
import json
import math
import sys
import time

import pytest
from django.contrib import admin
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.utils import timezone

from heedback.collect import fast_ingest
from heedback.collect.fast_ingest import FastIngest
from heedback.collect.models import Answer, Response
from heedback.collect.services import publish_and_open_links
from heedback.core import kept
from heedback.orgs import services as org_services
from heedback.orgs.choices import Role
from heedback.surveys import services as survey_services
from heedback.surveys.admin import SurveyAdmin
from heedback.surveys.choices import SurveyStatus
from heedback.surveys.models import Survey
from tests.test_kept_stamps import move_in_another_process

pytestmark = pytest.mark.django_db(transaction=True)


class Recorder:
    """Django's WSGI application, counting the requests that reach it."""

    def __init__(self) -> None:
        self.application = WSGIHandler()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.application(environ, start_response)


@pytest.fixture
def django_app() -> Recorder:
    return Recorder()


@pytest.fixture
def fast_app(django_app) -> FastIngest:
    return FastIngest(django_app)


@pytest.fixture
def key(organisation) -> str:
    return org_services.create_api_key(organisation, name="integration").secret


@pytest.fixture
def frozen_now(monkeypatch):
    now = timezone.now().replace(microsecond=250000)
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


def environ(path: str, body: bytes, **extra: str) -> dict:
    values = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
    }
    values.update(extra)
    return values


def call(application, path: str, body: bytes, **extra: str) -> tuple[str, list, bytes]:
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, headers

    chunks = application(environ(path, body, **extra), start_response)
    content = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return answer["status"], answer["headers"], content


def payload(hotel, key: str, **fields) -> bytes:
    return json.dumps(
        {"idempotency_key": key, "unit": hotel.pk, "answers": {"nps": 9, "staff": 4}, **fields}
    ).encode()


def path_of(survey) -> str:
    return f"/api/v1/surveys/{survey.pk}/responses"


def bearer(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_a_new_response_is_answered_as_django_answers_it(
    fast_app, django_app, published_survey, hotel, key, frozen_now
):
    path = path_of(published_survey)
    through_django = call(django_app, path, payload(hotel, "key-1"), **bearer(key))
    through_fast = call(fast_app, path, payload(hotel, "key-2"), **bearer(key))

    assert django_app.calls == 1  # the fast path's request never reached Django
    first, second = Response.objects.order_by("pk")
    assert (first.idempotency_key, second.idempotency_key) == ("key-1", "key-2")
    assert Answer.objects.filter(response=second).count() == 2
    assert through_fast[0] == through_django[0] == "201 Created"
    assert through_fast[1] == through_django[1]
    assert dict(through_fast[1])["Content-Security-Policy"].startswith("default-src 'self'")
    expected = through_django[2].replace(b'"key-1"', b'"key-2"')
    expected = expected.replace(b'"id": %d,' % first.pk, b'"id": %d,' % second.pk, 1)
    assert through_fast[2] == expected
    assert json.loads(through_fast[2])["answers"] == {"nps": 9, "staff": 4}


def test_https_answers_carry_the_same_strict_transport_header(
    published_survey, hotel, key, settings, frozen_now
):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    django_app = Recorder()  # its middleware reads the settings when it is made
    fast_app = FastIngest(django_app)
    path = path_of(published_survey)
    extra = {**bearer(key), "wsgi.url_scheme": "https"}
    through_django = call(django_app, path, payload(hotel, "key-1"), **extra)
    through_fast = call(fast_app, path, payload(hotel, "key-2"), **extra)

    assert django_app.calls == 1
    assert through_fast[1] == through_django[1]
    assert ("Strict-Transport-Security", "max-age=3600; includeSubDomains") in through_fast[1]


EVERY_KIND = {
    "title": "Visit",
    "questions": [
        {"key": "nps", "type": "nps", "text": "Recommend us?", "required": True},
        {"key": "score", "type": "rating", "text": "Score?"},
        {"key": "why", "type": "text", "text": "Why?"},
        {
            "key": "room",
            "type": "single_choice",
            "text": "Which room?",
            "options": [{"key": "sea", "label": "Sea"}, {"key": "park", "label": "Park"}],
        },
        {
            "key": "liked",
            "type": "multi_choice",
            "text": "What did you like?",
            "options": [{"key": "food", "label": "Food"}, {"key": "spa", "label": "Spa"}],
        },
        {"key": "again", "type": "yes_no", "text": "Again?"},
    ],
}


def test_a_new_response_is_answered_as_it_is_read_back(fast_app, organisation, hotel, key):
    """The 201 body is written from the stored row's values, not read back: it must agree."""
    survey = survey_services.create_survey(organisation, name="Visit", definition=EVERY_KIND)
    publish_and_open_links(survey)
    staff = org_services.create_user(email="ana@example.com", password=None)
    org_services.add_member(organisation, staff, role=Role.FRONTLINE, unit=hotel)
    body = payload(
        hotel,
        "every-kind",
        answers={"nps": 7, "score": 4, "why": " Quiet ", "room": "sea", "liked": ["spa", "food"]}
        | {"again": "no"},
        comment=" Lovely ",
        staff="Ana@Example.com",
        submitted_at="2026-05-04T10:20:30.123456+02:00",
        language="fr-CA",
    )

    status, _headers, created = call(fast_app, path_of(survey), body, **bearer(key))

    assert status == "201 Created"
    created = json.loads(created)
    response = Response.objects.get()
    read = call(
        WSGIHandler(), f"/api/v1/responses/{response.pk}", b"", REQUEST_METHOD="GET", **bearer(key)
    )
    assert read[0] == "200 OK"
    assert created == json.loads(read[2])
    assert created["answers"] == {
        "nps": 7,
        "score": 4,
        "why": "Quiet",
        "room": "sea",
        "liked": ["food", "spa"],
        "again": False,
    }
    assert (created["staff"], created["comment"]) == ("ana@example.com", "Lovely")
    assert created["submitted_at"] == "2026-05-04T08:20:30.123Z"


def test_a_repeated_key_is_answered_by_django_with_the_first_response(
    fast_app, django_app, published_survey, hotel, key
):
    path = path_of(published_survey)
    created = call(fast_app, path, payload(hotel, "same"), **bearer(key))
    repeated = call(fast_app, path, payload(hotel, "same"), **bearer(key))

    assert (created[0], repeated[0]) == ("201 Created", "200 OK")
    assert django_app.calls == 1
    assert json.loads(repeated[2])["id"] == json.loads(created[2])["id"]
    assert Response.objects.count() == 1


@pytest.mark.parametrize(
    ("case", "expected_status"),
    [
        ("no key", "401 Unauthorized"),
        ("wrong key", "401 Unauthorized"),
        ("read-only key", "403 Forbidden"),
        ("key of another survey", "404 Not Found"),
        ("unknown survey", "404 Not Found"),
        ("unknown unit", "422 Unprocessable Entity"),
        ("invalid answer", "422 Unprocessable Entity"),
        ("not JSON", "400 Bad Request"),
        ("a JSON list", "422 Unprocessable Entity"),
        ("NaN", "422 Unprocessable Entity"),
        ("UTF-16", "201 Created"),
        ("closed survey", "409 Conflict"),
        ("French", "422 Unprocessable Entity"),
        ("text/plain", "201 Created"),
    ],
)
def test_every_other_request_is_answered_by_django_unchanged(
    case, expected_status, fast_app, django_app, published_survey, hotel, key, organisation
):
    path = path_of(published_survey)
    extra = bearer(key)
    body = payload(hotel, "key")
    if case == "no key":
        extra = {}
    elif case == "wrong key":
        extra = bearer(key[:-2] + "xx")
    elif case == "read-only key":
        extra = bearer(org_services.create_api_key(organisation, name="r", role="analyst").secret)
    elif case == "key of another survey":
        scoped = org_services.create_api_key(organisation, name="s", survey=published_survey)
        extra = bearer(scoped.secret)
        path = f"/api/v1/surveys/{published_survey.pk + 1}/responses"
    elif case == "unknown survey":
        path = f"/api/v1/surveys/{published_survey.pk + 1}/responses"
    elif case == "unknown unit":
        body = json.dumps({"idempotency_key": "key", "unit": hotel.pk + 100}).encode()
    elif case in ("invalid answer", "French"):
        body = payload(hotel, "key", answers={"nps": 11})
        if case == "French":
            extra["HTTP_ACCEPT_LANGUAGE"] = "fr"
    elif case == "not JSON":
        body = b'{"idempotency_key": '
    elif case == "a JSON list":
        body = b"[1, 2]"
    elif case == "NaN":  # Python's parser takes it, pydantic's refuses it: Django answers
        nan = {"idempotency_key": "key", "unit": hotel.pk, "answers": {"nps": math.nan}}
        body = json.dumps(nan).encode()
    elif case == "UTF-16":  # pydantic reads only UTF-8; Django reads this and stores it
        body = payload(hotel, "key").decode().encode("utf-16")
    elif case == "closed survey":
        published_survey.status = SurveyStatus.CLOSED
        published_survey.save(update_fields=["status"])
    elif case == "text/plain":
        extra["CONTENT_TYPE"] = "text/plain"

    through_fast = call(fast_app, path, body, **extra)
    assert django_app.calls == 1
    Response.objects.all().delete()
    through_django = call(django_app, path, body, **extra)

    assert through_fast[0] == through_django[0] == expected_status
    assert through_fast[1] == through_django[1]
    if expected_status != "201 Created":
        assert through_fast[2] == through_django[2]
        assert Response.objects.count() == 0


def test_a_request_refused_by_validation_counts_once_against_the_rate_limit(
    fast_app, django_app, published_survey, hotel, key, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api_key": (2, 60)}
    path = path_of(published_survey)
    invalid = payload(hotel, "key", answers={"nps": 11})
    statuses = [call(fast_app, path, invalid, **bearer(key))[0] for _ in range(3)]
    refused = call(fast_app, path, payload(hotel, "new"), **bearer(key))

    assert statuses == ["422 Unprocessable Entity"] * 2 + ["429 Too Many Requests"]
    assert refused[0] == "429 Too Many Requests"
    assert django_app.calls == 4
    assert Response.objects.count() == 0


def test_a_survey_closed_after_a_response_refuses_the_next_at_once(
    fast_app, django_app, published_survey, hotel, key
):
    path = path_of(published_survey)
    first = call(fast_app, path, payload(hotel, "before"), **bearer(key))
    survey_services.close_survey(published_survey)
    refused = call(fast_app, path, payload(hotel, "after"), **bearer(key))

    assert (first[0], refused[0]) == ("201 Created", "409 Conflict")
    assert list(Response.objects.values_list("idempotency_key", flat=True)) == ["before"]


def test_a_kept_survey_is_dropped_when_another_process_changes_it(published_survey, hotel):
    kept_rows = kept.KeptRows("test-surveys", seconds=60)
    stamp = kept_rows.stamp()
    kept_rows.put("key", (published_survey, hotel), stamp)
    copy = kept_rows.get("key")
    assert [row.pk for row in copy] == [published_survey.pk, hotel.pk]
    assert copy[0] is not published_survey

    move_in_another_process(kept._stamp_path("test-surveys"))  # what rows_changed does

    assert kept_rows.get("key") is None


def test_a_connection_is_trusted_after_a_request_until_it_idles(
    fast_app, published_survey, hotel, key, monkeypatch
):
    assert call(fast_app, path_of(published_survey), payload(hotel, "k"), **bearer(key))[0] == (
        "201 Created"
    )
    assert connection.health_check_done is True  # no query to check it at the next request
    fast_ingest._check_idle_connections()
    assert connection.health_check_done is True

    later = time.monotonic() + fast_ingest.TRUSTED_IDLE_SECONDS + 0.1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    fast_ingest._check_idle_connections()
    assert connection.health_check_done is False  # checked (CONN_HEALTH_CHECKS) at its next use


def test_a_survey_closed_in_the_admin_refuses_the_next_response_at_once(
    fast_app, published_survey, hotel, key
):
    path = path_of(published_survey)
    first = call(fast_app, path, payload(hotel, "before"), **bearer(key))
    published_survey.status = SurveyStatus.CLOSED
    SurveyAdmin(Survey, admin.site).save_model(None, published_survey, None, change=True)
    refused = call(fast_app, path, payload(hotel, "after"), **bearer(key))

    assert (first[0], refused[0]) == ("201 Created", "409 Conflict")
    assert list(Response.objects.values_list("idempotency_key", flat=True)) == ["before"]


def test_a_refusal_is_not_logged_but_a_fault_is_and_django_answers_both(
    fast_app, django_app, published_survey, hotel, key, monkeypatch, caplog
):
    path = path_of(published_survey)
    caplog.set_level("WARNING", logger="heedback.collect.fast_ingest")
    refused = call(fast_app, path, b'{"unit": "not a number"}', **bearer(key))
    assert refused[0] == "422 Unprocessable Entity"
    assert ours(caplog) == []

    def broken(*args, **kwargs):
        raise RuntimeError("the connection broke")

    # Only the fast path's own call fails: the request then reaches Django and is stored.
    monkeypatch.setattr(fast_ingest.api, "created_body", broken)
    answered = call(fast_app, path, payload(hotel, "after-fault"), **bearer(key))

    assert answered[0] == "200 OK"  # stored by the fast path; Django answers the repeat
    assert django_app.calls == 2
    assert Response.objects.filter(idempotency_key="after-fault").count() == 1
    [record] = ours(caplog)
    assert record.getMessage() == "fast ingest failed; Django answers the request"
    assert record.exc_info[1].args == ("the connection broke",)


def ours(caplog) -> list:
    return [record for record in caplog.records if record.name == "heedback.collect.fast_ingest"]


def test_caches_are_closed_after_a_request_only_when_a_backend_has_something_to_close(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert fast_ingest._caches_to_close() is False
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "shared": {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": "127.0.0.1:1",
        },
    }
    assert fast_ingest._caches_to_close() is True
