"""Tests for the survey builder's edits of a definition, as plain data (no database)."""

import copy

import pytest

from heedback.surveys import editing
from heedback.surveys.builtin_templates import TEMPLATES
from heedback.surveys.definition import parse_definition
from heedback.surveys.editing import EditError, ErrorLocation


def definition() -> dict:
    """Return a small survey: a yes/no question, a rating, a choice and a conditional text."""
    return {
        "title": "How did we do?",
        "intro": "",
        "thanks": "Thank you.",
        "language": "en",
        "questions": [
            {"key": "resolved", "type": "yes_no", "text": "Was it resolved?"},
            {
                "key": "speed",
                "type": "rating",
                "text": "How fast?",
                "scale": {"min": 1, "max": 5},
            },
            {
                "key": "reason",
                "type": "single_choice",
                "text": "Why did you call?",
                "options": [
                    {"key": "billing", "label": "A bill"},
                    {"key": "fault", "label": "A fault"},
                ],
            },
            {
                "key": "better",
                "type": "text",
                "text": "What could we do better?",
                "show_if": {"question": "resolved", "equals": False},
            },
        ],
    }


# --- keys ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("How satisfied are you?", "how_satisfied_are_you"),
        ("Qualité du service", "qualite_du_service"),
        ("  --Speed--  ", "speed"),
        ("24h support", "question_24h_support"),
        ("!!!", "question"),
        ("", "question"),
    ],
)
def test_slugify_key_makes_a_valid_key_from_text(text, key):
    assert editing.slugify_key(text) == key
    assert editing.is_valid_key(key)


def test_slugify_key_cuts_long_text_to_63_characters_without_a_trailing_underscore():
    key = editing.slugify_key("word " * 30)

    assert key == ("word_" * 12) + "wor"
    assert len(key) == 63


def test_slugify_key_uses_the_fallback_given():
    assert editing.slugify_key("5 stars", fallback="option") == "option_5_stars"


def test_unique_key_numbers_a_taken_key_from_two():
    assert editing.unique_key("nps", set()) == "nps"
    assert editing.unique_key("nps", {"nps"}) == "nps_2"
    assert editing.unique_key("nps", {"nps", "nps_2"}) == "nps_3"


def test_unique_key_keeps_a_numbered_long_key_within_63_characters():
    base = "a" * 63

    assert editing.unique_key(base, {base}) == "a" * 61 + "_2"


# --- options ------------------------------------------------------------------------------


def test_parse_option_lines_reads_keys_labels_and_bare_labels():
    text = "price: The price\nToo slow\n\n  Note: it was late  \nToo slow\nother:   Another reason"

    assert editing.parse_option_lines(text) == [
        {"key": "price", "label": "The price"},
        {"key": "too_slow", "label": "Too slow"},
        {"key": "note_it_was_late", "label": "Note: it was late"},
        {"key": "too_slow_2", "label": "Too slow"},
        {"key": "other", "label": "Another reason"},
    ]


def test_parse_option_lines_keeps_a_written_key_even_when_repeated_so_the_validator_reports_it():
    options = editing.parse_option_lines("a: One\na: Two")

    assert options == [{"key": "a", "label": "One"}, {"key": "a", "label": "Two"}]


def test_parse_option_lines_of_blank_text_is_empty():
    assert editing.parse_option_lines(" \n\n") == []


def test_format_option_lines_is_the_inverse_of_parsing():
    options = [{"key": "billing", "label": "A bill"}, {"key": "fault", "label": "A fault"}]

    text = editing.format_option_lines(options)

    assert text == "billing: A bill\nfault: A fault"
    assert editing.parse_option_lines(text) == options
    assert editing.format_option_lines(None) == ""


# --- questions ----------------------------------------------------------------------------


def test_add_question_appends_without_changing_the_argument():
    original = definition()
    kept = copy.deepcopy(original)
    question = {"key": "nps", "type": "nps", "text": "Recommend us?"}

    edited = editing.add_question(original, question)

    assert editing.question_keys(edited) == ["resolved", "speed", "reason", "better", "nps"]
    assert original == kept


