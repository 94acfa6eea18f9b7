"""The survey definition: the validated schema every survey version is stored as.

A definition is plain JSON in the database and a tree of pydantic models in memory. This
module is pure Python on purpose: the survey builder, the public survey form, the REST API and
the importers all validate definitions and answers with the same rules, and those rules are
tested without a database.
"""

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Any, Literal, Self, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")
LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}(-[A-Z]{2})?")
MIN_OPTIONS = 2
MAX_OPTIONS = 50
TEXT_ANSWER_MAX_LENGTH = 5000
REQUIRED_MESSAGE = "this question is required"
UNKNOWN_QUESTION_MESSAGE = "unknown question"


class QuestionType(StrEnum):
    """Name the kinds of question a survey can ask."""

    NPS = "nps"
    RATING = "rating"
    CES = "ces"
    SINGLE_CHOICE = "single_choice"
    MULTI_CHOICE = "multi_choice"
    TEXT = "text"
    YES_NO = "yes_no"


NUMERIC_TYPES = frozenset({QuestionType.NPS, QuestionType.RATING, QuestionType.CES})
CHOICE_TYPES = frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTI_CHOICE})
# Only answers that can be scored belong to a domain of satisfaction.
DOMAIN_TYPES = NUMERIC_TYPES | {QuestionType.YES_NO}

Scalar: TypeAlias = str | int | bool
AnswerValue: TypeAlias = int | bool | str | list[str]


@dataclass(frozen=True)
class FieldError:
    """Locate one problem by a dotted path, such as ``questions.2.scale.max``."""

    path: str
    message: str


class DefinitionError(Exception):
    """Report every problem found in a survey definition at once."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(_describe(error) for error in errors))


def _describe(error: FieldError) -> str:
    return f"{error.path}: {error.message}" if error.path else error.message


Location: TypeAlias = tuple[str | int, ...]


class _Problems(ValueError):
    """Carry errors located below the model that raises them.

    Pydantic reports a model validator's error at the model itself; this lets a rule that needs
    the whole model still point at the exact field (``questions.3.key``).
    """

    def __init__(self, problems: Sequence[tuple[Location, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(message for _, message in self.problems))


def _check_key(value: str) -> str:
    if not KEY_PATTERN.fullmatch(value):
        raise ValueError(
            "must start with a lowercase letter and contain only lowercase letters, digits "
            "and underscores (at most 63 characters)"
        )
    return value


def _check_language(value: str) -> str:
    if not LANGUAGE_PATTERN.fullmatch(value):
        raise ValueError("must be a language code such as 'en' or 'fr-CA'")
    return value


Key = Annotated[str, AfterValidator(_check_key)]
Language = Annotated[str, AfterValidator(_check_language)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
QuestionText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)
]
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
NonEmptyLabel = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
HelpText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class Scale(BaseModel):
    """Bound a numeric question and label its ends."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: int
    max: int
    min_label: Label = ""
    max_label: Label = ""

    @field_validator("min")
    @classmethod
    def _check_min(cls, value: int) -> int:
        if value not in (0, 1):
            raise ValueError("must be 0 or 1")
        return value

    @field_validator("max")
    @classmethod
    def _check_max(cls, value: int, info: ValidationInfo) -> int:
        # Fewer than three points cannot tell opinions apart; more than eleven is noise.
        low = info.data.get("min")
        if low is not None and not 2 <= value - low <= 10:
            raise ValueError(f"must be from {low + 2} to {low + 10}")
        return value

    def contains(self, value: int) -> bool:
        """Tell whether ``value`` is a point on this scale."""
        return self.min <= value <= self.max


NPS_SCALE = Scale(min=0, max=10, min_label="Not at all likely", max_label="Extremely likely")
CES_SCALE = Scale(min=1, max=7, min_label="Very difficult", max_label="Very easy")
DEFAULT_RATING_SCALE = Scale(min=1, max=5)


