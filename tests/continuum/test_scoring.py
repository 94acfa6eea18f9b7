"""Scoring of the continuum, without a database: hand-built answer sets, monotonicity, edges."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heedback.continuum.instrument import (
    DEFICIT_LEVELS,
    Factor,
    Instrument,
    Level,
    Statement,
    current_instrument,
)
from heedback.continuum.scoring import Reason, combine_answers, overall_level, score

INSTRUMENT = current_instrument()
STATEMENTS = INSTRUMENT.statements
IDS = [statement.id for statement in STATEMENTS]


def answers_for(placement: Level, *, agree: int = 5, disagree: int = 1) -> dict[str, int]:
    """Answer as an organisation at ``placement`` would, on every factor.

    It owns up to the shortcomings of its level (hostile, aware) and denies the others, and
    agrees with the practices up to its level and disagrees with those above.
    """
    answers = {}
    for statement in STATEMENTS:
        if statement.level in DEFICIT_LEVELS:
            answers[statement.id] = agree if statement.level == placement else disagree
        else:
            answers[statement.id] = agree if statement.level <= placement else disagree
    return answers


@pytest.mark.parametrize("level", list(Level))
def test_a_hand_built_answer_set_lands_on_its_level(level):
    placement = score(INSTRUMENT, answers_for(level))
    assert [result.level for result in placement.factors] == [level, level, level]
    assert placement.overall.level == level


@pytest.mark.parametrize("level", list(Level))
def test_plain_agree_and_disagree_land_on_the_same_levels(level):
    placement = score(INSTRUMENT, answers_for(level, agree=4, disagree=2))
    assert placement.overall.level == level


def test_a_hostile_shortcoming_holds_the_factor_down_and_is_named():
    answers = answers_for(Level.CENTRIC)
    answers["cf_complaints_argued"] = 5  # weight 2 against cf_policies_protect's 1
    result = score(INSTRUMENT, answers).factor(Factor.CUSTOMER_FOCUS)
    assert result.level == Level.HOSTILE
    assert result.reason == Reason.HOSTILE_SHORTCOMINGS
    assert [answer.statement.id for answer in result.decisive] == ["cf_complaints_argued"]
    # It also agrees with friendly, focused and centric practices: shown as contradictions.
    assert {answer.statement.level for answer in result.contradictions} == {
        Level.FRIENDLY,
        Level.FOCUSED,
        Level.CENTRIC,
    }


def test_weights_decide_within_a_level():
    answers = answers_for(Level.FOCUSED)
    answers["cf_policies_protect"] = 5  # hostile, weight 1; cf_complaints_argued (weight 2) is 1
    # (1 * 1.0 + 2 * 0.0) / 3 = 0.33: below the 0.625 threshold, so not held at hostile.
    assert score(INSTRUMENT, answers).factor(Factor.CUSTOMER_FOCUS).level == Level.FOCUSED


def test_the_climb_stops_at_the_first_practice_level_not_agreed_with():
    answers = answers_for(Level.CENTRIC)
    for statement in INSTRUMENT.of_factor(Factor.MEASUREMENT):
        if statement.level == Level.FOCUSED:
            answers[statement.id] = 2
    result = score(INSTRUMENT, answers).factor(Factor.MEASUREMENT)
    assert result.level == Level.FRIENDLY
    assert result.reason == Reason.PRACTICES
    assert {a.statement.id for a in result.holding_back} == {
        "me_every_touchpoint",
        "me_front_line_days",
        "me_detractors_followed_up",
    }
    assert {a.statement.id for a in result.decisive} == {
        "me_regular_surveys",
        "me_management_reviews",
    }
    assert {a.statement.level for a in result.contradictions} == {Level.CENTRIC}


def test_the_threshold_is_reached_exactly_at_a_mean_of_three_and_a_half():
    answers = answers_for(Level.AWARE, agree=5, disagree=1)
    answers |= {"cf_complaints_argued": 1, "cf_policies_protect": 1}
    answers |= {"cf_reactive": 1, "cf_scripts": 1}
    answers |= {"cf_problems_fixed": 4, "cf_policies_reviewed": 3}  # mean 3.5: friendly
    assert score(INSTRUMENT, answers).factor(Factor.CUSTOMER_FOCUS).level == Level.FRIENDLY
    answers["cf_policies_reviewed"] = 2  # mean 3.0
    assert score(INSTRUMENT, answers).factor(Factor.CUSTOMER_FOCUS).level == Level.AWARE


def test_centric_asks_for_agreement_not_a_lean():
    answers = answers_for(Level.CENTRIC)
    answers |= {"cf_customer_eyes": 4, "cf_all_functions": 3}  # mean 3.5 < 4.0
    assert score(INSTRUMENT, answers).factor(Factor.CUSTOMER_FOCUS).level == Level.FOCUSED
    answers["cf_all_functions"] = 4
    assert score(INSTRUMENT, answers).factor(Factor.CUSTOMER_FOCUS).level == Level.CENTRIC


def test_all_neutral_lands_on_aware_and_says_so():
    placement = score(INSTRUMENT, dict.fromkeys(IDS, 3))
    assert placement.is_all_neutral
    assert placement.overall.level == Level.AWARE
    for result in placement.factors:
        assert result.level == Level.AWARE
        assert result.reason == Reason.NO_PRACTICES
        assert result.decisive == ()
        assert {a.statement.level for a in result.holding_back} == {Level.FRIENDLY}


def test_disagreeing_with_everything_is_aware_without_practices():
    placement = score(INSTRUMENT, dict.fromkeys(IDS, 1))
    assert not placement.is_all_neutral
    assert {result.reason for result in placement.factors} == {Reason.NO_PRACTICES}


def test_unanswered_statements_are_left_out_of_the_means():
    answers = answers_for(Level.FOCUSED)
    answers["me_every_touchpoint"] = None  # don't know
    del answers["me_front_line_days"]  # not answered at all
    result = score(INSTRUMENT, answers).factor(Factor.MEASUREMENT)
    assert result.level == Level.FOCUSED
    assert result.answered == result.total - 2
    assert {a.statement.id for a in result.unanswered} == {
        "me_every_touchpoint",
        "me_front_line_days",
    }


def test_a_level_nobody_answered_stops_the_climb_with_the_unanswered_statements():
    answers = answers_for(Level.CENTRIC)
    for statement in INSTRUMENT.of_factor(Factor.ENVIRONMENT):
        if statement.level == Level.FOCUSED:
            answers[statement.id] = None
    result = score(INSTRUMENT, answers).factor(Factor.ENVIRONMENT)
    assert result.level == Level.FRIENDLY
    assert all(not answer.is_answered for answer in result.holding_back)


def test_a_factor_with_fewer_than_half_its_statements_answered_is_not_placed():
    answers = {
        statement.id: 5
        for statement in INSTRUMENT.of_factor(Factor.ENVIRONMENT)
        if statement.level >= Level.FRIENDLY
    }  # 7 of 11 environment statements
    answers["cf_problems_fixed"] = 5  # 1 of 10 customer focus statements
    placement = score(INSTRUMENT, answers)
    assert placement.factor(Factor.ENVIRONMENT).level == Level.CENTRIC
    assert placement.factor(Factor.CUSTOMER_FOCUS).level is None
    assert placement.factor(Factor.CUSTOMER_FOCUS).reason == Reason.TOO_FEW_ANSWERS
    assert placement.overall.missing == (Factor.CUSTOMER_FOCUS, Factor.MEASUREMENT)
    assert placement.overall.level == Level.CENTRIC


def test_no_answers_place_nothing():
    placement = score(INSTRUMENT, {})
    assert placement.overall.level is None
    assert placement.answered == 0
    assert not placement.is_all_neutral


def test_unknown_statements_and_answers_off_the_scale_are_refused():
    with pytest.raises(ValueError, match="unknown statement 'nope'"):
        score(INSTRUMENT, {"nope": 3})
    with pytest.raises(ValueError, match="off the 1-5 scale"):
        score(INSTRUMENT, {"en_blame": 6})


@pytest.mark.parametrize(
    ("levels", "expected", "capped"),
    [
        ((5, 5, 5), 5, False),
        ((5, 5, 4), 4, False),  # 4.67 rounds down
        ((4, 4, 3), 3, False),
        ((5, 5, 1), 2, True),  # 3.67 → 3, but one above the weakest is 2
        ((3, 3, 1), 2, False),  # 2.33 → 2
        ((2, 2, 2), 2, False),
    ],
)
def test_overall_is_the_rounded_down_mean_capped_one_above_the_weakest(levels, expected, capped):
    result = overall_level(
        dict(zip(Factor, map(Level, levels), strict=True)), dict.fromkeys(Factor, 1.0)
    )
    assert result.level == expected
    assert result.is_capped_by_weakest is capped


def test_factor_weights_move_the_overall_level():
    levels = {Factor.CUSTOMER_FOCUS: Level.CENTRIC, Factor.MEASUREMENT: Level.FRIENDLY}
    levels[Factor.ENVIRONMENT] = Level.FRIENDLY
    heavy_focus = {Factor.CUSTOMER_FOCUS: 4.0, Factor.MEASUREMENT: 1.0, Factor.ENVIRONMENT: 1.0}
    assert overall_level(levels, dict.fromkeys(Factor, 1.0)).level == Level.FRIENDLY  # 3.67
    assert overall_level(levels, heavy_focus).level == Level.FOCUSED  # (20 + 3 + 3) / 6 = 4.33


def test_combining_answers_averages_and_skips_dont_know():
    combined = combine_answers(
        [{"en_blame": 1, "en_silos": None}, {"en_blame": 4, "en_silos": None}, {"en_blame": None}]
    )
    assert combined == {"en_blame": 2.5, "en_silos": None}


def test_custom_statements_count_in_their_level():
    custom = Statement(
        id="org_7",
        factor=Factor.CUSTOMER_FOCUS,
        level=Level.FOCUSED,
        text="Key accounts have a named contact.",
        is_custom=True,
    )
    instrument = INSTRUMENT.with_statements([custom])
    answers = answers_for(Level.FOCUSED) | {"org_7": 1}
    # Focused customer focus: (5 + 5 + 1) / 3 = 3.67 still reaches 3.5 …
    assert score(instrument, answers).factor(Factor.CUSTOMER_FOCUS).level == Level.FOCUSED
    answers["cf_proactive_contact"] = 2  # … (5 + 2 + 1) / 3 = 2.67 does not.
    assert score(instrument, answers).factor(Factor.CUSTOMER_FOCUS).level == Level.FRIENDLY


def test_the_instrument_refuses_inconsistent_data():
    data = INSTRUMENT.model_dump()
    data["statements"] = [*data["statements"], data["statements"][0]]
    with pytest.raises(ValueError, match="used twice"):
        Instrument.model_validate(data)
    data = INSTRUMENT.model_dump()
    data["statements"] = [s for s in data["statements"] if s["id"] != "en_silos"]
    data["statements"] = [s for s in data["statements"] if s["id"] != "en_blame"]
    with pytest.raises(ValueError, match="environment needs a statement at level hostile"):
        Instrument.model_validate(data)
    data = INSTRUMENT.model_dump()
    data["statements"][0]["id"] = "org_1"
    with pytest.raises(ValueError, match="custom statements only"):
        Instrument.model_validate(data)
    data = INSTRUMENT.model_dump()
    del data["scoring"]["thresholds"][Level.CENTRIC]
    with pytest.raises(ValueError, match="threshold for every level"):
        Instrument.model_validate(data)


def test_version_one_has_about_thirty_statements_spread_over_factors_and_levels():
    assert len(STATEMENTS) == 34
    assert {len(INSTRUMENT.of_factor(factor)) for factor in Factor} == {10, 13, 11}
    assert all(statement.step for statement in STATEMENTS)


# --- Monotonicity ---------------------------------------------------------------------------

answer_value = st.one_of(st.none(), st.integers(min_value=1, max_value=5))
answer_sets = st.fixed_dictionaries({statement_id: answer_value for statement_id in IDS})


def _levels(answers) -> list[Level | None]:
    placement = score(INSTRUMENT, answers)
    return [result.level for result in placement.factors] + [placement.overall.level]


def _not_lower(after: list, before: list) -> bool:
    return all(b is None or (a is not None and a >= b) for a, b in zip(after, before, strict=True))


@settings(max_examples=300, deadline=None)
@given(answers=answer_sets, data=st.data())
def test_agreeing_more_with_a_practice_never_lowers_a_placement(answers, data):
    practices = [s.id for s in STATEMENTS if s.level not in DEFICIT_LEVELS and answers[s.id]]
    if not practices:
        return
    chosen = data.draw(st.sampled_from(practices))
    raised = answers | {chosen: data.draw(st.integers(min_value=answers[chosen], max_value=5))}
    assert _not_lower(_levels(raised), _levels(answers))


@settings(max_examples=300, deadline=None)
@given(answers=answer_sets, data=st.data())
def test_agreeing_more_with_a_level_above_the_placement_never_lowers_it(answers, data):
    placement = score(INSTRUMENT, answers)
    for result in placement.factors:
        if result.level is None:
            continue
        higher = [
            s.id
            for s in INSTRUMENT.of_factor(result.factor)
            if s.level > result.level and answers[s.id] is not None
        ]
        if not higher:
            continue
        chosen = data.draw(st.sampled_from(higher))
        raised = answers | {chosen: 5}
        assert score(INSTRUMENT, raised).factor(result.factor).level >= result.level


@settings(max_examples=300, deadline=None)
@given(answers=answer_sets, data=st.data())
def test_agreeing_more_with_a_shortcoming_never_raises_a_placement(answers, data):
    shortcomings = [s.id for s in STATEMENTS if s.level in DEFICIT_LEVELS and answers[s.id]]
    if not shortcomings:
        return
    chosen = data.draw(st.sampled_from(shortcomings))
    raised = answers | {chosen: data.draw(st.integers(min_value=answers[chosen], max_value=5))}
    assert _not_lower(_levels(answers), _levels(raised))


@settings(max_examples=200, deadline=None)
@given(answers=answer_sets, data=st.data())
def test_answering_a_practice_with_full_agreement_never_lowers_a_placement(answers, data):
    """A blank answered with full agreement never lowers a placed factor.

    The overall level is compared only when the same factors are placed before and after:
    an answer that brings a factor over the minimum share of answers adds a factor to the
    overall mean, which is new information rather than more agreement.
    """
    blank = [s.id for s in STATEMENTS if s.level not in DEFICIT_LEVELS and answers[s.id] is None]
    if not blank:
        return
    chosen = data.draw(st.sampled_from(blank))
    before, after = score(INSTRUMENT, answers), score(INSTRUMENT, answers | {chosen: 5})
    factors_before = [result.level for result in before.factors]
    assert _not_lower([result.level for result in after.factors], factors_before)
    if before.overall.missing == after.overall.missing:
        assert _not_lower([after.overall.level], [before.overall.level])