def test_add_question_before_another_inserts_it_there():
    question = {"key": "nps", "type": "nps", "text": "Recommend us?"}

    edited = editing.add_question(definition(), question, before="speed")

    assert editing.question_keys(edited) == ["resolved", "nps", "speed", "reason", "better"]


def test_update_question_replaces_it_in_place():
    changed = {"key": "speed", "type": "rating", "text": "How quick?", "required": True}

    edited = editing.update_question(definition(), "speed", changed)

    assert edited["questions"][1] == changed
    assert editing.question_keys(edited) == ["resolved", "speed", "reason", "better"]


def test_renaming_a_question_renames_the_conditions_that_test_it():
    renamed = {"key": "was_resolved", "type": "yes_no", "text": "Was it resolved?"}

    edited = editing.update_question(definition(), "resolved", renamed)

    assert edited["questions"][3]["show_if"] == {"question": "was_resolved", "equals": False}
    parse_definition(edited)


def test_remove_question_drops_it_and_the_conditions_on_it():
    original = definition()

    edited = editing.remove_question(original, "resolved")

    assert editing.question_keys(edited) == ["speed", "reason", "better"]
    assert "show_if" not in edited["questions"][2]
    assert original["questions"][3]["show_if"] == {"question": "resolved", "equals": False}
    parse_definition(edited)


def test_dependents_lists_the_questions_testing_a_key():
    assert editing.dependents(definition(), "resolved") == ["better"]
    assert editing.dependents(definition(), "speed") == []


@pytest.mark.parametrize(
    ("key", "offset", "order"),
    [
        ("speed", -1, ["speed", "resolved", "reason", "better"]),
        ("speed", 1, ["resolved", "reason", "speed", "better"]),
        ("resolved", -1, ["resolved", "speed", "reason", "better"]),
        ("better", 1, ["resolved", "speed", "reason", "better"]),
    ],
)
def test_move_question_moves_one_place_and_stops_at_the_ends(key, offset, order):
    assert editing.question_keys(editing.move_question(definition(), key, offset)) == order


def test_index_of_an_unknown_key_raises_key_error():
    with pytest.raises(KeyError):
        editing.index_of(definition(), "missing")


def test_question_at_returns_a_copy():
    question = editing.question_at(definition(), "reason")
    question["options"].append({"key": "other", "label": "Other"})

    assert len(definition()["questions"][2]["options"]) == 2


def test_update_settings_replaces_the_wording_and_keeps_the_questions():
    edited = editing.update_settings(
        definition(), title="Bonjour", intro="Une minute.", thanks="Merci.", language="fr"
    )

    assert edited == {
        **definition(),
        "title": "Bonjour",
        "intro": "Une minute.",
        "thanks": "Merci.",
        "language": "fr",
    }


def test_every_builtin_template_stays_valid_after_deleting_any_question_but_the_last():
    for template in TEMPLATES.values():
        for key in editing.question_keys(template.definition):
            parse_definition(editing.remove_question(template.definition, key))


# --- display conditions -------------------------------------------------------------------


def question(key: str) -> dict:
    return editing.question_at(definition(), key)


@pytest.mark.parametrize(
    ("referenced", "operator", "values", "condition"),
    [
        ("resolved", "equals", "no", {"question": "resolved", "equals": False}),
        ("resolved", "equals", " YES ", {"question": "resolved", "equals": True}),
        ("speed", "in", "4, 5", {"question": "speed", "in": [4, 5]}),
        ("speed", "equals", "1", {"question": "speed", "equals": 1}),
        ("reason", "equals", "a FAULT", {"question": "reason", "equals": "fault"}),
        ("reason", "in", "billing,A fault", {"question": "reason", "in": ["billing", "fault"]}),
        ("reason", "equals", "unknown", {"question": "reason", "equals": "unknown"}),
        ("better", "answered", "ignored", {"question": "better", "answered": True}),
    ],
)
def test_build_condition_reads_values_as_the_referenced_question_answers(
    referenced, operator, values, condition
):
    assert editing.build_condition(question(referenced), operator, values) == condition