class Option(BaseModel):
    """Offer one answer of a choice question; the key is stored, the label shown."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Key
    label: NonEmptyLabel


def _check_scalar(value: object) -> object:
    if value is not None and not isinstance(value, str | int):
        raise ValueError("must be text, a whole number, true or false")
    return value


class Condition(BaseModel):
    """Show a question only when an earlier answer matches.

    Give exactly one test: ``equals`` one value, ``in`` one of several values, or ``answered``.
    For a multi-choice question, ``equals`` and ``in`` hold when any chosen option matches.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    question: Key
    equals: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in", min_length=1)
    answered: bool | None = None

    @field_validator("equals", mode="before")
    @classmethod
    def _check_equals(cls, value: object) -> object:
        return _check_scalar(value)

    @field_validator("in_", mode="before")
    @classmethod
    def _check_in(cls, value: object) -> object:
        if isinstance(value, list):
            problems = [
                ((index,), "must be text, a whole number, true or false")
                for index, item in enumerate(value)
                if not isinstance(item, str | int)
            ]
            if problems:
                raise _Problems(problems)
        return value

    @model_validator(mode="after")
    def _check_one_test(self) -> Self:
        tests = [self.equals, self.in_, self.answered]
        if sum(test is not None for test in tests) != 1:
            raise ValueError("give exactly one of 'equals', 'in' or 'answered'")
        return self

    def expected_values(self) -> list[Scalar]:
        """Return the values that satisfy ``equals`` or ``in`` (empty for ``answered``)."""
        if self.equals is not None:
            return [self.equals]
        return list(self.in_ or [])


class Question(BaseModel):
    """Ask one thing; the type decides which other fields apply."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Key
    type: QuestionType
    text: QuestionText
    help: HelpText = ""
    required: bool = False
    domain: Key | None = None
    scale: Scale | None = None
    options: list[Option] | None = None
    show_if: Condition | None = None
    placeholder: Label = ""

    @model_validator(mode="after")
    def _check_type_rules(self) -> Self:
        problems = [*self._scale_problems(), *self._option_problems(), *self._domain_problems()]
        if problems:
            raise _Problems(problems)
        return self

    def _scale_problems(self) -> list[tuple[Location, str]]:
        if self.scale is None or self.type is QuestionType.RATING:
            return []
        # NPS and CES are only comparable across surveys and benchmarks on their fixed scale.
        if self.type is QuestionType.NPS:
            return [(("scale",), "NPS questions always use 0 to 10; remove the scale")]
        if self.type is QuestionType.CES:
            return [(("scale",), "CES questions always use 1 to 7; remove the scale")]
        return [(("scale",), "only rating questions take a scale")]

    def _option_problems(self) -> list[tuple[Location, str]]:
        if self.type not in CHOICE_TYPES:
            if self.options is not None:
                return [(("options",), "only choice questions take options")]
            return []
        options = self.options or []
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            return [(("options",), f"must have {MIN_OPTIONS} to {MAX_OPTIONS} options")]
        return [
            (("options", index, "key"), f"duplicate option key '{key}'")
            for index, key in _duplicates([option.key for option in options])
        ]

    def _domain_problems(self) -> list[tuple[Location, str]]:
        if self.domain is not None and self.type not in DOMAIN_TYPES:
            return [(("domain",), "only nps, rating, ces and yes_no questions have a domain")]
        return []

    def effective_scale(self) -> Scale | None:
        """Return the scale answers are checked against, or None for non-numeric questions."""
        if self.type is QuestionType.NPS:
            return NPS_SCALE
        if self.type is QuestionType.CES:
            return CES_SCALE
        if self.type is QuestionType.RATING:
            return self.scale or DEFAULT_RATING_SCALE
        return None

    def option_keys(self) -> list[str]:
        """Return the option keys in the order they are offered."""
        return [option.key for option in self.options or []]


class SurveyDefinition(BaseModel):
    """Describe one version of a survey: its wording and its questions in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Title
    intro: LongText = ""
    thanks: LongText = "Thank you for your feedback."
    language: Language = "en"
    kind: Literal["customer", "employee", "self_assessment"] = "customer"
    questions: list[Question] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _check_questions(self) -> Self:
        problems = [*_duplicate_key_problems(self.questions), *_condition_problems(self.questions)]
        if problems:
            raise _Problems(problems)
        return self

    @property
    def answer_rules(self) -> "AnswerRules":
        """Return the answer rules of these questions, prepared on first use and kept."""
        # Kept beside the fields, as ``functools.cached_property`` keeps its value: pydantic
        # leaves it out of dumps and equality. Checked against the questions in case the
        # definition was copied with others.
        rules = self.__dict__.get("answer_rules_prepared")
        if rules is None or rules.source is not self.questions:
            rules = AnswerRules(self.questions)
            self.__dict__["answer_rules_prepared"] = rules
        return rules

    @property
    def questions_by_key(self) -> Mapping[str, Question]:
        """Return the questions by key, read-only, built once with the answer rules.

        Every response shown or answered through the API, and every response the loop's
        rules evaluate, looks its answers' questions up by key: one mapping per version
        instead of one built again for each response.
        """
        return self.answer_rules.by_key

    def question(self, key: str) -> Question:
        """Return the question with ``key``; raise KeyError when there is none."""
        return self.questions_by_key[key]


