"""Edits of a survey definition as plain data: what the survey builder does to the JSON.

Every function takes a definition dict (as stored in ``SurveyVersion.definition``) and
returns a new dict, never changing its argument, so a refused edit leaves nothing half
done. Whether the result is a valid survey is decided afterwards by the one validator,
``services.validate_definition``; the functions here only keep the edits coherent
(renaming a question renames the conditions that point at it, deleting one drops them).

This module is pure Python on purpose (no Django), so it is tested without a database.
Messages for people are not written here: errors carry a ``code`` that the form layer
turns into a translated sentence.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from heedback.surveys.definition import CHOICE_TYPES, KEY_PATTERN, NUMERIC_TYPES, QuestionType

Definition = dict[str, Any]
QuestionData = dict[str, Any]

KEY_MAX_LENGTH = 63
OPTION_SEPARATOR = ":"
CONDITION_OPERATORS = ("equals", "in", "answered")
_NOT_KEY_CHARACTERS = re.compile(r"[^a-z0-9]+")
_YES_WORDS = frozenset({"yes", "true", "1", "oui", "vrai"})
_NO_WORDS = frozenset({"no", "false", "0", "non", "faux"})
_INTEGER = re.compile(r"[+-]?[0-9]{1,9}")


class EditError(Exception):
    """Refuse an edit; ``field`` names the form field, ``code`` the reason (translated later)."""

    def __init__(self, field_name: str, code: str, **params: object) -> None:
        super().__init__(f"{field_name}: {code}")
        self.field = field_name
        self.code = code
        self.params = params


# --- keys ---------------------------------------------------------------------------------


def slugify_key(text: str, *, fallback: str = "question") -> str:
    """Return a key made from ``text``: lower-case ASCII letters, digits and underscores.

    Accents are folded ("Qualité" → "qualite"); a key must start with a letter, so one
    starting with a digit is prefixed with ``fallback``; text with nothing usable gives
    ``fallback`` itself.
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    key = _NOT_KEY_CHARACTERS.sub("_", folded.lower()).strip("_")
    if not key:
        return fallback
    if not key[0].isalpha():
        key = f"{fallback}_{key}"
    return key[:KEY_MAX_LENGTH].rstrip("_")


