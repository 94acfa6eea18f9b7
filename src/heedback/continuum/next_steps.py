"""Next steps per factor: the practices that would move the organisation up one level.

The steps come from three places, in this order: shortcomings the respondents owned up to
(drop them first: they hold the factor down whatever else is done), indicators whose
values hold the evidence level down, and the practices up to the next level that the
answers did not agree with. Without a self-assessment the next level's practices are
listed as they stand in the instrument. Pure: no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from heedback.continuum.evidence import FactorEvidence
from heedback.continuum.instrument import PRACTICE_LEVELS, Factor, Instrument, Level
from heedback.continuum.scoring import FactorResult, Reason

MAX_STEPS = 6


class StepSource(StrEnum):
    SHORTCOMING = "shortcoming"
    EVIDENCE = "evidence"
    PRACTICE = "practice"


@dataclass(frozen=True)
class Step:
    """One concrete practice; ``text`` is untranslated (pages translate it when shown)."""

    text: str
    feature: str | None
    source: StepSource
    reference: str


@dataclass(frozen=True)
class FactorSteps:
    factor: Factor
    current: Level | None
    target: Level | None
    steps: tuple[Step, ...]


def next_steps(
    instrument: Instrument,
    factor: Factor,
    self_result: FactorResult | None,
    evidence: FactorEvidence | None,
    limit: int = MAX_STEPS,
) -> FactorSteps:
    """Return the steps from the lower of the self-assessed and evidence levels to the next.

    The lower of the two is where the organisation stands for planning purposes: a level
    claimed in the answers but not shown in the data is not yet reached, and vice versa.
    """
    known = [
        level
        for level in (
            self_result.level if self_result else None,
            evidence.level if evidence else None,
        )
        if level is not None
    ]
    current = min(known) if known else None
    if current == Level.CENTRIC:
        return FactorSteps(factor, current, None, ())
    target = Level((current or Level.AWARE) + 1)
    steps = [
        *_shortcoming_steps(self_result),
        *_evidence_steps(evidence, current),
        *_practice_steps(instrument, factor, self_result, target),
    ]
    unique: dict[str, Step] = {}
    for step in steps:
        unique.setdefault(step.text, step)
    return FactorSteps(factor, current, target, tuple(unique.values())[:limit])


def _shortcoming_steps(self_result: FactorResult | None) -> list[Step]:
    if self_result is None or self_result.reason not in {
        Reason.HOSTILE_SHORTCOMINGS,
        Reason.AWARE_SHORTCOMINGS,
    }:
        return []
    return [
        Step(
            answer.statement.step or answer.statement.text,
            answer.statement.feature,
            StepSource.SHORTCOMING,
            answer.statement.id,
        )
        for answer in self_result.decisive
    ]


def _evidence_steps(evidence: FactorEvidence | None, current: Level | None) -> list[Step]:
    if evidence is None or evidence.level is None or current is None:
        return []
    if evidence.level > current:
        return []
    return [
        Step(
            str(result.indicator.step),
            result.indicator.feature,
            StepSource.EVIDENCE,
            result.indicator.key,
        )
        for result in evidence.limiting
        if result.indicator.step
    ]


def _practice_steps(
    instrument: Instrument, factor: Factor, self_result: FactorResult | None, target: Level
) -> list[Step]:
    if target not in PRACTICE_LEVELS:
        return []
    wanted = []
    for statement in instrument.of_factor(factor):
        if statement.level not in PRACTICE_LEVELS or statement.level > target:
            continue
        if self_result is None:
            if statement.level != target:
                continue
        else:
            check = self_result.check(statement.level)
            answer = next(a for a in check.answers if a.statement.id == statement.id)
            if answer.share is not None and answer.share >= check.threshold:
                continue
        wanted.append(statement)
    wanted.sort(key=lambda statement: statement.level)
    return [Step(s.step or s.text, s.feature, StepSource.PRACTICE, s.id) for s in wanted]
