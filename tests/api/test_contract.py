"""The public API contract of the foundation, through HTTP with an API key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from heedback.collect.models import Answer, Response
from heedback.orgs.models import ApiKey, AuditEvent, Unit
from heedback.surveys.models import Survey, SurveyVersion

pytestmark = pytest.mark.django_db


def submit(api, survey, unit, key="k1", **extra):
    payload = {"idempotency_key": key, "unit": unit.pk, "answers": {"nps": 9, "staff": 5}, **extra}
    return api.post(f"/api/v1/surveys/{survey.pk}/responses", payload)


def test_requests_without_a_valid_key_get_401(organisation):
    from django.test import Client

    anonymous = Client().get("/api/v1/surveys")
    wrong = Client(headers={"Authorization": "Bearer hb_abc_def"}).get("/api/v1/surveys")
    assert anonymous.status_code == 401
    assert wrong.status_code == 401
    assert wrong.json() == {
        "detail": "Send a valid API key: Authorization: Bearer KEY.",
        "errors": {},
    }


def test_a_revoked_key_stops_working_at_once(organisation, admin):
    from heedback.orgs.services import create_api_key, revoke_api_key
    from tests.conftest import ApiClient

    created = create_api_key(organisation, name="soon gone")
    client = ApiClient(created.secret)
    assert client.get("/api/v1/surveys").status_code == 200
    revoke_api_key(created.api_key, actor=admin.user)
    assert client.get("/api/v1/surveys").status_code == 401
    assert AuditEvent.objects.filter(action="api_key.revoke", target="soon gone").count() == 1


def test_keys_are_stored_hashed(organisation):
    from heedback.orgs.services import create_api_key

    created = create_api_key(organisation, name="hashed")
    stored = ApiKey.objects.get(pk=created.api_key.pk)
    assert created.secret not in (stored.key_hash, stored.prefix)
    assert len(stored.key_hash) == 64
    assert created.secret.startswith(f"hb_{stored.prefix}_")


def test_templates_list_every_built_in_template_with_its_key(api):
    response = api.get("/api/v1/templates")
    assert response.status_code == 200
    keys = [template["key"] for template in response.json()]
    assert keys == [
        "post_service",
        "hotel_stay",
        "business_review",
        "ten_domains",
        "employee_pulse",
        "win_back",
        "self_assessment",
    ]


def test_create_a_survey_from_a_template_and_publish_it(api, organisation):
    created = api.post("/api/v1/surveys", {"template": "post_service", "name": "After the visit"})
    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "After the visit"
    assert body["status"] == "draft"
    assert body["version"] is None
    assert body["question_keys"] == [
        "nps",
        "satisfaction",
        "problem_resolved",
        "timeliness",
        "staff",
        "improvement",
        "comment",
    ]
    published = api.post(f"/api/v1/surveys/{body['id']}/publish")
    assert published.status_code == 200
    assert published.json()["version"] == 1
    again = api.post(f"/api/v1/surveys/{body['id']}/publish")
    assert again.json()["version"] == 1
    assert SurveyVersion.objects.filter(survey_id=body["id"]).count() == 1
    detail = api.get(f"/api/v1/surveys/{body['id']}").json()
    assert (detail["status"], detail["version"]) == ("published", 1)
    links = api.get(f"/api/v1/surveys/{body['id']}/links").json()
    assert len(links) == Unit.objects.filter(organisation=organisation).count()
    assert all(len(link["token"]) >= 22 for link in links)  # at least 128 bits of base64


def test_create_a_survey_from_a_full_definition(api):
    definition = {
        "title": "Quick check",
        "questions": [
            {
                "key": "nps",
                "type": "nps",
                "text": "How likely are you to recommend us?",
                "required": True,
            },
            {"key": "why", "type": "text", "text": "Why?"},
        ],
    }
    response = api.post("/api/v1/surveys", {"name": "Quick", "definition": definition})
    assert response.status_code == 201
    assert response.json()["question_keys"] == ["nps", "why"]


def test_a_bad_definition_is_refused_with_the_path_of_the_bad_field_and_nothing_is_written(api):
    definition = {
        "title": "Broken",
        "questions": [
            {"key": "nps", "type": "nps", "text": "Recommend?"},
            {"key": "score", "type": "rating", "text": "Rate us", "scale": {"min": 1, "max": 50}},
        ],
    }
    response = api.post("/api/v1/surveys", {"name": "Broken", "definition": definition})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["questions.1.scale.max"]
    assert Survey.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"template": "no_such_template"}, "template"),
        ({}, "__all__"),
        ({"template": "hotel_stay", "definition": {"title": "x"}}, "__all__"),
        ({"name": "x", "definition": "not an object"}, "definition"),
    ],
)
def test_bad_survey_creation_requests_get_field_errors(api, payload, field):
    response = api.post("/api/v1/surveys", payload)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(key == field or key.startswith(field) for key in errors), errors
    assert Survey.objects.count() == 0


def test_malformed_json_is_a_400_not_a_500(api):
    response = api.client.post("/api/v1/surveys", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_units_tree_can_be_listed_and_extended(api, organisation, root_unit):
    created = api.post("/api/v1/units", {"name": "North", "parent": root_unit.pk, "kind": "region"})
    assert created.status_code == 201
    north = created.json()
    assert (north["parent"], north["depth"], north["kind"]) == (root_unit.pk, 1, "region")
    child = api.post("/api/v1/units", {"name": "Leeds", "parent": north["id"]}).json()
    assert child["depth"] == 2
    names = [unit["name"] for unit in api.get("/api/v1/units").json()]
    assert names == ["Acme Hotels", "North", "Leeds"]


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"name": ""}, 422, "name"),
        ({"name": "X", "kind": "planet"}, 422, "kind"),
        ({"name": "X", "parent": 999999}, 422, "parent"),
    ],
)
def test_bad_units_are_refused(api, root_unit, payload, status, field):
    before = Unit.objects.count()
    response = api.post("/api/v1/units", payload)
    assert response.status_code == status
    assert field in response.json()["errors"]
    assert Unit.objects.count() == before


def test_a_duplicate_unit_name_under_one_parent_is_a_conflict(api, root_unit):
    assert api.post("/api/v1/units", {"name": "North", "parent": root_unit.pk}).status_code == 201
    response = api.post("/api/v1/units", {"name": "North", "parent": root_unit.pk})
    assert response.status_code == 409
    assert response.json()["errors"] == {"name": ["taken"]}


def test_a_response_is_stored_once_per_idempotency_key(api, published_survey, hotel):
    first = submit(api, published_survey, hotel, comment="Lovely stay")
    assert first.status_code == 201
    body = first.json()
    assert body["answers"] == {"nps": 9, "staff": 5}
    assert (body["unit"], body["channel"], body["version"], body["comment"]) == (
        hotel.pk,
        "api",
        1,
        "Lovely stay",
    )
    repeat = submit(api, published_survey, hotel, comment="Lovely stay")
    assert repeat.status_code == 200
    assert repeat.json()["id"] == body["id"]
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 2


def test_a_response_keeps_the_time_it_was_given(api, published_survey, hotel):
    when = (timezone.now() - timedelta(days=3)).replace(microsecond=0)
    response = submit(api, published_survey, hotel, submitted_at=when.isoformat(), channel="paper")
    assert response.status_code == 201
    stored = Response.objects.get()
    assert stored.submitted_at == when
    assert stored.channel == "paper"


@pytest.mark.parametrize(
    ("answers", "extra", "field", "message"),
    [
        ({"nps": 11}, {}, "answers.nps", None),
        ({"nps": "nine"}, {}, "answers.nps", None),
        ({"staff": 4}, {}, "answers.nps", "this question is required"),
        ({"nps": 8, "mystery": 1}, {}, "answers.mystery", "unknown question"),
        ({"nps": 8}, {"channel": "carrier pigeon"}, "channel", None),
        ({"nps": 8}, {"submitted_at": "2999-01-01T00:00:00Z"}, "submitted_at", None),
        ({"nps": 8}, {"submitted_at": "2024-01-01T00:00:00"}, "submitted_at", None),
        ({"nps": 8}, {"idempotency_key": ""}, "idempotency_key", None),
    ],
)
def test_bad_responses_name_the_field_and_store_nothing(
    api, published_survey, hotel, answers, extra, field, message
):
    payload = {"idempotency_key": "bad", "unit": hotel.pk, "answers": answers, **extra}
    response = api.post(f"/api/v1/surveys/{published_survey.pk}/responses", payload)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert field in errors, errors
    if message:
        assert errors[field] == [message]
    assert Response.objects.count() == 0


def test_a_response_to_a_draft_survey_is_a_conflict(api, organisation, hotel):
    from heedback.surveys.services import create_survey_from_template

    draft = create_survey_from_template(organisation, template_key="hotel_stay")
    response = submit(api, draft, hotel)
    assert response.status_code == 409
    assert Response.objects.count() == 0


def test_a_response_for_a_unit_of_another_organisation_is_refused(
    api, published_survey, other_organisation
):
    foreign_unit = Unit.objects.get(organisation=other_organisation)
    response = submit(api, published_survey, foreign_unit)
    assert response.status_code == 422
    assert response.json()["errors"] == {"unit": ["not found"]}
    assert Response.objects.count() == 0


def test_responses_are_listed_newest_first_with_filters(api, published_survey, hotel, other_hotel):
    now = timezone.now()
    for number, (unit, days_ago) in enumerate([(hotel, 1), (other_hotel, 2), (hotel, 40)]):
        submit(
            api,
            published_survey,
            unit,
            key=f"k{number}",
            submitted_at=(now - timedelta(days=days_ago)).isoformat(),
        )
    everything = api.get(f"/api/v1/surveys/{published_survey.pk}/responses").json()
    assert everything["count"] == 3
    assert [item["idempotency_key"] for item in everything["results"]] == ["k0", "k1", "k2"]
    in_hotel = api.get(
        f"/api/v1/surveys/{published_survey.pk}/responses", {"unit": hotel.pk}
    ).json()
    assert [item["idempotency_key"] for item in in_hotel["results"]] == ["k0", "k2"]
    recent = api.get(
        f"/api/v1/surveys/{published_survey.pk}/responses",
        {"from": (now - timedelta(days=10)).date().isoformat()},
    ).json()
    assert recent["count"] == 2
    paged = api.get(
        f"/api/v1/surveys/{published_survey.pk}/responses", {"limit": 1, "offset": 1}
    ).json()
    assert [item["idempotency_key"] for item in paged["results"]] == ["k1"]
    one = api.get(f"/api/v1/responses/{everything['results'][0]['id']}")
    assert one.json()["answers"] == {"nps": 9, "staff": 5}


def test_bad_list_filters_are_422(api, published_survey):
    response = api.get(
        f"/api/v1/surveys/{published_survey.pk}/responses", {"limit": 0, "from": "yesterday"}
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"limit", "from"}


def test_read_only_keys_cannot_write(make_api_client, organisation, published_survey, hotel):
    reader = make_api_client(organisation, role="analyst")
    assert reader.get("/api/v1/surveys").status_code == 200
    response = submit(reader, published_survey, hotel)
    assert response.status_code == 403
    assert Response.objects.count() == 0


def test_another_organisations_objects_are_404(
    make_api_client, other_organisation, published_survey, hotel
):
    outsider = make_api_client(other_organisation)
    assert outsider.get(f"/api/v1/surveys/{published_survey.pk}").status_code == 404
    assert outsider.post(f"/api/v1/surveys/{published_survey.pk}/publish").status_code == 404
    assert submit(outsider, published_survey, hotel).status_code == 404
    assert outsider.get("/api/v1/surveys").json() == []


def test_a_response_carries_its_text_analysis_once_the_worker_has_read_it(
    api, published_survey, hotel
):
    from heedback.text.services import enrich_pending

    body = {
        "idempotency_key": "t1",
        "unit": hotel.pk,
        "answers": {"nps": 1, "comment": "Filthy room and rude staff. Never again."},
    }
    created = api.post(f"/api/v1/surveys/{published_survey.pk}/responses", body).json()
    assert created["text_analysis"] is None  # read by the worker, never in the request
    enrich_pending(settle=timedelta(0))  # no wait for slower commits in a test
    analysis = api.get(f"/api/v1/responses/{created['id']}").json()["text_analysis"]
    assert analysis["language"] == "en"
    assert analysis["sentiment"]["label"] == "negative"
    assert analysis["sentiment"]["score"] < 0
    assert analysis["urgent"] is True
    assert analysis["urgency_reasons"]
    listed = api.get(f"/api/v1/surveys/{published_survey.pk}/responses").json()["results"][0]
    assert listed["text_analysis"] == analysis
