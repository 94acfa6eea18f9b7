"""Abusive input is refused cleanly: a clear status, the field named, nothing stored, no 500."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from heedback.collect.models import Response, SurveyLink
from heedback.collect.services import publish_and_open_links
from heedback.surveys import services as survey_services

pytestmark = pytest.mark.django_db


def raw_post(api, path: str, body: str):
    return api.client.post(path, body, content_type="application/json")


def responses_path(survey) -> str:
    return f"/api/v1/surveys/{survey.pk}/responses"


def test_an_oversized_body_is_a_json_413_and_nothing_is_stored(
    api, published_survey, hotel, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    comment = "x" * 4000
    items = [
        {"idempotency_key": f"k{n}", "unit": hotel.pk, "answers": {"nps": 9}, "comment": comment}
        for n in range(3)
    ]
    response = api.post(f"{responses_path(published_survey)}/batch", {"items": items})
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is larger than 10,000 bytes; send it in smaller batches.",
        "errors": {},
    }
    single = api.post(responses_path(published_survey), {**items[0], "language": "y" * 10_000})
    assert single.status_code == 413
    assert Response.objects.count() == 0


def test_an_oversized_body_without_a_key_is_refused_before_it_is_read(published_survey, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = Client().post(
        responses_path(published_survey), "{" + " " * 500 + "}", content_type="application/json"
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ('{"nps": NaN}', "answers.nps", "must be a whole number from 0 to 10"),
        ('{"nps": Infinity}', "answers.nps", "must be a whole number from 0 to 10"),
        ('{"nps": 9.5}', "answers.nps", "must be a whole number from 0 to 10"),
        ('{"nps": true}', "answers.nps", "must be a whole number from 0 to 10"),
        ('{"nps": 1e308}', "answers.nps", "must be a whole number from 0 to 10"),
        ('{"nps": -1}', "answers.nps", "must be a whole number from 0 to 10"),
        ('{"nps": 9, "staff": {"a": 1}}', "answers.staff", "must be a whole number from 1 to 5"),
        ('{"nps": 9, "comment": {"a": 1}}', "answers.comment", "must be text"),
        (
            '{"nps": 9, "comment": "a\\u0000b"}',
            "answers.comment",
            "must not contain a NUL character",
        ),
        ('{"nps": 9, "lounge": 4}', "answers.lounge", "unknown question"),
    ],
)
def test_wrong_answers_name_the_question(api, published_survey, hotel, raw, field, message):
    body = f'{{"idempotency_key": "a", "unit": {hotel.pk}, "answers": {raw}}}'
    response = raw_post(api, responses_path(published_survey), body)
    assert response.status_code == 422
    assert response.json()["errors"] == {field: [message]}
    batch = raw_post(api, f"{responses_path(published_survey)}/batch", f'{{"items": [{body}]}}')
    assert batch.status_code == 200
    assert batch.json()["results"][0]["errors"] == {field: [message]}
    assert Response.objects.count() == 0


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"comment": "fine\x00"}, "comment", "Remove the NUL character."),
        ({"external_id": "crm\x00"}, "external_id", "Remove the NUL character."),
        ({"language": "en\x00"}, "language", "Remove the NUL character."),
        ({"submitted_at": "0001-01-01T00:00:00Z"}, "submitted_at", "Give a time after 1900."),
        ({"unit": 10**30}, "unit", "Input should be less than or equal to 9223372036854775807"),
        ({"unit": 0}, "unit", "Input should be greater than or equal to 1"),
        (
            {"unit": "harbour"},
            "unit",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        ({"answers": [9]}, "answers", "Input should be a valid dictionary"),
        ({"idempotency_key": 42}, "idempotency_key", "Input should be a valid string"),
        ({"staff": "nobody@example.com\x00"}, "staff", "no member with this email"),
    ],
)
def test_wrong_envelopes_name_the_field(api, published_survey, hotel, extra, field, message):
    payload = {"idempotency_key": "a", "unit": hotel.pk, "answers": {"nps": 9}, **extra}
    response = api.post(responses_path(published_survey), payload)
    assert response.status_code == 422
    assert response.json()["errors"] == {field: [message]}
    assert Response.objects.count() == 0


def test_a_bad_item_in_a_batch_never_stops_the_good_ones(api, published_survey, hotel):
    items = [
        {"idempotency_key": "good", "unit": hotel.pk, "answers": {"nps": 9}},
        {"idempotency_key": "nul", "unit": hotel.pk, "answers": {"nps": 9}, "comment": "a\x00"},
        {"idempotency_key": "huge", "unit": 10**30, "answers": {"nps": 9}},
    ]
    body = api.post(f"{responses_path(published_survey)}/batch", {"items": items}).json()
    assert [result["status"] for result in body["results"]] == ["created", "invalid", "invalid"]
    assert list(Response.objects.values_list("idempotency_key", flat=True)) == ["good"]


def test_a_body_that_is_not_an_object_is_422(api, published_survey):
    response = raw_post(api, responses_path(published_survey), "[1, 2]")
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"idempotency_key", "unit"}
    batch = raw_post(api, f"{responses_path(published_survey)}/batch", '{"items": [1]}')
    assert batch.status_code == 422
    assert batch.json()["errors"] == {"items.0": ["Input should be a valid dictionary"]}


@pytest.mark.parametrize("survey_id", ["99999999999999999999999", "0", "-3"])
def test_a_survey_id_that_names_nothing_is_404(api, hotel, survey_id):
    payload = {"idempotency_key": "a", "unit": hotel.pk, "answers": {"nps": 9}}
    assert api.post(f"/api/v1/surveys/{survey_id}/responses", payload).status_code == 404
    batch = api.post(f"/api/v1/surveys/{survey_id}/responses/batch", {"items": [payload]})
    assert batch.status_code == 404


def test_another_organisations_key_cannot_write_to_a_survey(
    make_api_client, other_organisation, published_survey, hotel
):
    outsider = make_api_client(other_organisation)
    payload = {"idempotency_key": "a", "unit": hotel.pk, "answers": {"nps": 9}}
    assert outsider.post(responses_path(published_survey), payload).status_code == 404
    batch = outsider.post(f"{responses_path(published_survey)}/batch", {"items": [payload]})
    assert batch.status_code == 404
    assert Response.objects.count() == 0


def test_a_form_of_one_survey_cannot_be_posted_to_another_surveys_link(
    organisation, published_survey, hotel
):
    other_survey = survey_services.create_survey_from_template(
        organisation, template_key="hotel_stay", name="Second card"
    )
    publish_and_open_links(other_survey)
    link = SurveyLink.objects.get(survey=published_survey, unit=hotel)
    other = SurveyLink.objects.get(survey=other_survey, unit=hotel)
    page = Client().get(f"/s/{link.token}/")
    token = re.search(rb'name="form_token" value="([^"]+)"', page.content).group(1).decode()
    posted = Client().post(f"/s/{other.token}/", {"form_token": token, "q_nps": "9"})
    assert posted.status_code == 400
    assert Response.objects.count() == 0


def test_a_flood_on_one_link_from_many_addresses_is_slowed(published_survey, hotel, settings):
    cache.clear()
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "respond_link": (2, 60)}
    link = SurveyLink.objects.get(survey=published_survey, unit=hotel)
    statuses = []
    for number in range(3):
        client = Client(REMOTE_ADDR=f"203.0.113.{number + 1}")
        page = client.get(f"/s/{link.token}/")
        token = re.search(rb'name="form_token" value="([^"]+)"', page.content).group(1).decode()
        posted = client.post(f"/s/{link.token}/", {"form_token": token, "q_nps": "7"})
        statuses.append(posted.status_code)
    cache.clear()
    assert statuses == [302, 302, 429]
    assert posted["Retry-After"].isdigit()
    assert Response.objects.count() == 2
