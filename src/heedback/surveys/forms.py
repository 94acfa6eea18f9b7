"""Forms of the survey builder: they read what a person typed and build definition pieces.

A form checks what only it can check (a number is a number, a key is not taken twice);
whether the resulting survey is valid is decided by ``services.save_draft``, whose errors
``apply_definition_error`` puts back next to the field that caused them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.forms import BoundField
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from heedback.core.errors import ServiceError
from heedback.surveys import editing
from heedback.surveys.builtin_templates import TEMPLATES
from heedback.surveys.definition import CHOICE_TYPES, DOMAIN_TYPES, QuestionType
from heedback.surveys.models import Domain

QUESTION_TYPE_LABELS = {
    QuestionType.NPS: _("Net Promoter Score (0 to 10)"),
    QuestionType.RATING: _("Rating scale"),
    QuestionType.CES: _("Customer effort (1 to 7)"),
    QuestionType.SINGLE_CHOICE: _("Single choice"),
    QuestionType.MULTI_CHOICE: _("Multiple choice"),
    QuestionType.TEXT: _("Free text"),
    QuestionType.YES_NO: _("Yes or no"),
}
QUESTION_TYPE_CHOICES = [(kind.value, label) for kind, label in QUESTION_TYPE_LABELS.items()]
LANGUAGE_CHOICES = [("en", _("English")), ("fr", _("French"))]
CONDITION_OPERATOR_CHOICES = [
    ("equals", pgettext_lazy("display condition", "is")),
    ("in", pgettext_lazy("display condition", "is one of")),
    ("answered", pgettext_lazy("display condition", "is answered")),
]
EDIT_ERROR_MESSAGES = {
    "no_value": _("Give the value to compare the answer with."),
    "one_value": _("Give one value, or choose “is one of” to give several."),
    "not_yes_no": _("“%(value)s” is not yes or no."),
    "not_number": _("“%(value)s” is not a whole number."),
    "unknown_operator": _("Choose how to compare the answer."),
}
QUESTION_TEXT_MAX_LENGTH = 500


class EditorForm(forms.Form):
    """A form whose labels carry no colon and whose fields come in named groups."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def fields_named(self, names: Iterable[str]) -> list[BoundField]:
        """Return the bound fields among ``names`` that this form has, in that order."""
        return [self[name] for name in names if name in self.fields]


def describe_question(definition: Mapping[str, Any], index: int) -> str:
    """Return "3 (satisfaction)": how a message names a question of the definition."""
    questions = definition.get("questions", [])
    key = questions[index].get("key", "") if 0 <= index < len(questions) else ""
    return f"{index + 1} ({key})" if key else str(index + 1)


def apply_definition_error(
    form: forms.Form,
    error: ServiceError,
    *,
    definition: Mapping[str, Any],
    question_index: int | None = None,
) -> None:
    """Show a definition error next to the field that caused it.

    A path of the question being edited (``questions.<question_index>.text``) or of the
    survey's wording (``title``) lands on the matching field; a problem elsewhere in the
    survey is shown at the top of the form, naming the question it concerns.
    """
    if not error.errors:
        form.add_error(None, error.message)
    for path, messages in error.errors.items():
        location = editing.locate_error(path)
        is_own = location.question_index == question_index
        target = location.form_field if is_own and location.form_field in form.fields else None
        for message in messages:
            if target is None and location.question_index is not None and not is_own:
                message = _("Question %(question)s: %(message)s") % {
                    "question": describe_question(definition, location.question_index),
                    "message": message,
                }
            elif target is None and path and location.question_index is None:
                message = f"{path}: {message}" if path != "questions" else message
            form.add_error(target, message)


def error_sentences(error: ServiceError, definition: Mapping[str, Any]) -> list[str]:
    """Return one sentence per problem, naming the question, for a message without a form."""
    if not error.errors:
        return [error.message]
    sentences = []
    for path, messages in error.errors.items():
        location = editing.locate_error(path)
        for message in messages:
            if location.question_index is not None:
                sentences.append(
                    _("Question %(question)s: %(message)s")
                    % {
                        "question": describe_question(definition, location.question_index),
                        "message": message,
                    }
                )
            elif path == "questions":
                sentences.append(_("A survey needs at least one question."))
            else:
                sentences.append(f"{path}: {message}")
    return sentences


