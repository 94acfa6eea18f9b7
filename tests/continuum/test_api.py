"""The continuum API: shapes of the three operations, bad input, scoping, confidentiality."""

from __future__ import annotations

import pytest

from heedback.continuum import services
from heedback.continuum.instrument import Factor, Level, current_instrument
from heedback.continuum.models import Assessment
from tests.continuum.conftest import answers_at

pytestmark = pytest.mark.django_db

INSTRUMENT = "/api/v1/continuum/instrument"
ASSESSMENTS = "/api/v1/continuum/assessments"
PLACEMENT = "/api/v1/continuum/placement"


def test_the_instrument_lists_every_statement_with_its_factor_and_id(api, organisation):
    custom = services.add_custom_statement(
        organisation, factor="measurement", level=3, text="Regional heads read every comment."
    )
    response = api.get(INSTRUMENT)
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1
    assert body["scale"] == {
        "min": 1,
        "max": 5,
        "labels": [
            "Strongly disagree",
            "Disagree",
            "Neither agree nor disagree",
            "Agree",
            "Strongly agree",
        ],
    }
    assert [level["key"] for level in body["levels"]] == [
        "hostile",
        "aware",
        "friendly",
        "focused",
        "centric",
    ]
    assert [factor["key"] for factor in body["factors"]] == [factor.value for factor in Factor]
    assert len(body["statements"]) == 35
    assert body["statements"][0] == {
        "id": "cf_problems_fixed",
        "factor": "customer_focus",
        "level": "friendly",
        "text": "When a customer tells us about a problem, we fix it and let the customer know.",
        "is_custom": False,
    }
    assert body["statements"][-1] == {
        "id": custom.statement_id,
        "factor": "measurement",
        "level": "friendly",
        "text": "Regional heads read every comment.",
        "is_custom": True,
    }


def test_posting_an_assessment_returns_its_placement(api, hotel):
    response = api.post(
        ASSESSMENTS,
        {"unit": hotel.pk, "respondent": "Night manager", "answers": answers_at(Level.FOCUSED)},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assessment = Assessment.objects.get()
    assert body["id"] == assessment.pk
    assert body["unit"] == hotel.pk
    assert body["respondent"] == "Night manager"
    assert body["instrument_version"] == 1
    assert body["placement"]["overall"] == {"key": "focused", "name": "focused", "number": 4}
    assert body["placement"]["answered"] == 34
    factor = body["placement"]["factors"][1]
    assert factor["factor"] == "measurement"
    assert factor["level"]["key"] == "focused"
    assert factor["reason"] == "practices"
    assert {answer["statement"] for answer in factor["decisive"]} == {
        "me_every_touchpoint",
        "me_front_line_days",
        "me_detractors_followed_up",
    }
    assert assessment.respondent_role == "api"


def test_an_unnamed_respondent_is_the_api_key(api, organisation):
    response = api.post(ASSESSMENTS, {"answers": {"cf_problems_fixed": 4}})
    assert response.status_code == 201
    assert response.json()["respondent"].startswith("API key key ")
    assert response.json()["unit"] is None


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        (
            {"answers": {"en_blame": 6, "en_silos": 0}},
            {
                "answers.en_blame": ["Input should be less than or equal to 5"],
                "answers.en_silos": ["Input should be greater than or equal to 1"],
            },
        ),
        ({"answers": {"en_blame": "4"}}, {"answers.en_blame": ["Input should be a valid integer"]}),
        (
            {"answers": {"en_blame": True}},
            {"answers.en_blame": ["Input should be a valid integer"]},
        ),
        (
            {"answers": {}},
            {"answers": ["Dictionary should have at least 1 item after validation, not 0"]},
        ),
        ({}, {"answers": ["Field required"]}),
        (
            {"answers": {"nope": 3, "cf_problems_fixed": 4}},
            {"answers.nope": ["unknown statement"]},
        ),
        ({"answers": {"en_blame": None}}, {"answers": ["answer at least one statement"]}),
        ({"unit": 0, "answers": {"en_blame": 2}}, {"unit": ["not found"]}),
    ],
)
def test_bad_input_is_422_with_field_paths_and_stores_nothing(api, payload, errors):
    response = api.post(ASSESSMENTS, payload)
    assert response.status_code == 422
    assert response.json()["errors"] == errors
    assert not Assessment.objects.exists()


def test_a_unit_of_another_organisation_reads_as_missing(api, other_organisation):
    from heedback.orgs.models import Unit

    theirs = Unit.objects.get(organisation=other_organisation)
    response = api.post(ASSESSMENTS, {"unit": theirs.pk, "answers": {"en_blame": 2}})
    assert response.status_code == 422
    assert response.json()["errors"] == {"unit": ["not found"]}
    assert api.get(PLACEMENT, {"unit": theirs.pk}).status_code == 422


