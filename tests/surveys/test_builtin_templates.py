"""Tests for the built-in survey templates and the default domains."""

import dataclasses

import pytest

from heedback.surveys.builtin_templates import TEMPLATES, Template, get_template
from heedback.surveys.definition import (
    CleanAnswers,
    FieldError,
    QuestionType,
    Scale,
    SurveyDefinition,
    check_domains,
    clean_answers,
    dump_definition,
    parse_definition,
    visible_questions,
)
from heedback.surveys.domains import DEFAULT_DOMAIN_KEYS, DEFAULT_DOMAINS, DomainSpec

TEN_DOMAIN_KEYS = [
    "quality",
    "value",
    "timeliness",
    "efficiency",
    "ease_of_access",
    "environment",
    "teamwork",
    "frontline_behaviours",
    "commitment",
    "innovation",
]


def template_definition(key: str) -> SurveyDefinition:
    return parse_definition(TEMPLATES[key].definition)


def keys_of(definition: SurveyDefinition) -> list[str]:
    return [question.key for question in definition.questions]


def domains_by_key(definition: SurveyDefinition) -> dict[str, str | None]:
    return {question.key: question.domain for question in definition.questions}


# --- domains -------------------------------------------------------------------------------


def test_default_domains_are_the_ten_domains_of_satisfaction_in_order():
    assert [domain.key for domain in DEFAULT_DOMAINS] == TEN_DOMAIN_KEYS
    assert frozenset(TEN_DOMAIN_KEYS) == DEFAULT_DOMAIN_KEYS


def test_default_domains_have_names_and_one_line_descriptions():
    names = {domain.key: domain.name for domain in DEFAULT_DOMAINS}

    assert names["ease_of_access"] == "Ease of access"
    assert names["teamwork"] == "Inter-departmental teamwork"
    assert names["frontline_behaviours"] == "Front-line service behaviours"
    assert names["commitment"] == "Commitment to the customer"
    for domain in DEFAULT_DOMAINS:
        assert domain.description.endswith(".")
        assert "\n" not in domain.description
        assert 0 < len(domain.description) <= 100
    assert "atmosphere" in DEFAULT_DOMAINS[5].description


def test_domain_spec_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_DOMAINS[0].name = "Renamed"  # type: ignore[misc]
    assert DomainSpec("a", "A", "An a.") == DomainSpec("a", "A", "An a.")


# --- every template ------------------------------------------------------------------------


def test_templates_have_exactly_the_documented_keys():
    assert list(TEMPLATES) == [
        "post_service",
        "hotel_stay",
        "business_review",
        "ten_domains",
        "employee_pulse",
        "win_back",
        "self_assessment",
    ]


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_template_parses_and_uses_only_default_domains(key):
    template = TEMPLATES[key]

    definition = parse_definition(template.definition)
    check_domains(definition, set(DEFAULT_DOMAIN_KEYS))

    assert template.key == key
    assert template.name
    assert template.description
    assert definition.kind == template.kind == template.definition["kind"]


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_template_definition_is_stored_in_its_normal_form(key):
    definition = template_definition(key)

    assert parse_definition(dump_definition(definition)) == definition


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_template_ratings_use_a_1_to_5_scale(key):
    for question in template_definition(key).questions:
        if question.type is QuestionType.RATING:
            scale = question.effective_scale()
            assert scale is not None
            assert (scale.min, scale.max) == (1, 5)
            assert scale.min_label
            assert scale.max_label


@pytest.mark.parametrize("key", [key for key, t in TEMPLATES.items() if t.kind == "customer"])
def test_customer_templates_name_nps_and_comment_by_convention(key):
    definition = template_definition(key)
    nps_keys = [q.key for q in definition.questions if q.type is QuestionType.NPS]

    assert nps_keys in ([], ["nps"])
    assert definition.questions[-1].key == "comment"
    assert definition.questions[-1].type is QuestionType.TEXT


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_template_questions_are_short_and_end_with_a_question_mark(key):
    for question in template_definition(key).questions:
        assert question.text.endswith("?")
        assert len(question.text) <= 90


def test_empty_answers_to_every_template_list_only_its_required_questions():
    required = {
        key: [
            error.path for error in clean_answers(parse_definition(template.definition), {}).errors
        ]
        for key, template in TEMPLATES.items()
    }

    assert required == {
        "post_service": ["nps", "satisfaction", "problem_resolved"],
        "hotel_stay": ["nps"],
        "business_review": ["nps"],
        "ten_domains": ["nps"],
        "employee_pulse": ["enps"],
        "win_back": ["reasons"],
        "self_assessment": [],
    }


# --- get_template --------------------------------------------------------------------------


def test_get_template_returns_an_independent_copy():
    template = get_template("post_service")
    template.definition["questions"].clear()

    assert isinstance(template, Template)
    assert template.key == "post_service"
    assert len(TEMPLATES["post_service"].definition["questions"]) == 7
    assert get_template("post_service") == TEMPLATES["post_service"]


def test_get_template_raises_key_error_for_an_unknown_key():
    with pytest.raises(KeyError):
        get_template("nonexistent")


# --- the individual templates --------------------------------------------------------------


