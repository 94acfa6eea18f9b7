"""Batches validate with rules prepared once and load with a binary COPY: nothing lost on the way.

The rules prepared per definition and per batch must judge every item exactly as one
submission is judged (every error of every item, in order); the binary COPY on
PostgreSQL (more than ``POSTGRESQL_INSERT_AT_MOST`` rows) must store every kind of value
as given; and the indexes dropped for speed must leave an index for each lookup.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from heedback.collect import services, storage
from heedback.collect.models import Answer, Response
from heedback.core.errors import InvalidInput
from heedback.orgs.services import add_member, create_user
from heedback.surveys.definition import FieldError, clean_answers, dump_definition, parse_definition

DEFINITION = {
    "title": "Visit",
    "questions": [
        {"key": "score", "type": "rating", "text": "Score?", "required": True},
        {
            "key": "why",
            "type": "text",
            "text": "Why?",
            "show_if": {"question": "score", "in": [1, 2]},
        },
        {
            "key": "liked",
            "type": "multi_choice",
            "text": "What did you like?",
            "options": [{"key": "food", "label": "Food"}, {"key": "room", "label": "Room"}],
        },
        {"key": "again", "type": "yes_no", "text": "Again?"},
    ],
}


def test_prepared_rules_judge_as_the_questions_say():
    definition = parse_definition(DEFINITION)
    assert clean_answers(
        definition, {"score": 5, "liked": ["room", "food"], "again": "yes"}
    ).values == {
        "score": 5,
        "liked": ["food", "room"],
        "again": True,
    }
    # Hidden by its condition: dropped without complaint.
    assert clean_answers(definition, {"score": 4, "why": "x"}).values == {"score": 4}
    assert clean_answers(definition, {"score": " 2 ", "why": " cold "}).values == {
        "score": 2,
        "why": "cold",
    }
    refused = clean_answers(definition, {"nope": 1, "score": 6, "again": "maybe", "liked": "spa"})
    assert refused.errors == [
        FieldError("nope", "unknown question"),
        FieldError("score", "must be a whole number from 1 to 5"),
        FieldError("liked", "must contain only the options offered"),
        FieldError("again", "must be yes or no"),
    ]
    assert refused.values == {}
    assert clean_answers(definition, {"score": True}).errors == [
        FieldError("score", "must be a whole number from 1 to 5")
    ]
    assert clean_answers(definition, {"again": False}).errors == [
        FieldError("score", "this question is required")
    ]
    assert clean_answers(definition, {"again": False}, partial=True).values == {"again": False}


def test_prepared_rules_are_kept_out_of_the_definition_as_data():
    definition, same = parse_definition(DEFINITION), parse_definition(DEFINITION)
    rules = definition.answer_rules
    assert definition.answer_rules is rules
    assert definition == same
    assert dump_definition(definition) == dump_definition(same)
    shorter = definition.model_copy(update={"questions": definition.questions[:1]})
    assert shorter.answer_rules.known_keys == frozenset({"score"})
    assert clean_answers(shorter, {"again": True}).errors == [
        FieldError("again", "unknown question"),
        FieldError("score", "this question is required"),
    ]


def test_every_item_of_a_batch_reports_all_its_errors(published_survey, hotel):
    good = services.Submission(
        survey=published_survey, unit=hotel, answers={"nps": 9}, idempotency_key="good"
    )
    bad = services.Submission(
        survey=published_survey,
        unit=hotel,
        answers={"nps": 11, "staff": "five", "ghost": 1},
        idempotency_key="",
        channel="fax",
        submitted_at=datetime(1899, 12, 31, tzinfo=UTC),
        comment="a\x00b",
    )
    results = services.submit_batch(published_survey, [bad, good, bad])
    assert [result.status for result in results] == ["invalid", "created", "invalid"]
    assert results[0].errors == results[2].errors
    assert list(results[0].errors) == [
        "idempotency_key",
        "channel",
        "submitted_at",
        "comment",
        "answers.ghost",
        "answers.staff",
        "answers.nps",
    ]
    assert results[0].errors["answers.nps"] == ["must be a whole number from 0 to 10"]
    assert results[0].errors["submitted_at"] == ["Give a time after 1900."]
    assert Response.objects.count() == 1
    # One submission is judged by the very same rules.
    with pytest.raises(InvalidInput) as refused:
        services.build_row(bad)
    assert refused.value.errors == results[0].errors


def test_a_copied_batch_stores_every_kind_of_value_as_given(
    api, organisation, published_survey, hotel
):
    person = create_user(email="sam@example.com", password="x" * 12)
    add_member(organisation, person, role="frontline", unit=hotel)
    comment = "tab\there, line\nbreak, back\\slash, « été », 😀"
    items = [
        {
            "idempotency_key": f"copy-{index}",
            "unit": hotel.pk,
            "answers": {"nps": index % 11, "staff": 1 + index % 5, "comment": comment},
            "comment": comment if index == 0 else "",
            "staff": "sam@example.com" if index == 0 else "",
            "submitted_at": "2026-03-01T23:30:00-05:00",
            "language": "fr",
        }
        for index in range(storage.POSTGRESQL_INSERT_AT_MOST + 4)
    ]
    reply = api.post(f"/api/v1/surveys/{published_survey.pk}/responses/batch", {"items": items})
    assert reply.status_code == 200
    assert reply.json()["created"] == len(items)
    first = Response.objects.get(idempotency_key="copy-0")
    assert (first.comment, first.staff_id, first.language) == (comment, person.pk, "fr")
    assert first.submitted_at == datetime(2026, 3, 2, 4, 30, tzinfo=UTC)
    assert first.local_date.isoformat() == "2026-03-02"  # the organisation's zone, not the sender's
    assert first.survey_id == published_survey.pk
    assert first.version_id == published_survey.published_version_id
    answers = {a.question_key: (a.number, a.text) for a in Answer.objects.filter(response=first)}
    assert answers == {"nps": (0, ""), "staff": (1, ""), "comment": (None, comment)}
    last = Response.objects.get(idempotency_key=f"copy-{len(items) - 1}")
    assert Answer.objects.get(response=last, question_key="nps").number == (len(items) - 1) % 11
    assert Answer.objects.count() == 3 * len(items)


def _indexes(table: str) -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        name: details["columns"]
        for name, details in constraints.items()
        if details["index"] or details["unique"]
    }


@pytest.mark.django_db
def test_no_lookup_lost_its_index():
    responses, answers = _indexes("collect_response"), _indexes("collect_answer")
    assert ["survey_id"] not in responses.values()
    assert responses["response_unique_idempotency_key"] == ["survey_id", "idempotency_key"]
    assert responses["response_survey_time"] == ["survey_id", "submitted_at"]
    # Indexed only where set: an index entry for every anonymous row costs each insert.
    assert ["link_id"] not in [
        columns for name, columns in responses.items() if name != "response_link"
    ]
    assert (responses["response_link"], responses["response_staff"]) == (["link_id"], ["staff_id"])
    assert ["response_id"] not in answers.values()
    assert answers["answer_unique_question"] == ["response_id", "question_key"]


def test_stored_keys_finds_keys_of_every_shape(published_survey, hotel):
    keys = ['quote\'s "key"', "back\\slash", "tab-less « été » 😀", "a,b{c}"]
    submissions = [
        services.Submission(
            survey=published_survey, unit=hotel, answers={"nps": 5}, idempotency_key=key
        )
        for key in keys
    ]
    results = services.submit_batch(published_survey, submissions)
    assert [result.status for result in results] == ["created"] * 4
    found = storage.stored_keys(published_survey.pk, [*keys, "unknown"])
    assert found == {key: result.response_id for key, result in zip(keys, results, strict=True)}