def _duplicates(keys: Sequence[str]) -> list[tuple[int, str]]:
    """Return (index, key) for every repeat of a key seen earlier in ``keys``."""
    seen: set[str] = set()
    repeats = []
    for index, key in enumerate(keys):
        if key in seen:
            repeats.append((index, key))
        seen.add(key)
    return repeats


def _duplicate_key_problems(questions: Sequence[Question]) -> list[tuple[Location, str]]:
    return [
        (("questions", index, "key"), f"duplicate question key '{key}'")
        for index, key in _duplicates([question.key for question in questions])
    ]


def _condition_problems(questions: Sequence[Question]) -> list[tuple[Location, str]]:
    """Check that each condition names an earlier question and tests a possible answer.

    Conditions look backwards only, so a respondent's path through the survey is decided
    question by question and can never loop.
    """
    all_keys = {question.key for question in questions}
    earlier: dict[str, Question] = {}
    problems: list[tuple[Location, str]] = []
    for index, question in enumerate(questions):
        condition = question.show_if
        if condition is not None:
            prefix: Location = ("questions", index, "show_if")
            referenced = earlier.get(condition.question)
            if referenced is None:
                message = _reference_problem(condition.question, question.key, all_keys)
                problems.append(((*prefix, "question"), message))
            else:
                problems.extend(
                    ((*prefix, *location), message)
                    for location, message in _condition_value_problems(condition, referenced)
                )
        earlier.setdefault(question.key, question)
    return problems


def _reference_problem(referenced_key: str, own_key: str, all_keys: set[str]) -> str:
    if referenced_key == own_key:
        return "a question cannot depend on itself"
    if referenced_key in all_keys:
        return f"question '{referenced_key}' must come before this one"
    return f"unknown question '{referenced_key}'"


def _condition_value_problems(
    condition: Condition, referenced: Question
) -> list[tuple[Location, str]]:
    if condition.equals is not None:
        located: list[tuple[Location, Scalar]] = [(("equals",), condition.equals)]
    else:
        located = [(("in", index), value) for index, value in enumerate(condition.in_ or [])]
    problems = []
    for location, value in located:
        message = _expected_value_problem(referenced, value)
        if message is not None:
            problems.append((location, message))
    return problems


def _expected_value_problem(question: Question, value: Scalar) -> str | None:
    """Return why ``value`` can never be an answer to ``question``, or None if it can."""
    if question.type is QuestionType.TEXT:
        return f"text question '{question.key}' can only be tested with 'answered'"
    if question.type is QuestionType.YES_NO:
        return None if isinstance(value, bool) else "must be true or false"
    if question.type in CHOICE_TYPES:
        if isinstance(value, str) and value in question.option_keys():
            return None
        return f"'{value}' is not an option of question '{question.key}'"
    scale = question.effective_scale()
    assert scale is not None
    if isinstance(value, int) and not isinstance(value, bool) and scale.contains(value):
        return None
    return f"must be a whole number from {scale.min} to {scale.max}"


# --- parsing ------------------------------------------------------------------------------

_MESSAGES = {
    "missing": "this field is required",
    "extra_forbidden": "unknown field",
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
}


def _message(detail: Mapping[str, Any]) -> str:
    """Turn a pydantic error into a sentence a survey designer understands."""
    kind, context = detail["type"], detail.get("ctx") or {}
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "string_too_short" or (kind == "too_short" and context["min_length"] == 1):
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {context['max_length']} characters"
    if kind == "too_short":
        return f"must have at least {context['min_length']} items"
    if kind == "too_long":
        return f"must have at most {context['max_length']} items"
    if kind in ("enum", "literal_error"):
        return f"must be one of {context['expected']}"
    return str(detail["msg"]).removeprefix("Value error, ")


def _path(location: Location) -> str:
    return ".".join(str(part) for part in location)


def _field_errors(error: ValidationError) -> list[FieldError]:
    errors = []
    for detail in error.errors():
        location = tuple(detail["loc"])
        cause = (detail.get("ctx") or {}).get("error")
        if isinstance(cause, _Problems):
            errors.extend(FieldError(_path((*location, *sub)), msg) for sub, msg in cause.problems)
        else:
            errors.append(FieldError(_path(location), _message(detail)))
    return errors


def parse_definition(data: Mapping[str, object]) -> SurveyDefinition:
    """Validate stored or submitted JSON and return the definition.

    Raise DefinitionError listing every problem with its path, so a builder can mark each
    faulty field at once rather than one per round trip.
    """
    try:
        return SurveyDefinition.model_validate(data)
    except ValidationError as error:
        raise DefinitionError(_field_errors(error)) from error


