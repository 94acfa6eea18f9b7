"""Rule conditions: their validated JSON form and the test of a response against them.

This module is pure Python on purpose (no database): the evaluation job, "try this rule
against the last 30 days" and the API all use the same rules, and they are tested with
hand-made facts. A rule holds when *all* its conditions hold; a condition holds when
*any* answer it looks at satisfies it (a survey may ask two NPS questions).

Conditions on what the machine read in the comments (sentiment, theme, urgency) are
*text conditions*: they hold only when the response's texts were analysed
(``ResponseFacts.text`` set). The evaluation job waits for that analysis before it
evaluates a response with text under a rule that has one (see ``needs_text``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal, Self, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from heedback.surveys.definition import Key, QuestionType

MAX_CONDITIONS = 20
NPS_BANDS = ("detractor", "passive", "promoter")
SENTIMENT_LABELS = ("positive", "neutral", "negative", "mixed")
URGENCY_REASONS = ("leaving", "never_again", "public", "legal", "safety", "discrimination")
#: Customer fields a condition can name; any other name reads the customer's ``attributes``.
CUSTOMER_FIELDS = ("value_tier", "temperament")
KINDS = (
    "nps_band",
    "rating_at_most",
    "yes_no",
    "low_score",
    "sentiment",
    "theme",
    "urgent",
    "customer",
    "unit",
)
TEXT_KINDS = frozenset({"sentiment", "theme", "urgent"})
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


class SentimentCondition(_Condition):
    """The comments read as ``label`` and/or their score (-1 to 1) is at most ``score_at_most``."""

    kind: Literal["sentiment"]
    label: Literal["positive", "neutral", "negative", "mixed"] | None = None
    score_at_most: float | None = Field(default=None, ge=-1, le=1)

    @model_validator(mode="after")
    def _check_something(self) -> Self:
        if self.label is None and self.score_at_most is None:
            raise ValueError("give a label or a score_at_most")
        return self


class ThemeCondition(_Condition):
    """A comment is about the theme ``theme`` (its id in the organisation's themes)."""

    kind: Literal["theme"]
    theme: int = Field(ge=1)


class UrgentCondition(_Condition):
    """A comment sounds urgent: for ``reason`` (threatens to leave, a lawyer…) or any."""

    kind: Literal["urgent"]
    reason: (
        Literal["leaving", "never_again", "public", "legal", "safety", "discrimination"] | None
    ) = None


class CustomerCondition(_Condition):
    """The customer who answered has ``attribute`` among ``one_of``, or within a range.

    ``attribute`` is ``value_tier``, ``temperament`` or a key of the customer's own
    attributes (``{"segment": "b2b", "lifetime_value": 5400}``). Texts compare without
    regard to case; ``at_least``/``at_most`` compare numbers. An anonymous response, or a
    customer without the attribute, never matches.
    """

    kind: Literal["customer"]
    attribute: str = Field(min_length=1, max_length=63, pattern=r"^[A-Za-z0-9_.-]+$")
    one_of: list[str] | None = Field(default=None, min_length=1, max_length=50)
    at_least: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _check_test(self) -> Self:
        ranged = self.at_least is not None or self.at_most is not None
        if self.one_of is None and not ranged:
            raise ValueError("give one_of, or at_least and/or at_most")
        if self.one_of is not None and ranged:
            raise ValueError("give one_of or a range, not both")
        return self


class UnitCondition(_Condition):
    """The response comes from one of ``units`` (ids), or from a unit below one of them."""

    kind: Literal["unit"]
    units: list[int] = Field(min_length=1, max_length=50)
    include_below: bool = True


Condition: TypeAlias = Annotated[
    NpsBandCondition
    | RatingAtMostCondition
    | YesNoCondition
    | LowScoreCondition
    | SentimentCondition
    | ThemeCondition
    | UrgentCondition
    | CustomerCondition
    | UnitCondition,
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
    if len(parts) >= 2 and parts[1] in KINDS:
        parts.pop(1)
    message = str(problem["msg"]).removeprefix("Value error, ")
    if problem["type"] == "union_tag_invalid":
        message = "choose one of: " + ", ".join(KINDS)
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
class TextFacts:
    """What the machine read in a response's texts, combined (``text.selectors``)."""

    sentiment_score: float | None = None
    sentiment_label: str = ""
    is_urgent: bool = False
    urgency_reasons: frozenset[str] = frozenset()
    themes: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ResponseFacts:
    """What the rules may look at in a response.

    ``text`` is None when the response has no text or its texts are not analysed (the
    text conditions are then false); ``customer`` is None for an anonymous response and
    otherwise maps the customer's fields and attributes to their values.
    """

    channel: str
    unit_path: str
    survey_id: int
    answers: tuple[AnswerFact, ...]
    text: TextFacts | None = None
    customer: Mapping[str, object] | None = None

    @property
    def unit_ids(self) -> list[int]:
        """Return the ids of the response's unit and of the units above it, root first.

        The path spells each id in eight hexadecimal digits (``orgs.services.create_unit``).
        """
        return [int(part, 16) for part in self.unit_path.split(".") if part]


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
    if isinstance(condition, LowScoreCondition):
        return any(is_low(answer) for answer in answers)
    if isinstance(condition, CustomerCondition):
        return _customer_holds(condition, facts.customer)
    if isinstance(condition, UnitCondition):
        ids = facts.unit_ids
        if not condition.include_below:
            ids = ids[-1:]
        return any(unit in ids for unit in condition.units)
    return _text_holds(condition, facts.text)


def _text_holds(condition: Condition, text: TextFacts | None) -> bool:
    if text is None:
        return False
    if isinstance(condition, SentimentCondition):
        if text.sentiment_score is None:
            return False
        if condition.label is not None and text.sentiment_label != condition.label:
            return False
        return condition.score_at_most is None or text.sentiment_score <= condition.score_at_most
    if isinstance(condition, ThemeCondition):
        return condition.theme in text.themes
    if isinstance(condition, UrgentCondition):
        return text.is_urgent and (
            condition.reason is None or condition.reason in text.urgency_reasons
        )
    raise TypeError(f"not a condition: {condition!r}")


def _customer_holds(condition: CustomerCondition, customer: Mapping[str, object] | None) -> bool:
    if customer is None:
        return False
    value = customer.get(condition.attribute)
    if value is None or value == "" or isinstance(value, (dict, list)):
        return False
    if condition.one_of is not None:
        wanted = {item.strip().casefold() for item in condition.one_of}
        return _as_text(value).casefold() in wanted
    number = _as_number(value)
    if number is None:
        return False
    if condition.at_least is not None and number < condition.at_least:
        return False
    return condition.at_most is None or number <= condition.at_most


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def needs_text(conditions: Sequence[Condition]) -> bool:
    """Tell whether a rule looks at what the machine read in the comments."""
    return any(condition.kind in TEXT_KINDS for condition in conditions)


def needs_themes(conditions: Sequence[Condition]) -> bool:
    """Tell whether a rule looks at the themes of the comments (assigned after the reading)."""
    return any(condition.kind == "theme" for condition in conditions)


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