class SurveyCreateForm(EditorForm):
    template = forms.ChoiceField(
        label=_("Start from"),
        choices=[(template.key, template.name) for template in TEMPLATES.values()],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a template to start from.")},
    )
    name = forms.CharField(
        label=_("Survey name"),
        max_length=200,
        required=False,
        help_text=_("Only your team sees this name. Leave it empty to use the template's name."),
    )


class SurveySettingsForm(EditorForm):
    name = forms.CharField(
        label=_("Survey name"), max_length=200, help_text=_("Only your team sees this name.")
    )
    title = forms.CharField(
        label=_("Title"), max_length=200, help_text=_("The heading respondents see.")
    )
    intro = forms.CharField(
        label=_("Introduction"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    thanks = forms.CharField(
        label=_("Thank-you text"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown after a response is sent."),
    )
    language = forms.ChoiceField(label=_("Language of the survey"), choices=LANGUAGE_CHOICES)

    def __init__(self, *args: Any, current_language: str = "en", **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_settings_%s")
        super().__init__(*args, **kwargs)
        # A survey created through the API may be in a language the form does not list.
        if current_language not in dict(LANGUAGE_CHOICES):
            self.fields["language"].choices = [
                *LANGUAGE_CHOICES,
                (current_language, current_language),
            ]

    @staticmethod
    def initial_for(name: str, definition: Mapping[str, Any]) -> dict[str, str]:
        """Return the form's initial values for a survey name and its definition."""
        return {
            "name": name,
            "title": definition.get("title", ""),
            "intro": definition.get("intro", ""),
            "thanks": definition.get("thanks", ""),
            "language": definition.get("language", "en"),
        }


class QuestionTypeForm(EditorForm):
    """Choose the type of question to add (the form for the question itself follows)."""

    type = forms.ChoiceField(label=_("Type of question"), choices=QUESTION_TYPE_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_add_%s")
        super().__init__(*args, **kwargs)


class QuestionForm(EditorForm):
    """Add or edit one question; the type, fixed once created, decides which fields appear.

    ``key`` is the key of the question being edited, or None to add one. ``cleaned_data``
    gains ``question``: the question as definition data, ready for ``editing``.
    """

    BASIC_FIELDS = ("text", "help", "required", "domain", "placeholder")
    SCALE_FIELDS = ("scale_min", "scale_max", "min_label", "max_label")
    CONDITION_FIELDS = ("condition_question", "condition_operator", "condition_values")
    ADVANCED_FIELDS = ("key", "position")

    text = forms.CharField(
        label=_("Question"),
        max_length=QUESTION_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    help = forms.CharField(
        label=_("Help text"),
        max_length=1000,
        required=False,
        help_text=_("Optional; shown under the question."),
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    key = forms.CharField(
        label=_("Key"),
        max_length=editing.KEY_MAX_LENGTH,
        required=False,
        help_text=_(
            "Answers are stored and exported under this key. Lower-case letters, digits and "
            "underscores. Changing it on a published survey starts a new series in the results."
        ),
    )
    condition_question = forms.ChoiceField(
        label=_("Show this question only if the answer to"), required=False
    )
    condition_operator = forms.ChoiceField(
        label=_("Test"), choices=CONDITION_OPERATOR_CHOICES, required=False
    )
    condition_values = forms.CharField(
        label=_("Value"),
        max_length=1000,
        required=False,
        help_text=_(
            "Separate several values with commas. Yes/no questions: yes or no. Scales: "
            "numbers. Choices: option keys or labels."
        ),
    )

    def __init__(
        self,
        question_type: str,
        *args: Any,
        definition: Mapping[str, Any],
        domains: Sequence[Domain],
        key: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", "id_question_%s")
        super().__init__(*args, **kwargs)
        self.question_type = QuestionType(question_type)
        self.definition = definition
        self.editing_key = key
        self.existing = editing.question_at(definition, key) if key is not None else None
        if key is not None:
            self.fields["key"].required = True
        self._add_type_fields(domains)
        self._set_condition_choices()
        if key is None:
            self._add_position_field()

    @property
    def type_label(self) -> str:
        return str(QUESTION_TYPE_LABELS[self.question_type])

    @property
    def is_adding(self) -> bool:
        return self.editing_key is None

    def basic_fields(self) -> list[BoundField]:
        return self.fields_named(self.BASIC_FIELDS)

    def scale_fields(self) -> list[BoundField]:
        return self.fields_named(self.SCALE_FIELDS)

    def option_fields(self) -> list[BoundField]:
        return self.fields_named(["options"])

    def condition_fields(self) -> list[BoundField]:
        return self.fields_named(self.CONDITION_FIELDS)

    def advanced_fields(self) -> list[BoundField]:
        return self.fields_named(self.ADVANCED_FIELDS)

    @staticmethod
    def initial_for(question: Mapping[str, Any]) -> dict[str, Any]:
        """Return the form's initial values showing ``question``."""
        scale = question.get("scale") or {}
        return {
            "key": question.get("key", ""),
            "text": question.get("text", ""),
            "help": question.get("help", ""),
            "required": bool(question.get("required")),
            "domain": question.get("domain") or "",
            "placeholder": question.get("placeholder", ""),
            "scale_min": scale.get("min", 1),
            "scale_max": scale.get("max", 5),
            "min_label": scale.get("min_label", ""),
            "max_label": scale.get("max_label", ""),
            "options": editing.format_option_lines(question.get("options")),
            **editing.condition_fields(question.get("show_if")),
        }

    def _add_type_fields(self, domains: Sequence[Domain]) -> None:
        kind = self.question_type
        if kind in DOMAIN_TYPES:
            self.fields["domain"] = forms.ChoiceField(
                label=_("Domain of satisfaction"),
                required=False,
                choices=self._domain_choices(domains),
                help_text=_("Scores of this question count towards the domain."),
            )
        if kind is QuestionType.RATING:
            self._add_scale_fields()
        if kind in CHOICE_TYPES:
            self.fields["options"] = forms.CharField(
                label=_("Options, one per line"),
                widget=forms.Textarea(attrs={"rows": 5}),
                help_text=_(
                    "Write “key: label”, or just the label and a key is made from it. "
                    "Keep the keys once the survey is live: answers are stored under them."
                ),
            )
        if kind is QuestionType.TEXT:
            self.fields["placeholder"] = forms.CharField(
                label=_("Placeholder"),
                max_length=200,
                required=False,
                help_text=_("Optional example shown in the empty answer box."),
            )

    def _add_scale_fields(self) -> None:
        self.fields["scale_min"] = forms.TypedChoiceField(
            label=_("Lowest point"), choices=[(1, "1"), (0, "0")], coerce=int, initial=1
        )
        self.fields["scale_max"] = forms.IntegerField(
            label=_("Highest point"),
            initial=5,
            help_text=_("From 3 to 11 points in all, such as 1 to 5 or 0 to 10."),
            widget=forms.NumberInput(attrs={"min": 2, "max": 11, "inputmode": "numeric"}),
        )
        self.fields["min_label"] = forms.CharField(
            label=_("Label of the lowest point"), max_length=200, required=False
        )
        self.fields["max_label"] = forms.CharField(
            label=_("Label of the highest point"), max_length=200, required=False
        )

    def _domain_choices(self, domains: Sequence[Domain]) -> list[tuple[str, str]]:
        current = (self.existing or {}).get("domain")
        choices = [("", str(_("No domain")))]
        for domain in domains:
            if not domain.is_retired:
                choices.append((domain.key, domain.name))
            elif domain.key == current:
                # Keep a retired domain the question still uses, so saving does not drop it.
                choices.append((domain.key, _("%s (retired)") % domain.name))
        return choices

    def _set_condition_choices(self) -> None:
        questions = self.definition.get("questions", [])
        if self.editing_key is not None:
            questions = questions[: editing.index_of(self.definition, self.editing_key)]
        self.fields["condition_question"].choices = [
            ("", _("(no condition: always show it)")),
            *(
                (question["key"], f"{number}. {_shorten(question.get('text', ''))}")
                for number, question in enumerate(questions, start=1)
            ),
        ]

    def _add_position_field(self) -> None:
        self.fields["position"] = forms.ChoiceField(
            label=_("Place"),
            required=False,
            choices=[
                ("", _("At the end")),
                *(
                    (
                        question["key"],
                        _("Before question %(number)s, “%(text)s”")
                        % {"number": number, "text": _shorten(question.get("text", ""))},
                    )
                    for number, question in enumerate(self.definition.get("questions", []), 1)
                ),
            ],
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        question = dict(self.existing or {})
        question.update(
            type=self.question_type.value,
            key=self._clean_question_key(cleaned),
            text=cleaned["text"],
            help=cleaned.get("help", ""),
            required=cleaned.get("required", False),
        )
        self._set_type_data(question, cleaned)
        self._set_condition(question, cleaned)
        cleaned["question"] = question
        return cleaned

    def _clean_question_key(self, cleaned: Mapping[str, Any]) -> str:
        other_keys = set(editing.question_keys(self.definition)) - {self.editing_key}
        key = cleaned.get("key", "").strip()
        if not key:
            return editing.unique_key(editing.slugify_key(cleaned["text"]), other_keys)
        if key in other_keys:
            self.add_error("key", _("Another question already uses this key."))
        return key

    def _set_type_data(self, question: dict[str, Any], cleaned: Mapping[str, Any]) -> None:
        if "domain" in self.fields:
            question["domain"] = cleaned.get("domain") or None
            if question["domain"] is None:
                del question["domain"]
        if "placeholder" in self.fields:
            question["placeholder"] = cleaned.get("placeholder", "")
        if self.question_type is QuestionType.RATING:
            question["scale"] = {
                "min": cleaned["scale_min"],
                "max": cleaned["scale_max"],
                "min_label": cleaned.get("min_label", ""),
                "max_label": cleaned.get("max_label", ""),
            }
        if "options" in self.fields:
            question["options"] = editing.parse_option_lines(cleaned["options"])

    def _set_condition(self, question: dict[str, Any], cleaned: Mapping[str, Any]) -> None:
        referenced_key = cleaned.get("condition_question")
        if not referenced_key:
            question.pop("show_if", None)
            return
        referenced = editing.question_at(self.definition, referenced_key)
        try:
            question["show_if"] = editing.build_condition(
                referenced,
                cleaned.get("condition_operator") or "equals",
                cleaned.get("condition_values", ""),
            )
        except editing.EditError as error:
            self.add_error(error.field, EDIT_ERROR_MESSAGES[error.code] % error.params)


def _shorten(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


class DomainForm(EditorForm):
    """Rename, describe or retire one domain (its key never changes)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    is_retired = forms.BooleanField(
        label=_("Retired"),
        required=False,
        help_text=_("New questions cannot use a retired domain; existing answers keep it."),
    )

    def __init__(self, *args: Any, domain_key: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_domain_{domain_key}_%s")
        super().__init__(*args, **kwargs)


class DomainAddForm(EditorForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    key = forms.CharField(
        label=_("Key"),
        max_length=editing.KEY_MAX_LENGTH,
        required=False,
        help_text=_("Optional; made from the name when empty. It can never change."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, taken_keys: Iterable[str], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_new_domain_%s")
        super().__init__(*args, **kwargs)
        self.taken_keys = set(taken_keys)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if "name" not in cleaned:
            return cleaned
        key = cleaned.get("key", "").strip()
        if not key:
            key = editing.unique_key(
                editing.slugify_key(cleaned["name"], fallback="domain"), self.taken_keys
            )
        elif not editing.is_valid_key(key):
            self.add_error(
                "key",
                _(
                    "Start with a lower-case letter; use only lower-case letters, digits "
                    "and underscores."
                ),
            )
        elif key in self.taken_keys:
            self.add_error("key", _("Another domain already uses this key."))
        cleaned["key"] = key
        return cleaned