def dump_definition(definition: SurveyDefinition) -> dict[str, Any]:
    """Return the JSON-ready dict to store; ``parse_definition`` reads it back unchanged."""
    return definition.model_dump(mode="json", by_alias=True, exclude_none=True)


def check_domains(definition: SurveyDefinition, known_domain_keys: set[str]) -> None:
    """Raise DefinitionError for questions bound to a domain the organisation does not have.

    Domains are per organisation and live in the database, so this check is separate from
    parsing and is run by whoever knows the organisation.
    """
    errors = [
        FieldError(f"questions.{index}.domain", f"unknown domain '{question.domain}'")
        for index, question in enumerate(definition.questions)
        if question.domain is not None and question.domain not in known_domain_keys
    ]
    if errors:
        raise DefinitionError(errors)


# --- display conditions -------------------------------------------------------------------


def _is_answered(value: object) -> bool:
    return value is not None and value != "" and value != []


def _same(answer: object, expected: Scalar) -> bool:
    # True == 1 in Python; a yes/no answer must never match a score of 1.
    return answer == expected and isinstance(answer, bool) == isinstance(expected, bool)


def _condition_holds(
    condition: Condition, values: Mapping[str, object], visible_keys: set[str]
) -> bool:
    if condition.question not in visible_keys:
        return False
    answer = values.get(condition.question)
    if condition.answered is not None:
        return _is_answered(answer) == condition.answered
    answers = answer if isinstance(answer, list) else [answer]
    return any(
        _same(item, expected) for item in answers for expected in condition.expected_values()
    )


def visible_questions(definition: SurveyDefinition, values: Mapping[str, object]) -> list[Question]:
    """Return the questions a respondent with these clean answers is shown, in order.

    A condition on a hidden question is false, so hiding a question also hides everything
    that depends on it.
    """
    return _visible_among(definition.questions, values)


def _visible_among(questions: Sequence[Question], values: Mapping[str, object]) -> list[Question]:
    visible: list[Question] = []
    visible_keys: set[str] = set()
    for question in questions:
        if question.show_if is None or _condition_holds(question.show_if, values, visible_keys):
            visible.append(question)
            visible_keys.add(question.key)
    return visible


# --- answers ------------------------------------------------------------------------------

_TRUE_WORDS = frozenset({"true", "yes", "1"})
_FALSE_WORDS = frozenset({"false", "no", "0"})
_INTEGER = re.compile(r"[+-]?[0-9]{1,9}")


@dataclass(frozen=True)
class CleanAnswers:
    """Hold the answers worth storing and the problems to show, keyed by question."""

    values: dict[str, AnswerValue]
    errors: list[FieldError]

    @property
    def is_valid(self) -> bool:
        """Tell whether the answers can be stored as they are."""
        return not self.errors


