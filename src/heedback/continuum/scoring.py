"""Score continuum answers: a level per factor and overall, with the answers that decided it.

The model is a staircase, read per factor (docs/continuum.md explains why):

1. Hostile and aware statements describe shortcomings. When the weighted mean agreement with
   a level's shortcomings reaches that level's threshold, the factor is held at that level
   (hostile before aware), whatever else is answered.
2. Otherwise the factor starts at aware, the floor of an organisation that owns up to no
   shortcoming, and climbs through friendly, focused and centric while each level's
   practices are agreed with; it stops at the first level whose practices are not.
3. The overall level is the weighted mean of the factor levels rounded down, and never more
   than one level above the weakest factor.

So agreeing more with a practice never lowers a placement and agreeing more with a
shortcoming never raises one (the tests check both with hypothesis). Answers are numbers on
the instrument's agreement scale, or None for "don't know", which counts as unanswered;
they may be means of several people's answers (``combine_answers``).

Pure Python: no database, no Django.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from heedback.continuum.instrument import (
    DEFICIT_LEVELS,
    PRACTICE_LEVELS,
    Factor,
    Instrument,
    Level,
    Statement,
)

# Weighted means are sums of floats; a mean that equals a threshold must count as reaching it.
_TOLERANCE = 1e-9

Answers = Mapping[str, float | None]


class Reason(StrEnum):
    """Say why a factor sits at its level."""

    TOO_FEW_ANSWERS = "too_few_answers"
    HOSTILE_SHORTCOMINGS = "hostile_shortcomings"
    AWARE_SHORTCOMINGS = "aware_shortcomings"
    NO_PRACTICES = "no_practices"
    PRACTICES = "practices"


@dataclass(frozen=True)
class AnswerView:
    """One statement with its answer (None when unanswered) and agreement share (0-1)."""

    statement: Statement
    agreement: float | None
    share: float | None

    @property
    def is_answered(self) -> bool:
        return self.agreement is not None

    @property
    def is_agreement(self) -> bool:
        """Return whether the answer leans to agreeing (above the scale's midpoint)."""
        return self.share is not None and self.share > 0.5 + _TOLERANCE


@dataclass(frozen=True)
class LevelCheck:
    """How far one factor's statements of one level are agreed with."""

    level: Level
    is_shortcoming: bool
    threshold: float
    score: float | None
    answers: tuple[AnswerView, ...]

    @property
    def is_met(self) -> bool:
        """Return whether the level's statements count as agreed with (present)."""
        return self.score is not None and self.score >= self.threshold - _TOLERANCE

    @property
    def answered(self) -> int:
        return sum(1 for answer in self.answers if answer.is_answered)

    @property
    def below_threshold(self) -> tuple[AnswerView, ...]:
        """Return the answered statements that pull the level below its threshold."""
        return tuple(a for a in self.answers if a.share is not None and a.share < self.threshold)

    @property
    def agreed(self) -> tuple[AnswerView, ...]:
        return tuple(answer for answer in self.answers if answer.is_agreement)


@dataclass(frozen=True)
class FactorResult:
    """A factor's level with its reasoning.

    ``decisive`` are the answers that put the factor at its level; ``holding_back`` those
    that keep it from the next one; ``contradictions`` practices agreed with more than one
    level above the placement, which the respondent may want to look at again.
    """

    factor: Factor
    level: Level | None
    reason: Reason
    checks: tuple[LevelCheck, ...]
    decisive: tuple[AnswerView, ...]
    holding_back: tuple[AnswerView, ...]
    contradictions: tuple[AnswerView, ...]
    answered: int
    total: int

    def check(self, level: Level) -> LevelCheck:
        return next(check for check in self.checks if check.level == level)

    @property
    def unanswered(self) -> tuple[AnswerView, ...]:
        return tuple(a for check in self.checks for a in check.answers if not a.is_answered)


@dataclass(frozen=True)
class OverallResult:
    """The overall level: the rounded-down weighted mean, capped one above the weakest factor."""

    level: Level | None
    weighted_mean: float | None
    weakest: Level | None
    is_capped_by_weakest: bool
    missing: tuple[Factor, ...]


@dataclass(frozen=True)
class Placement:
    """The result of scoring one set of answers against one instrument version."""

    instrument_version: int
    factors: tuple[FactorResult, ...]
    overall: OverallResult
    answered: int
    total: int
    is_all_neutral: bool

    def factor(self, factor: Factor) -> FactorResult:
        return next(result for result in self.factors if result.factor == factor)


def combine_answers(answer_sets: Iterable[Answers]) -> dict[str, float | None]:
    """Return the mean answer per statement over several people's answers.

    "Don't know" (None) is left out of the mean; a statement nobody answered stays None.
    Scoring the mean is what lets a whole unit take the assessment and be placed as one.
    """
    totals: dict[str, list[float]] = {}
    for answers in answer_sets:
        for statement_id, agreement in answers.items():
            values = totals.setdefault(statement_id, [])
            if agreement is not None:
                values.append(float(agreement))
    return {
        key: math.fsum(values) / len(values) if values else None for key, values in totals.items()
    }


def score(instrument: Instrument, answers: Answers) -> Placement:
    """Place a set of answers on the continuum, per factor and overall.

    Raise ValueError for a statement id the instrument does not have or an answer off its
    scale: a caller that passes those has a bug, and a wrong placement would hide it.
    """
    _check_answers(instrument, answers)
    factors = tuple(_score_factor(instrument, factor, answers) for factor in Factor)
    overall = overall_level(
        {result.factor: result.level for result in factors}, instrument.scoring.factor_weights
    )
    midpoint = (instrument.scoring.scale_min + instrument.scoring.scale_max) / 2
    given = [value for value in answers.values() if value is not None]
    return Placement(
        instrument_version=instrument.version,
        factors=factors,
        overall=overall,
        answered=len(given),
        total=len(instrument.statements),
        is_all_neutral=bool(given) and all(abs(v - midpoint) < _TOLERANCE for v in given),
    )


def overall_level(
    levels: Mapping[Factor, Level | None], weights: Mapping[Factor, float]
) -> OverallResult:
    """Combine factor levels: weighted mean rounded down, at most one above the weakest.

    Factors without a level are left out and reported as missing. Both steps are
    non-decreasing in every factor level, so the overall level is monotone too.
    """
    placed = {factor: level for factor, level in levels.items() if level is not None}
    missing = tuple(factor for factor in Factor if factor in levels and levels[factor] is None)
    if not placed:
        return OverallResult(None, None, None, False, missing)
    total_weight = math.fsum(weights[factor] for factor in placed)
    mean = (
        math.fsum(weights[factor] * int(level) for factor, level in placed.items()) / total_weight
    )
    weakest = min(placed.values())
    rounded = math.floor(mean + _TOLERANCE)
    level = Level(min(rounded, int(weakest) + 1))
    return OverallResult(level, mean, weakest, rounded > int(weakest) + 1, missing)


def _check_answers(instrument: Instrument, answers: Answers) -> None:
    low, high = instrument.scoring.scale_min, instrument.scoring.scale_max
    for statement_id, agreement in answers.items():
        if instrument.statement(statement_id) is None:
            raise ValueError(f"unknown statement {statement_id!r}")
        if agreement is not None and not low <= agreement <= high:
            raise ValueError(
                f"answer {agreement!r} to {statement_id!r} is off the {low}-{high} scale"
            )


def _score_factor(instrument: Instrument, factor: Factor, answers: Answers) -> FactorResult:
    checks = tuple(_check_level(instrument, factor, level, answers) for level in Level)
    by_level = {check.level: check for check in checks}
    answered = sum(check.answered for check in checks)
    total = sum(len(check.answers) for check in checks)

    def result(level, reason, decisive=(), holding_back=()) -> FactorResult:
        return FactorResult(
            factor=factor,
            level=level,
            reason=reason,
            checks=checks,
            decisive=tuple(decisive),
            holding_back=tuple(holding_back),
            contradictions=_contradictions(checks, level),
            answered=answered,
            total=total,
        )

    if total == 0 or answered / total < instrument.scoring.minimum_answered_share - _TOLERANCE:
        return result(None, Reason.TOO_FEW_ANSWERS)
    for level, reason in (
        (Level.HOSTILE, Reason.HOSTILE_SHORTCOMINGS),
        (Level.AWARE, Reason.AWARE_SHORTCOMINGS),
    ):
        if by_level[level].is_met:
            shortcomings = by_level[level].agreed
            return result(level, reason, shortcomings, shortcomings)
    level = Level.AWARE
    for practice_level in PRACTICE_LEVELS:
        check = by_level[practice_level]
        if not check.is_met:
            stopper = check.below_threshold or tuple(a for a in check.answers if not a.is_answered)
            if level == Level.AWARE:
                return result(level, Reason.NO_PRACTICES, (), stopper)
            return result(level, Reason.PRACTICES, by_level[level].agreed, stopper)
        level = practice_level
    return result(level, Reason.PRACTICES, by_level[level].agreed, ())


def _check_level(
    instrument: Instrument, factor: Factor, level: Level, answers: Answers
) -> LevelCheck:
    scoring = instrument.scoring
    views = []
    weighted_sum = weight_total = 0.0
    for statement in instrument.of_factor(factor):
        if statement.level != level:
            continue
        agreement = answers.get(statement.id)
        share = None if agreement is None else scoring.share(agreement)
        views.append(AnswerView(statement, agreement, share))
        if share is not None:
            weighted_sum += statement.weight * share
            weight_total += statement.weight
    return LevelCheck(
        level=level,
        is_shortcoming=level in DEFICIT_LEVELS,
        threshold=scoring.thresholds[level],
        score=weighted_sum / weight_total if weight_total else None,
        answers=tuple(views),
    )


def _contradictions(checks: tuple[LevelCheck, ...], level: Level | None) -> tuple[AnswerView, ...]:
    """Return practices agreed with at levels more than one above ``level``."""
    if level is None:
        return ()
    return tuple(
        answer
        for check in checks
        if not check.is_shortcoming and check.level > level + 1 and check.is_met
        for answer in check.agreed
    )
