"""Rule conditions, pure: parsing with located errors, and matching hand-made facts."""

from __future__ import annotations

import pytest

from heedback.loop.conditions import (
    AnswerFact,
    ResponseFacts,
    Scope,
    conditions_as_json,
    is_low,
    matches,
    nps_band,
    parse_conditions,
)


def facts(
    *answers: AnswerFact, channel: str = "web", unit_path: str = "00000001.00000002."
) -> ResponseFacts:
    return ResponseFacts(channel=channel, unit_path=unit_path, survey_id=7, answers=answers)


def nps(score: int, key: str = "nps") -> AnswerFact:
    return AnswerFact(question=key, type="nps", number=score, scale_min=0, scale_max=10)


def rating(key: str, score: int, *, domain: str | None = None, top: int = 5) -> AnswerFact:
    return AnswerFact(
        question=key, type="rating", number=score, domain=domain, scale_min=1, scale_max=top
    )


def yes_no(key: str, value: bool) -> AnswerFact:
    return AnswerFact(question=key, type="yes_no", number=int(value), scale_min=0, scale_max=1)


def rule(raw: list[dict]):
    conditions, errors = parse_conditions(raw)
    assert errors == []
    return conditions


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_nps_bands(score, band):
    assert nps_band(score) == band


def test_a_detractor_matches_the_detractor_condition_and_a_passive_does_not():
    conditions = rule([{"kind": "nps_band", "band": "detractor"}])
    assert matches(Scope(), conditions, facts(nps(6)))
    assert not matches(Scope(), conditions, facts(nps(7)))
    assert not matches(Scope(), conditions, facts(rating("staff", 1)))


def test_a_named_question_is_the_only_one_looked_at():
    conditions = rule([{"kind": "nps_band", "band": "detractor", "question": "nps_staff"}])
    assert not matches(Scope(), conditions, facts(nps(2), nps(9, "nps_staff")))
    assert matches(Scope(), conditions, facts(nps(9), nps(2, "nps_staff")))


def test_a_rating_at_most_by_question_by_domain_and_any():
    by_key = rule([{"kind": "rating_at_most", "value": 2, "question": "staff"}])
    by_domain = rule([{"kind": "rating_at_most", "value": 2, "domain": "quality"}])
    any_rating = rule([{"kind": "rating_at_most", "value": 1}])
    answered = facts(
        rating("staff", 2, domain="frontline"), rating("food", 3, domain="quality"), nps(0)
    )
    assert matches(Scope(), by_key, answered)
    assert not matches(Scope(), by_domain, answered)
    assert matches(Scope(), by_domain, facts(rating("food", 1, domain="quality")))
    # Without a question or domain only ratings count, not the NPS 0.
    assert not matches(Scope(), any_rating, answered)


def test_yes_no_equals():
    conditions = rule([{"kind": "yes_no", "question": "problem_resolved", "equals": False}])
    assert matches(Scope(), conditions, facts(yes_no("problem_resolved", False)))
    assert not matches(Scope(), conditions, facts(yes_no("problem_resolved", True)))
    assert not matches(Scope(), conditions, facts(yes_no("other", False)))


@pytest.mark.parametrize(
    ("answer", "low"),
    [
        (nps(6), True),
        (nps(7), False),
        (rating("r", 2), True),  # 1–5: 1 and 2 are low
        (rating("r", 3), False),
        (rating("r", 3, top=7), True),  # 1–7: 1 to 3
        (rating("r", 4, top=7), False),
        (AnswerFact("r", "rating", 4, scale_min=0, scale_max=10), True),
        (AnswerFact("r", "rating", 5, scale_min=0, scale_max=10), False),
        (yes_no("q", False), False),
    ],
)
def test_low_scores(answer, low):
    assert is_low(answer) is low


def test_all_conditions_must_hold_and_the_scope_must_fit():
    conditions = rule([{"kind": "low_score"}, {"kind": "nps_band", "band": "detractor"}])
    public = Scope(channels=frozenset({"review", "social"}))
    assert matches(public, conditions, facts(nps(2), channel="review"))
    assert not matches(public, conditions, facts(nps(2), channel="web"))
    assert not matches(public, conditions, facts(rating("r", 1), channel="review"))
    assert matches(Scope(unit_path="00000001."), conditions, facts(nps(2)))
    assert not matches(Scope(unit_path="00000009."), conditions, facts(nps(2)))
    assert not matches(Scope(survey_id=8), conditions, facts(nps(2)))


def test_no_condition_matches_everything_in_scope():
    assert matches(Scope(channels=frozenset({"review"})), [], facts(channel="review"))


def test_errors_are_located_on_the_condition_field():
    _conditions, errors = parse_conditions(
        [
            {"kind": "nps_band", "band": "grumpy"},
            {"kind": "rating_at_most", "value": 11, "question": "a", "domain": "b"},
            {"kind": "shouting"},
            {"kind": "yes_no", "equals": True, "colour": "red"},
        ]
    )
    paths = {(error.path, error.message) for error in errors}
    assert ("0.band", "Input should be 'detractor', 'passive' or 'promoter'") in paths
    assert ("1.value", "Input should be less than or equal to 10") in paths
    assert any(path == "2" and message.startswith("choose one of") for path, message in paths)
    assert ("3.question", "Field required") in paths
    assert ("3.colour", "unknown field") in paths


def test_conditions_must_be_a_short_list():
    assert parse_conditions({"kind": "low_score"})[1][0].message == "must be a list"
    assert parse_conditions([{"kind": "low_score"}] * 21)[1][0].message == "at most 20 conditions"


def test_conditions_are_stored_without_empty_fields():
    conditions = rule([{"kind": "rating_at_most", "value": 2, "domain": "quality"}])
    assert conditions_as_json(conditions) == [
        {"kind": "rating_at_most", "value": 2, "domain": "quality"}
    ]