def test_post_service_asks_the_follow_up_only_when_unresolved():
    definition = template_definition("post_service")

    assert keys_of(definition) == [
        "nps",
        "satisfaction",
        "problem_resolved",
        "timeliness",
        "staff",
        "improvement",
        "comment",
    ]
    assert definition.question("problem_resolved").type is QuestionType.YES_NO
    assert definition.question("problem_resolved").text == "Was your problem resolved?"
    assert definition.question("improvement").text == "What could we have done better?"
    assert domains_by_key(definition)["timeliness"] == "timeliness"
    assert domains_by_key(definition)["staff"] == "frontline_behaviours"
    resolved = [q.key for q in visible_questions(definition, {"problem_resolved": True})]
    unresolved = [q.key for q in visible_questions(definition, {"problem_resolved": False})]
    assert "improvement" not in resolved
    assert "improvement" in unresolved


def test_post_service_keeps_the_follow_up_answer_only_when_unresolved():
    definition = template_definition("post_service")
    base = {"nps": "3", "satisfaction": "2", "improvement": "Call back sooner."}

    kept = clean_answers(definition, {**base, "problem_resolved": "no"})
    dropped = clean_answers(definition, {**base, "problem_resolved": "yes"})

    assert kept == CleanAnswers(
        values={
            "nps": 3,
            "satisfaction": 2,
            "problem_resolved": False,
            "improvement": "Call back sooner.",
        },
        errors=[],
    )
    assert dropped == CleanAnswers(
        values={"nps": 3, "satisfaction": 2, "problem_resolved": True}, errors=[]
    )


def test_hotel_stay_binds_each_rating_to_its_domain():
    definition = template_definition("hotel_stay")

    assert domains_by_key(definition) == {
        "staff": "frontline_behaviours",
        "room_cleanliness": "environment",
        "food_quality": "quality",
        "nps": None,
        "comment": None,
    }


def test_business_review_rates_the_relationship_by_domain():
    definition = template_definition("business_review")

    assert keys_of(definition) == [
        "initiative",
        "availability",
        "timeliness",
        "understanding",
        "nps",
        "comment",
    ]
    ratings = [q for q in definition.questions if q.type is QuestionType.RATING]
    assert [q.domain for q in ratings] == [
        "commitment",
        "ease_of_access",
        "timeliness",
        "frontline_behaviours",
    ]


@pytest.mark.parametrize("key", ["ten_domains", "self_assessment"])
def test_domain_templates_rate_each_default_domain_under_its_own_key(key):
    definition = template_definition(key)
    ratings = [q for q in definition.questions if q.type is QuestionType.RATING]

    assert [(q.key, q.domain) for q in ratings] == [(k, k) for k in TEN_DOMAIN_KEYS]


def test_ten_domains_ends_with_nps_and_comment():
    definition = template_definition("ten_domains")

    assert keys_of(definition)[-2:] == ["nps", "comment"]
    assert len(definition.questions) == 12


def test_self_assessment_asks_staff_about_their_own_delivery():
    definition = template_definition("self_assessment")
    ratings = [q for q in definition.questions if q.type is QuestionType.RATING]

    assert definition.kind == "self_assessment"
    assert all(q.text.startswith("How well do we deliver on ") for q in ratings)
    assert [q.help for q in ratings] == [domain.description for domain in DEFAULT_DOMAINS]
    assert not any(q.type is QuestionType.NPS for q in definition.questions)


def test_self_assessment_pairs_with_ten_domains_for_the_perception_gap():
    customer = template_definition("ten_domains")
    staff = template_definition("self_assessment")

    def rated_domains(definition: SurveyDefinition) -> dict[str, Scale | None]:
        return {
            q.domain: q.effective_scale()
            for q in definition.questions
            if q.type is QuestionType.RATING and q.domain
        }

    customer_scales, staff_scales = rated_domains(customer), rated_domains(staff)
    assert customer_scales.keys() == staff_scales.keys() == DEFAULT_DOMAIN_KEYS
    assert all(
        (customer_scales[k].min, customer_scales[k].max)  # type: ignore[union-attr]
        == (staff_scales[k].min, staff_scales[k].max)  # type: ignore[union-attr]
        for k in DEFAULT_DOMAIN_KEYS
    )


def test_employee_pulse_measures_enps_and_the_enablers_of_service():
    definition = template_definition("employee_pulse")

    assert definition.kind == "employee"
    assert keys_of(definition) == [
        "enps",
        "training",
        "authority",
        "tools",
        "recognition",
        "comment",
    ]
    enps = definition.question("enps")
    assert enps.type is QuestionType.NPS
    assert enps.text.startswith("How likely are you to recommend working here")
    assert [q.type for q in definition.questions[1:5]] == [QuestionType.RATING] * 4


def test_win_back_asks_why_and_follows_up_on_other():
    definition = template_definition("win_back")

    assert keys_of(definition) == ["reasons", "other_reason", "would_return", "comment"]
    reasons = definition.question("reasons")
    assert reasons.type is QuestionType.MULTI_CHOICE
    assert reasons.text == "Why did you stop coming?"
    assert reasons.option_keys() == ["price", "quality", "service", "moved", "competitor", "other"]
    assert definition.question("would_return").type is QuestionType.YES_NO
    assert definition.question("would_return").text == "Would you consider coming back?"


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        (["price"], {"reasons": ["price"]}),
        (["price", "other"], {"reasons": ["price", "other"], "other_reason": "Opening hours."}),
    ],
)
def test_win_back_keeps_the_other_reason_only_when_other_is_chosen(reasons, expected):
    definition = template_definition("win_back")

    result = clean_answers(definition, {"reasons": reasons, "other_reason": "Opening hours."})

    assert result == CleanAnswers(values=expected, errors=[])


def test_win_back_requires_a_reason():
    result = clean_answers(template_definition("win_back"), {"would_return": "yes"})

    assert result == CleanAnswers(
        values={"would_return": True}, errors=[FieldError("reasons", "this question is required")]
    )