@pytest.mark.parametrize(
    ("referenced", "operator", "values", "field", "code"),
    [
        ("resolved", "equals", "maybe", "condition_values", "not_yes_no"),
        ("speed", "equals", "four", "condition_values", "not_number"),
        ("speed", "equals", "4, 5", "condition_values", "one_value"),
        ("speed", "in", " , ", "condition_values", "no_value"),
        ("speed", "between", "1", "condition_operator", "unknown_operator"),
    ],
)
def test_build_condition_refuses_values_it_cannot_read(referenced, operator, values, field, code):
    with pytest.raises(EditError) as refused:
        editing.build_condition(question(referenced), operator, values)

    assert (refused.value.field, refused.value.code) == (field, code)


def test_a_refused_value_names_itself_for_the_message():
    with pytest.raises(EditError) as refused:
        editing.build_condition(question("resolved"), "equals", "maybe")

    assert refused.value.params == {"value": "maybe"}


@pytest.mark.parametrize(
    ("condition", "fields"),
    [
        (None, ("", "equals", "")),
        ({"question": "resolved", "equals": False}, ("resolved", "equals", "no")),
        ({"question": "speed", "in": [4, 5]}, ("speed", "in", "4, 5")),
        ({"question": "better", "answered": True}, ("better", "answered", "")),
    ],
)
def test_condition_fields_show_a_condition_as_the_form_writes_it(condition, fields):
    assert editing.condition_fields(condition) == dict(
        zip(["condition_question", "condition_operator", "condition_values"], fields, strict=True)
    )


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("questions.3.text", ErrorLocation(3, "text")),
        ("questions.0.key", ErrorLocation(0, "key")),
        ("questions.2.scale.max", ErrorLocation(2, "scale_max")),
        ("questions.2.scale.min_label", ErrorLocation(2, "min_label")),
        ("questions.2.scale", ErrorLocation(2, "scale_max")),
        ("questions.1.options", ErrorLocation(1, "options")),
        ("questions.1.options.4.key", ErrorLocation(1, "options")),
        ("questions.5.show_if.question", ErrorLocation(5, "condition_question")),
        ("questions.5.show_if.equals", ErrorLocation(5, "condition_values")),
        ("questions.5.show_if.in.2", ErrorLocation(5, "condition_values")),
        ("questions.5.show_if", ErrorLocation(5, "condition_operator")),
        ("questions.4.domain", ErrorLocation(4, "domain")),
        ("questions.4", ErrorLocation(4, None)),
        ("title", ErrorLocation(None, "title")),
        ("language", ErrorLocation(None, "language")),
        ("questions", ErrorLocation(None, None)),
        ("", ErrorLocation(None, None)),
    ],
)
def test_locate_error_maps_a_validator_path_to_a_form_field(path, location):
    assert editing.locate_error(path) == location


# --- comparing versions -------------------------------------------------------------------


def test_question_changes_names_added_removed_changed_and_reordered_questions():
    before = definition()
    after = editing.move_question(editing.remove_question(before, "speed"), "better", -2)
    after = editing.add_question(after, {"key": "nps", "type": "nps", "text": "Recommend?"})
    after["questions"][editing.index_of(after, "resolved")]["text"] = "Was your problem resolved?"

    changes = editing.question_changes(before, after)

    assert changes == editing.QuestionChanges(
        added=["nps"],
        removed=["speed"],
        changed=["resolved"],
        is_reordered=True,
        is_settings_changed=False,
    )
    assert changes.has_changes is True


def test_question_changes_of_equal_definitions_is_empty():
    changes = editing.question_changes(definition(), definition())

    assert changes.has_changes is False


def test_question_changes_notices_a_new_title():
    after = editing.update_settings(definition(), title="Hi", intro="", thanks="", language="en")

    assert editing.question_changes(definition(), after).is_settings_changed is True