def test_a_read_only_key_cannot_post_an_assessment(organisation, make_api_client):
    analyst = make_api_client(organisation, role="analyst")
    assert analyst.post(ASSESSMENTS, {"answers": {"en_blame": 2}}).status_code == 403
    assert not Assessment.objects.exists()
    assert analyst.get(PLACEMENT).status_code == 200


def test_the_placement_has_self_assessed_and_evidence_levels_and_next_steps(api, organisation):
    api.post(ASSESSMENTS, {"respondent": "CEO", "answers": answers_at(Level.FOCUSED)})
    api.post(ASSESSMENTS, {"respondent": "COO", "answers": answers_at(Level.FRIENDLY)})
    body = api.get(PLACEMENT).json()
    assert body["scope"] == {"unit": None, "name": "Acme Hotels"}
    assert body["instrument_version"] == 1
    assert body["self_assessment"]["respondents"] == 2
    assert body["self_assessment"]["roles"] == {"api": 2}
    # Both agree up to friendly; focused practices are at (5 + 1) / 2 = 3, short of 3.5.
    assert body["overall"]["self_assessed"]["key"] == "friendly"
    measurement = next(f for f in body["factors"] if f["factor"] == "measurement")
    assert measurement["self_assessed"]["level"]["key"] == "friendly"
    assert measurement["evidence"]["level"]["key"] == "hostile"
    assert measurement["evidence"]["limiting"] == [
        "touchpoint_coverage",
        "responses_per_unit",
        "feedback_regularity",
    ]
    assert measurement["comparison"] == "self_higher"
    assert measurement["message"].startswith(
        "You rate your measurement friendly; your data says hostile: Units collecting feedback 0%"
    )
    indicators = {item["key"]: item for item in measurement["evidence"]["indicators"]}
    assert indicators["touchpoint_coverage"]["value"] == 0.0
    assert indicators["touchpoint_coverage"]["level"]["key"] == "hostile"
    assert indicators["detractors_followed_up"]["status"] == "no_data"  # measured by the loop
    assert indicators["detractors_followed_up"]["value"] is None
    assert indicators["driver_analysis"]["status"] == "measured"  # never used: up to focused
    assert indicators["driver_analysis"]["level"]["key"] == "focused"
    steps = measurement["next_steps"]
    assert steps["current"]["key"] == "hostile"
    assert steps["target"]["key"] == "aware"
    assert steps["steps"][0] == {
        "text": "Open a link or put a QR card at every unit that serves customers.",
        "source": "evidence",
        "reference": "touchpoint_coverage",
        "feature": "links",
        "feature_label": "Links and cards (open a survey)",
        "url": "/o/acme/surveys/",
    }


def test_a_repeat_under_the_same_name_replaces_that_persons_answers(api):
    api.post(ASSESSMENTS, {"respondent": "CEO", "answers": answers_at(Level.HOSTILE)})
    api.post(ASSESSMENTS, {"respondent": "CEO", "answers": answers_at(Level.CENTRIC)})
    body = api.get(PLACEMENT).json()
    assert body["self_assessment"]["respondents"] == 1
    assert body["overall"]["self_assessed"]["key"] == "centric"


def test_the_placement_of_a_unit_withholds_small_pulse_cells(api, hotel, make_survey, respond):
    pulse = make_survey("employee_pulse")
    for answer in (10, 9, 2, 7):
        respond(pulse, hotel, {"enps": answer, "training": 5})
    body = api.get(PLACEMENT, {"unit": hotel.pk}).json()
    assert body["scope"] == {"unit": hotel.pk, "name": "Harbour Hotel"}
    environment = next(f for f in body["factors"] if f["factor"] == "environment")
    indicators = {item["key"]: item for item in environment["evidence"]["indicators"]}
    for key in ("enps", "employee_enablement"):
        assert indicators[key]["status"] == "withheld"
        assert indicators[key]["value"] is None
        assert indicators[key]["display"] == ""
        assert indicators[key]["level"] is None
    respond(pulse, hotel, {"enps": 10})
    body = api.get(PLACEMENT, {"unit": hotel.pk}).json()
    environment = next(f for f in body["factors"] if f["factor"] == "environment")
    indicators = {item["key"]: item for item in environment["evidence"]["indicators"]}
    assert indicators["enps"]["display"] == "+40"  # 3 promoters, 1 detractor of 5


def test_every_statement_of_the_instrument_is_in_the_api(api):
    ids = [item["id"] for item in api.get(INSTRUMENT).json()["statements"]]
    assert ids == [statement.id for statement in current_instrument().statements]
