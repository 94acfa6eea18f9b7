"""Rule conditions, pure: parsing with located errors, and matching hand-made facts."""

from __future__ import annotations

import pytest

from heedback.loop.conditions import (
    AnswerFact,
    ResponseFacts,
    Scope,
    TextFacts,
    conditions_as_json,
    is_low,
    matches,
    needs_text,
    needs_themes,
    nps_band,
    parse_conditions,
)


def facts(
    *answers: AnswerFact,
    channel: str = "web",
    unit_path: str = "00000001.00000002.",
    text: TextFacts | None = None,
    customer: dict | None = None,
) -> ResponseFacts:
    return ResponseFacts(
        channel=channel,
        unit_path=unit_path,
        survey_id=7,
        answers=answers,
        text=text,
        customer=customer,
    )


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


# --- text, customer and unit conditions ---------------------------------------------------

ANGRY = TextFacts(
    sentiment_score=-0.62,
    sentiment_label="negative",
    is_urgent=True,
    urgency_reasons=frozenset({"never_again"}),
    themes=frozenset({12, 14}),
)
PLEASED = TextFacts(sentiment_score=0.4, sentiment_label="positive", themes=frozenset({12}))


def test_a_sentiment_condition_by_label_and_by_score():
    negative = rule([{"kind": "sentiment", "label": "negative"}])
    below = rule([{"kind": "sentiment", "score_at_most": -0.5}])
    both = rule([{"kind": "sentiment", "label": "negative", "score_at_most": -0.7}])
    assert matches(Scope(), negative, facts(text=ANGRY))
    assert not matches(Scope(), negative, facts(text=PLEASED))
    assert matches(Scope(), below, facts(text=ANGRY))
    assert not matches(Scope(), below, facts(text=PLEASED))
    assert not matches(Scope(), both, facts(text=ANGRY))  # -0.62 is above -0.7


def test_text_conditions_are_false_without_a_reading():
    for raw in (
        {"kind": "sentiment", "label": "negative"},
        {"kind": "theme", "theme": 12},
        {"kind": "urgent"},
    ):
        assert not matches(Scope(), rule([raw]), facts(nps(0)))
    unread = TextFacts()  # read, but in a language the models do not score
    assert not matches(
        Scope(), rule([{"kind": "sentiment", "score_at_most": 1}]), facts(text=unread)
    )


def test_a_theme_condition_and_an_urgency_condition_with_and_without_reason():
    assert matches(Scope(), rule([{"kind": "theme", "theme": 14}]), facts(text=ANGRY))
    assert not matches(Scope(), rule([{"kind": "theme", "theme": 14}]), facts(text=PLEASED))
    assert matches(Scope(), rule([{"kind": "urgent"}]), facts(text=ANGRY))
    assert matches(Scope(), rule([{"kind": "urgent", "reason": "never_again"}]), facts(text=ANGRY))
    assert not matches(Scope(), rule([{"kind": "urgent", "reason": "legal"}]), facts(text=ANGRY))
    assert not matches(Scope(), rule([{"kind": "urgent"}]), facts(text=PLEASED))


def test_needs_text_and_needs_themes_say_which_rules_wait_for_the_reading():
    assert not needs_text(rule([{"kind": "nps_band", "band": "detractor"}]))
    assert needs_text(rule([{"kind": "low_score"}, {"kind": "urgent"}]))
    assert not needs_themes(rule([{"kind": "urgent"}]))
    assert needs_themes(rule([{"kind": "theme", "theme": 3}]))


def test_a_customer_condition_on_a_field_an_attribute_and_a_range():
    gold = {"value_tier": "Gold", "temperament": "", "segment": "b2b", "lifetime_value": 5400}
    tier = rule([{"kind": "customer", "attribute": "value_tier", "one_of": ["gold", "platinum"]}])
    segment = rule([{"kind": "customer", "attribute": "segment", "one_of": ["B2B"]}])
    valuable = rule([{"kind": "customer", "attribute": "lifetime_value", "at_least": 5000}])
    cheap = rule([{"kind": "customer", "attribute": "lifetime_value", "at_most": 100}])
    assert matches(Scope(), tier, facts(customer=gold))
    assert matches(Scope(), segment, facts(customer=gold))
    assert matches(Scope(), valuable, facts(customer=gold))
    assert not matches(Scope(), cheap, facts(customer=gold))
    assert not matches(Scope(), tier, facts(customer={"value_tier": "silver"}))
    assert not matches(Scope(), tier, facts())  # anonymous
    assert not matches(Scope(), valuable, facts(customer={"lifetime_value": "a lot"}))
    assert not matches(Scope(), segment, facts(customer={"value_tier": "gold"}))  # no attribute


def test_a_unit_condition_with_and_without_the_units_below():
    below = rule([{"kind": "unit", "units": [2, 9]}])
    only = rule([{"kind": "unit", "units": [2], "include_below": False}])
    assert matches(Scope(), below, facts(unit_path="00000001.00000002.00000005."))
    assert not matches(Scope(), only, facts(unit_path="00000001.00000002.00000005."))
    assert matches(Scope(), only, facts(unit_path="00000001.00000002."))
    assert not matches(Scope(), below, facts(unit_path="00000001.00000003."))
    # Ids are written in hexadecimal in the path: unit 26 is "0000001a".
    assert matches(Scope(), rule([{"kind": "unit", "units": [26]}]), facts(unit_path="0000001a."))
    assert not matches(
        Scope(), rule([{"kind": "unit", "units": [1]}]), facts(unit_path="00000010.")
    )


@pytest.mark.parametrize(
    ("raw", "path", "message"),
    [
        ({"kind": "sentiment"}, "0", "give a label or a score_at_most"),
        ({"kind": "sentiment", "label": "furious"}, "0.label", None),
        ({"kind": "sentiment", "score_at_most": -2}, "0.score_at_most", None),
        ({"kind": "theme"}, "0.theme", "Field required"),
        ({"kind": "urgent", "reason": "boredom"}, "0.reason", None),
        (
            {"kind": "customer", "attribute": "value_tier"},
            "0",
            "give one_of, or at_least and/or at_most",
        ),
        (
            {"kind": "customer", "attribute": "x", "one_of": ["a"], "at_least": 1},
            "0",
            "give one_of or a range, not both",
        ),
        ({"kind": "customer", "attribute": "a b", "one_of": ["a"]}, "0.attribute", None),
        ({"kind": "unit", "units": []}, "0.units", None),
    ],
)
def test_new_conditions_refuse_bad_input_with_located_errors(raw, path, message):
    conditions, errors = parse_conditions([raw])
    assert conditions == []
    assert [error.path for error in errors] == [path]
    if message is not None:
        assert errors[0].message == message


def test_new_conditions_are_stored_with_only_their_set_fields():
    raw = [
        {"kind": "sentiment", "label": "negative"},
        {"kind": "customer", "attribute": "value_tier", "one_of": ["gold"]},
        {"kind": "unit", "units": [4]},
    ]
    assert conditions_as_json(rule(raw)) == [
        {"kind": "sentiment", "label": "negative"},
        {"kind": "customer", "attribute": "value_tier", "one_of": ["gold"]},
        {"kind": "unit", "units": [4], "include_below": True},
    ]