def unique_key(base: str, taken: Collection[str]) -> str:
    """Return ``base``, or ``base_2``, ``base_3``… whichever is not in ``taken`` first."""
    if base not in taken:
        return base
    number = 2
    while True:
        suffix = f"_{number}"
        candidate = base[: KEY_MAX_LENGTH - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        number += 1


def is_valid_key(key: str) -> bool:
    """Tell whether ``key`` can name a question, an option or a domain."""
    return bool(KEY_PATTERN.fullmatch(key))


# --- options ------------------------------------------------------------------------------


def parse_option_lines(text: str) -> list[dict[str, str]]:
    """Read choice options written one per line, as ``key: label`` or just ``label``.

    A line whose part before the first colon is a valid key uses it; any other line is a
    label whose key is made from it (so "Note: late" stays a label, "late: Arrived late"
    has the key ``late``). Made-up keys never repeat a key already used above them; a key
    written out is kept as written, so a repeat is reported by the validator, not hidden.
    Blank lines are ignored.
    """
    options: list[dict[str, str]] = []
    taken: set[str] = set()
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        written_key, separator, rest = line.partition(OPTION_SEPARATOR)
        written_key = written_key.strip()
        if separator and is_valid_key(written_key):
            key, label = written_key, rest.strip()
        else:
            key, label = unique_key(slugify_key(line, fallback="option"), taken), line
        taken.add(key)
        options.append({"key": key, "label": label})
    return options


def format_option_lines(options: Sequence[Mapping[str, str]] | None) -> str:
    """Write options back as ``key: label`` lines, the inverse of ``parse_option_lines``."""
    return "\n".join(f"{option['key']}: {option['label']}" for option in options or [])


# --- questions ----------------------------------------------------------------------------


def question_keys(definition: Mapping[str, Any]) -> list[str]:
    """Return the keys of the questions in order."""
    return [question["key"] for question in definition.get("questions", [])]


def index_of(definition: Mapping[str, Any], key: str) -> int:
    """Return the position of the question with ``key``; raise KeyError when there is none."""
    for index, question in enumerate(definition.get("questions", [])):
        if question.get("key") == key:
            return index
    raise KeyError(key)


def question_at(definition: Mapping[str, Any], key: str) -> QuestionData:
    """Return a copy of the question with ``key``; raise KeyError when there is none."""
    return copy.deepcopy(definition["questions"][index_of(definition, key)])


def dependents(definition: Mapping[str, Any], key: str) -> list[str]:
    """Return the keys of the questions shown only depending on the answer to ``key``."""
    return [
        question["key"]
        for question in definition.get("questions", [])
        if (question.get("show_if") or {}).get("question") == key
    ]


def add_question(
    definition: Mapping[str, Any], question: Mapping[str, Any], *, before: str | None = None
) -> Definition:
    """Return the definition with ``question`` added at the end, or before question ``before``."""
    edited = copy.deepcopy(dict(definition))
    questions = edited.setdefault("questions", [])
    position = len(questions) if before is None else index_of(edited, before)
    questions.insert(position, copy.deepcopy(dict(question)))
    return edited


def update_question(
    definition: Mapping[str, Any], key: str, question: Mapping[str, Any]
) -> Definition:
    """Return the definition with question ``key`` replaced by ``question``.

    When the key changes, conditions that tested the old key follow the new one, so a
    rename never silently detaches a follow-up question.
    """
    edited = copy.deepcopy(dict(definition))
    index = index_of(edited, key)
    edited["questions"][index] = copy.deepcopy(dict(question))
    new_key = question.get("key", key)
    if new_key != key:
        for other in edited["questions"]:
            condition = other.get("show_if")
            if condition and condition.get("question") == key:
                condition["question"] = new_key
    return edited


def remove_question(definition: Mapping[str, Any], key: str) -> Definition:
    """Return the definition without question ``key``; questions that depended on it always show."""
    edited = copy.deepcopy(dict(definition))
    del edited["questions"][index_of(edited, key)]
    for question in edited["questions"]:
        if (question.get("show_if") or {}).get("question") == key:
            del question["show_if"]
    return edited


def move_question(definition: Mapping[str, Any], key: str, offset: int) -> Definition:
    """Return the definition with question ``key`` moved ``offset`` places (clamped to the ends)."""
    edited = copy.deepcopy(dict(definition))
    questions = edited["questions"]
    index = index_of(edited, key)
    target = min(max(index + offset, 0), len(questions) - 1)
    questions.insert(target, questions.pop(index))
    return edited


def update_settings(
    definition: Mapping[str, Any], *, title: str, intro: str, thanks: str, language: str
) -> Definition:
    """Return the definition with its wording and language replaced."""
    edited = copy.deepcopy(dict(definition))
    edited.update(title=title, intro=intro, thanks=thanks, language=language)
    return edited


# --- display conditions -------------------------------------------------------------------


def build_condition(
    referenced: Mapping[str, Any], operator: str, values_text: str
) -> dict[str, Any]:
    """Return the ``show_if`` testing the answer to ``referenced``, from what a form holds.

    ``values_text`` holds comma-separated values read as the referenced question answers:
    yes or no for a yes/no question, whole numbers for a scale, option keys or labels for a
    choice. Raise EditError for a value that cannot be read; whether a readable value is
    possible (in the scale, an option offered) is left to the validator.
    """
    key = referenced["key"]
    if operator == "answered":
        return {"question": key, "answered": True}
    if operator not in CONDITION_OPERATORS:
        raise EditError("condition_operator", "unknown_operator")
    raw_values = [value.strip() for value in values_text.split(",") if value.strip()]
    if not raw_values:
        raise EditError("condition_values", "no_value")
    if operator == "equals" and len(raw_values) > 1:
        raise EditError("condition_values", "one_value")
    values = [_condition_value(referenced, value) for value in raw_values]
    if operator == "equals":
        return {"question": key, "equals": values[0]}
    return {"question": key, "in": values}


def _condition_value(referenced: Mapping[str, Any], raw: str) -> str | int | bool:
    question_type = referenced.get("type")
    if question_type == QuestionType.YES_NO:
        word = raw.lower()
        if word in _YES_WORDS:
            return True
        if word in _NO_WORDS:
            return False
        raise EditError("condition_values", "not_yes_no", value=raw)
    if question_type in NUMERIC_TYPES:
        if not _INTEGER.fullmatch(raw):
            raise EditError("condition_values", "not_number", value=raw)
        return int(raw)
    if question_type in CHOICE_TYPES:
        return _option_key(referenced.get("options") or [], raw)
    return raw


def _option_key(options: Sequence[Mapping[str, str]], raw: str) -> str:
    """Return the key of the option written as its key or (in any case) its label."""
    for option in options:
        if option["key"] == raw:
            return raw
    for option in options:
        if option["label"].casefold() == raw.casefold():
            return option["key"]
    return raw


def condition_fields(condition: Mapping[str, Any] | None) -> dict[str, str]:
    """Return the form values showing ``condition``, the inverse of ``build_condition``."""
    if not condition:
        return {"condition_question": "", "condition_operator": "equals", "condition_values": ""}
    if condition.get("answered") is not None:
        operator, values = "answered", []
    elif "in" in condition:
        operator, values = "in", list(condition["in"])
    else:
        operator, values = "equals", [condition.get("equals")]
    return {
        "condition_question": condition["question"],
        "condition_operator": operator,
        "condition_values": ", ".join(_written_value(value) for value in values),
    }


def _written_value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# --- errors -------------------------------------------------------------------------------

# The form field that shows a problem found at a question's sub-path.
_QUESTION_FIELDS = {
    "key": "key",
    "type": "type",
    "text": "text",
    "help": "help",
    "required": "required",
    "domain": "domain",
    "placeholder": "placeholder",
    "scale": "scale_max",
    "scale.min": "scale_min",
    "scale.max": "scale_max",
    "scale.min_label": "min_label",
    "scale.max_label": "max_label",
    "options": "options",
    "show_if": "condition_operator",
    "show_if.question": "condition_question",
    "show_if.equals": "condition_values",
    "show_if.in": "condition_values",
    "show_if.answered": "condition_operator",
}
_SETTINGS_FIELDS = frozenset({"title", "intro", "thanks", "language"})


@dataclass(frozen=True)
class ErrorLocation:
    """Say where a definition error belongs: which question (if any) and which form field."""

    question_index: int | None
    form_field: str | None = None


def locate_error(path: str) -> ErrorLocation:
    """Map a validator path such as ``questions.3.options.1.key`` to a question and a form field.

    Option and condition-value paths collapse onto the one field that holds them all
    (``options``, ``condition_values``); a path no field shows has ``field`` None.
    """
    parts = tuple(path.split(".")) if path else ()
    if len(parts) >= 2 and parts[0] == "questions" and parts[1].isdigit():
        rest = [part for part in parts[2:] if not part.isdigit()]
        sub_path = ".".join(rest)
        candidates = [sub_path, ".".join(rest[:2]), ".".join(rest[:1])]
        form_field = next((_QUESTION_FIELDS[c] for c in candidates if c in _QUESTION_FIELDS), None)
        return ErrorLocation(int(parts[1]), form_field)
    if parts and parts[0] in _SETTINGS_FIELDS:
        return ErrorLocation(None, parts[0])
    return ErrorLocation(None, None)


# --- comparing versions -------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionChanges:
    """Name the questions a draft adds, removes, changes or reorders against a version."""

    added: list[str]
    removed: list[str]
    changed: list[str]
    is_reordered: bool
    is_settings_changed: bool

    @property
    def has_changes(self) -> bool:
        """Tell whether the two definitions ask anything differently."""
        return bool(
            self.added
            or self.removed
            or self.changed
            or self.is_reordered
            or self.is_settings_changed
        )


def question_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> QuestionChanges:
    """Compare two definitions question by question, matching questions by key."""
    old = {question["key"]: question for question in before.get("questions", [])}
    new = {question["key"]: question for question in after.get("questions", [])}
    kept_old_order = [key for key in old if key in new]
    kept_new_order = [key for key in new if key in old]
    return QuestionChanges(
        added=[key for key in new if key not in old],
        removed=[key for key in old if key not in new],
        changed=[key for key in kept_new_order if old[key] != new[key]],
        is_reordered=kept_old_order != kept_new_order,
        is_settings_changed=any(
            before.get(name) != after.get(name) for name in sorted(_SETTINGS_FIELDS)
        ),
    )
