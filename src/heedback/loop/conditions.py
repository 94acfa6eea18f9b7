"""Rule conditions: their validated JSON form and the test of a response against them.

This module is pure Python on purpose (no database): the evaluation job, "try this rule
against the last 30 days" and the API all use the same rules, and they are tested with
hand-made facts. A rule holds when *all* its conditions hold; a condition holds when
*any* answer it looks at satisfies it (a survey may ask two NPS questions).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal, Self, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from heedback.surveys.definition import Key, QuestionType

MAX_CONDITIONS = 20
NPS_BANDS = ("detractor", "passive", "promoter")
# A score is low when it sits in the bottom 40% of its scale (2 of 1–5, 3 of 1–7, 4 of
# 0–10 for a rating); on the NPS scale, low means a detractor (0–6).
LOW_SHARE = 0.4


class _Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NpsBandCondition(_Condition):
    """An NPS answer (of ``question``, or of any NPS question) falls in ``band``."""

    kind: Literal["nps_band"]
    band: Literal["detractor", "passive", "promoter"]
    question: Key | None = None


class RatingAtMostCondition(_Condition):
    """A rating is at most ``value``: of ``question``, of any question of ``domain``, or any.

    Without a question or a domain it looks at rating and effort questions only; NPS
    answers have their own condition.
    """

    kind: Literal["rating_at_most"]
    value: int = Field(ge=0, le=10)
    question: Key | None = None
    domain: Key | None = None

    @model_validator(mode="after")
    def _check_one_target(self) -> Self:
        if self.question is not None and self.domain is not None:
            raise ValueError("give a question or a domain, not both")
        return self


class YesNoCondition(_Condition):
    """The yes/no question ``question`` was answered ``equals`` ("problem solved?" = no)."""

    kind: Literal["yes_no"]
    question: Key
    equals: bool


class LowScoreCondition(_Condition):
    """Any score of the response is low: a detractor, or a rating in its scale's bottom 40%."""

    kind: Literal["low_score"]


Condition: TypeAlias = Annotated[
    NpsBandCondition | RatingAtMostCondition | YesNoCondition | LowScoreCondition,
    Field(discriminator="kind"),
]
_CONDITIONS = TypeAdapter(list[Condition])


@dataclass(frozen=True)
class ConditionError:
    path: str
    message: str


def parse_conditions(raw: object) -> tuple[list[Condition], list[ConditionError]]:
    """Validate conditions given as JSON; return them, or the problems with dotted paths."""
    if not isinstance(raw, list):
        return [], [ConditionError("", "must be a list")]
    if len(raw) > MAX_CONDITIONS:
        return [], [ConditionError("", f"at most {MAX_CONDITIONS} conditions")]
    try:
        return _CONDITIONS.validate_python(raw), []
    except ValidationError as error:
        return [], [_located(problem) for problem in error.errors()]


def _located(problem: dict) -> ConditionError:
    # Pydantic names the union member in the path ("0.nps_band.band"); a rule author
    # wants "0.band".
    parts = [str(part) for part in problem["loc"]]
    if len(parts) >= 2 and parts[1] in {"nps_band", "rating_at_most", "yes_no", "low_score"}:
        parts.pop(1)
    message = str(problem["msg"]).removeprefix("Value error, ")
    if problem["type"] == "union_tag_invalid":
        message = "choose one of: " + ", ".join(
            ("nps_band", "rating_at_most", "yes_no", "low_score")
        )
    elif problem["type"] == "extra_forbidden":
        message = "unknown field"
    return ConditionError(".".join(parts), message)


def conditions_as_json(conditions: Sequence[Condition]) -> list[dict]:
    """Return conditions as stored: only the fields that are set."""
    return [condition.model_dump(exclude_none=True) for condition in conditions]


# --- facts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerFact:
    """One scored answer as the rules see it: its question's type, domain and scale."""

    question: str
    type: str
    number: int
    domain: str | None = None
    scale_min: int = 0
    scale_max: int = 10


@dataclass(frozen=True)
class ResponseFacts:
    """What the rules may look at in a response."""

    channel: str
    unit_path: str
    survey_id: int
    answers: tuple[AnswerFact, ...]


@dataclass(frozen=True)
class Scope:
    """Where a rule applies: channels (empty: all), a unit subtree and a survey (None: all)."""

    channels: frozenset[str] = frozenset()
    unit_path: str | None = None
    survey_id: int | None = None


def nps_band(score: int) -> str:
    """Return the NPS band of a 0–10 score."""
    if score <= 6:
        return "detractor"
    return "passive" if score <= 8 else "promoter"


def is_low(answer: AnswerFact) -> bool:
    """Tell whether an answer is in the low part of its scale (see LOW_SHARE)."""
    if answer.type == QuestionType.NPS:
        return answer.number <= 6
    if answer.type in (QuestionType.RATING, QuestionType.CES):
        ceiling = answer.scale_min + int((answer.scale_max - answer.scale_min) * LOW_SHARE)
        return answer.number <= ceiling
    return False


def holds(condition: Condition, facts: ResponseFacts) -> bool:
    """Tell whether one condition holds for a response."""
    answers = facts.answers
    if isinstance(condition, NpsBandCondition):
        return any(
            nps_band(answer.number) == condition.band
            for answer in _of_type(answers, {QuestionType.NPS}, condition.question)
        )
    if isinstance(condition, RatingAtMostCondition):
        return any(answer.number <= condition.value for answer in _rated(answers, condition))
    if isinstance(condition, YesNoCondition):
        return any(
            bool(answer.number) == condition.equals
            for answer in _of_type(answers, {QuestionType.YES_NO}, condition.question)
        )
    return any(is_low(answer) for answer in answers)


def _of_type(
    answers: Iterable[AnswerFact], types: set[str], question: str | None
) -> list[AnswerFact]:
    return [
        answer
        for answer in answers
        if answer.type in types and (question is None or answer.question == question)
    ]


def _rated(answers: Sequence[AnswerFact], condition: RatingAtMostCondition) -> list[AnswerFact]:
    scored = {QuestionType.NPS, QuestionType.RATING, QuestionType.CES}
    if condition.question is not None:
        return _of_type(answers, scored, condition.question)
    if condition.domain is not None:
        return [a for a in answers if a.type in scored and a.domain == condition.domain]
    return _of_type(answers, {QuestionType.RATING, QuestionType.CES}, None)


def in_scope(scope: Scope, facts: ResponseFacts) -> bool:
    """Tell whether a response comes from where a rule applies."""
    if scope.channels and facts.channel not in scope.channels:
        return False
    if scope.unit_path is not None and not facts.unit_path.startswith(scope.unit_path):
        return False
    return scope.survey_id is None or scope.survey_id == facts.survey_id


def matches(scope: Scope, conditions: Sequence[Condition], facts: ResponseFacts) -> bool:
    """Tell whether a rule (its scope and all its conditions) holds for a response."""
    return in_scope(scope, facts) and all(holds(condition, facts) for condition in conditions)