class _InvalidAnswer(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _single(raw: object) -> object:
    """Unwrap a one-item list, because HTML forms send every field as a list."""
    if isinstance(raw, list | tuple):
        if len(raw) > 1:
            raise _InvalidAnswer("must be a single value")
        return raw[0] if raw else None
    return raw


def _clean_number(question: Question, value: object) -> int:
    scale = question.effective_scale()
    assert scale is not None
    message = f"must be a whole number from {scale.min} to {scale.max}"
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not scale.contains(value):
        raise _InvalidAnswer(message)
    return value


def _clean_yes_no(question: Question, value: object) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower() if isinstance(value, str | int) else None
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise _InvalidAnswer("must be yes or no")


def _clean_single_choice(question: Question, value: object) -> str:
    if isinstance(value, str) and value.strip() in question.option_keys():
        return value.strip()
    raise _InvalidAnswer("must be one of the options")


def _clean_text(question: Question, value: object) -> str | None:
    if not isinstance(value, str):
        raise _InvalidAnswer("must be text")
    text = value.strip()
    if "\x00" in text:  # PostgreSQL cannot store it, and no honest sender has one to send
        raise _InvalidAnswer("must not contain a NUL character")
    if len(text) > TEXT_ANSWER_MAX_LENGTH:
        raise _InvalidAnswer(f"must be at most {TEXT_ANSWER_MAX_LENGTH} characters")
    return text or None


def _clean_multi_choice(question: Question, raw: object) -> list[str] | None:
    items = [raw] if isinstance(raw, str) else raw
    if items is None:
        return None
    if not isinstance(items, list | tuple) or not all(isinstance(item, str) for item in items):
        raise _InvalidAnswer("must be a list of options")
    chosen = [item.strip() for item in items if item.strip()]
    offered = question.option_keys()
    if any(key not in offered for key in chosen):
        raise _InvalidAnswer("must contain only the options offered")
    repeats = _duplicates(chosen)
    if repeats:
        raise _InvalidAnswer(f"option '{repeats[0][1]}' is chosen more than once")
    # Store choices in the order offered so equal answers compare and group equal.
    return [key for key in offered if key in chosen] or None


_SINGLE_VALUE_CLEANERS = {
    QuestionType.NPS: _clean_number,
    QuestionType.RATING: _clean_number,
    QuestionType.CES: _clean_number,
    QuestionType.YES_NO: _clean_yes_no,
    QuestionType.SINGLE_CHOICE: _clean_single_choice,
    QuestionType.TEXT: _clean_text,
}


def _clean_value(question: Question, raw: object) -> AnswerValue | None:
    """Return the clean answer, None when unanswered, or raise _InvalidAnswer."""
    if question.type is QuestionType.MULTI_CHOICE:
        return _clean_multi_choice(question, raw)
    value = _single(raw)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _SINGLE_VALUE_CLEANERS[question.type](question, value)


class AnswerRules:
    """The answer rules of one definition, prepared once and applied to many responses.

    A batch of a thousand responses to one version checks each against the same
    questions: which keys exist, each question's cleaner with its scale and message, and
    whether any display condition can hide a question. Preparing that per response cost
    more than the checks themselves. Reached through ``SurveyDefinition.answer_rules``.
    """

    def __init__(self, questions: Sequence[Question]) -> None:
        self.source = questions
        self.questions = tuple(questions)
        self.by_key = MappingProxyType({question.key: question for question in self.questions})
        self.known_keys = frozenset(self.by_key)
        self.has_conditions = any(question.show_if is not None for question in self.questions)
        self.cleaners = {question.key: _cleaner_of(question) for question in self.questions}

    def clean(self, raw: Mapping[str, object], *, partial: bool = False) -> CleanAnswers:
        """Validate answers as ``clean_answers`` does (same values, same errors, same order)."""
        known_keys, cleaners = self.known_keys, self.cleaners
        errors = [
            FieldError(str(key), UNKNOWN_QUESTION_MESSAGE) for key in raw if key not in known_keys
        ]
        cleaned: dict[str, AnswerValue] = {}
        problems: dict[str, str] = {}
        for question in self.questions:
            key = question.key
            if key not in raw:
                continue
            try:
                value = cleaners[key](raw[key])
            except _InvalidAnswer as invalid:
                problems[key] = invalid.message
                continue
            if value is not None:
                cleaned[key] = value
        if self.has_conditions:
            shown: Sequence[Question] = _visible_among(self.questions, cleaned)
        else:
            shown = self.questions
        if not problems and not self.has_conditions and (partial or len(cleaned) == len(shown)):
            # Nothing hidden, nothing wrong, nothing missing (or allowed to be): keep it all.
            return CleanAnswers(values=cleaned, errors=errors)
        values: dict[str, AnswerValue] = {}
        for question in shown:
            if question.key in problems:
                errors.append(FieldError(question.key, problems[question.key]))
            elif question.key in cleaned:
                values[question.key] = cleaned[question.key]
            elif question.required and not partial:
                errors.append(FieldError(question.key, REQUIRED_MESSAGE))
        return CleanAnswers(values=values, errors=errors)


def _cleaner_of(question: Question) -> Callable[[object], AnswerValue | None]:
    """Return the function that cleans one raw answer to ``question`` (see ``_clean_value``)."""
    if question.type is QuestionType.MULTI_CHOICE:
        return functools.partial(_clean_multi_choice, question)
    if question.type in NUMERIC_TYPES:
        scale = question.effective_scale()
        assert scale is not None
        low, high = scale.min, scale.max
        message = f"must be a whole number from {low} to {high}"

        def clean_number(raw: object) -> AnswerValue | None:
            # The common case first: a JSON whole number on the scale.
            if type(raw) is int and low <= raw <= high:
                return raw
            value = _single(raw)
            if value is None or (isinstance(value, str) and not value.strip()):
                return None
            if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
                value = int(value.strip())
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise _InvalidAnswer(message)
            return value

        return clean_number
    return functools.partial(_clean_value, question)


def clean_answers(
    definition: SurveyDefinition, raw: Mapping[str, object], *, partial: bool = False
) -> CleanAnswers:
    """Validate answers from a form or JSON against the definition.

    Answers to questions hidden by a condition are dropped without complaint: a respondent
    who changes an earlier answer should not be blocked by a question they no longer see.
    With ``partial`` (saving progress), missing required answers are not errors.
    """
    return definition.answer_rules.clean(raw, partial=partial)
