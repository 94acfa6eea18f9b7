"""``storage.insert_rows`` gives rows back as given: a few (INSERT) or many (COPY on PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from heedback.collect import storage
from heedback.collect.models import Answer, Response

pytestmark = pytest.mark.django_db


def rows(survey, unit, count: int) -> list[storage.NewResponse]:
    now = timezone.now()
    return [
        storage.NewResponse(
            organisation_id=survey.organisation_id,
            survey_id=survey.pk,
            version_id=survey.published_version_id,
            unit_id=unit.pk,
            link_id=None,
            channel="api",
            staff_id=None,
            customer_id=None,
            interaction_id=None,
            external_id=f"ext-{index}",
            idempotency_key=f"row-{count}-{index}",
            # Another zone and microseconds: the instant must survive every way of writing.
            submitted_at=(now - timedelta(days=1, microseconds=7)).astimezone(INDIA),
            received_at=now,
            local_date=now.date(),
            language="fr",
            comment=COMMENT,
            answers=[
                ("nps", index % 11, "", None),
                ("comment", None, TEXT, None),
                ("options", None, "", ["a", "b'c", "😀"]),
            ],
        )
        for index in range(count)
    ]


INDIA = timezone.get_fixed_timezone(330)

# What a group's JSON, an array, a COPY or a quoted value could each get wrong.
COMMENT = 'l\'été « chaud »; 100% \\ fin\n\t👍 \\u0000 {"a": [1]}'
TEXT = 'it\'s "quoted"; -- not SQL \\"\\ 𝄞'


def insert_new(rows: list[storage.NewResponse]) -> None:
    with storage.one_statement_transaction():
        assert storage.insert_new(rows) == {}


def insert_rows(rows: list[storage.NewResponse]) -> None:
    with transaction.atomic():
        storage.insert_rows(rows)


@pytest.mark.parametrize("store", [insert_rows, insert_new])
@pytest.mark.parametrize("count", [1, storage.POSTGRESQL_INSERT_AT_MOST, 40])
def test_rows_and_answers_come_back_as_given(published_survey, hotel, count, store):
    new = rows(published_survey, hotel, count)
    store(new)
    assert sorted(Response.objects.values_list("id", flat=True)) == sorted(r.id for r in new)
    stored = Response.objects.get(idempotency_key=f"row-{count}-0")
    assert stored.comment == COMMENT
    assert (stored.language, stored.external_id) == ("fr", "ext-0")
    assert (stored.submitted_at, stored.received_at, stored.local_date) == (
        new[0].submitted_at,
        new[0].received_at,
        new[0].local_date,
    )
    answers = {
        a.question_key: (a.number, a.text, a.choices)
        for a in Answer.objects.filter(response=stored)
    }
    assert answers == {
        "nps": (0, "", None),
        "comment": (None, TEXT, None),
        "options": (None, "", ["a", "b'c", "😀"]),
    }
    assert Answer.objects.count() == 3 * count


def test_insert_new_stores_new_keys_whole_and_names_the_stored_ones(published_survey, hotel):
    """A stored key keeps its first row and answers; the new rows get ids; nothing else moves."""
    [earlier] = rows(published_survey, hotel, 1)
    earlier.idempotency_key = "earlier"
    with storage.one_statement_transaction():
        assert storage.insert_new([earlier]) == {}
    again, *fresh = rows(published_survey, hotel, 3)
    again.idempotency_key = "earlier"
    again.answers = [("nps", 10, "", None)]
    with storage.one_statement_transaction():
        existing = storage.insert_new([again, *fresh])
    assert existing == {(published_survey.pk, "earlier"): earlier.id}
    assert again.id is None
    assert sorted(Response.objects.values_list("id", flat=True)) == sorted(
        [earlier.id, *(row.id for row in fresh)]
    )
    assert Answer.objects.get(response_id=earlier.id, question_key="nps").number == 0
    assert Answer.objects.count() == 9
    stored = Answer.objects.get(response_id=fresh[1].id, question_key="options")
    assert (stored.number, stored.text, stored.choices) == (None, "", ["a", "b'c", "😀"])


def test_insert_new_stores_a_response_without_answers(published_survey, hotel):
    [row] = rows(published_survey, hotel, 1)
    row.answers = []
    with storage.one_statement_transaction():
        assert storage.insert_new([row]) == {}
    assert Response.objects.get().pk == row.id
    assert Answer.objects.count() == 0


def prepared_group_statements() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'WITH new AS%%'"
        )
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_the_group_statement_is_prepared_once_per_connection(published_survey, hotel):
    for count in (1, 3, 2):
        new = rows(published_survey, hotel, count)
        for row in new:
            row.idempotency_key += "-prepared"
        assert storage.insert_new(new) == {}
    assert prepared_group_statements() == 1
    assert connection.connection.prepare_threshold == storage.ONLY_WHEN_ASKED
    assert Response.objects.filter(idempotency_key__endswith="-prepared").count() == 6


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_a_database_url_that_turns_prepared_statements_off_is_obeyed(
    published_survey, hotel, monkeypatch
):
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "prepare_threshold", None)
    connection.connection.prepare_threshold = None  # as psycopg was given it on connecting
    assert storage.insert_new(rows(published_survey, hotel, 2)) == {}
    assert prepared_group_statements() == 0
    assert Response.objects.count() == 2


def test_insert_new_gives_each_row_its_own_id_and_its_answers_in_order(published_survey, hotel):
    new = rows(published_survey, hotel, 40)
    for index, row in enumerate(new):
        row.answers = [("nps", index % 11, "", None), ("staff", index % 5 + 1, "", None)]
    with storage.one_statement_transaction():
        assert storage.insert_new(new) == {}
    stored = dict(Response.objects.values_list("idempotency_key", "id"))
    assert stored == {row.idempotency_key: row.id for row in new}
    for index, row in enumerate(new):
        answers = list(
            Answer.objects.filter(response_id=row.id)
            .order_by("id")
            .values_list("question_key", "number")
        )
        assert answers == [("nps", index % 11), ("staff", index % 5 + 1)]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="answers are staged on SQLite only")
def test_a_failed_group_stores_nothing_and_the_next_group_only_its_own(
    published_survey, hotel, monkeypatch
):
    """A key stored between the look-up and the insert fails the whole statement."""
    [earlier] = rows(published_survey, hotel, 1)
    with storage.one_statement_transaction():
        storage.insert_new([earlier])
    raced, fresh = rows(published_survey, hotel, 2)
    raced.idempotency_key = earlier.idempotency_key
    fresh.idempotency_key = "fresh"
    with monkeypatch.context() as patched:
        patched.setattr(storage, "stored_keys", lambda survey_id, keys: {})  # misses the race
        with pytest.raises(IntegrityError), storage.one_statement_transaction():
            storage.insert_new([fresh, raced])
    assert list(Response.objects.values_list("idempotency_key", flat=True)) == [
        earlier.idempotency_key
    ]
    assert Answer.objects.count() == 3
    fresh.id = None
    fresh.answers = [("nps", 7, "", None)]
    with storage.one_statement_transaction():
        assert storage.insert_new([fresh]) == {}
    assert list(Answer.objects.filter(response_id=fresh.id).values_list("number")) == [(7,)]
    assert Answer.objects.count() == 4


@pytest.mark.skipif(connection.vendor != "sqlite", reason="answers are staged on SQLite only")
def test_rows_inserted_after_a_group_on_the_same_connection_get_only_their_own_answers(
    published_survey, hotel
):
    grouped, batched = rows(published_survey, hotel, 2)
    batched.idempotency_key = "batched"
    batched.answers = [("nps", 3, "", None)]
    with storage.one_statement_transaction():
        storage.insert_new([grouped])
    with transaction.atomic():
        storage.insert_rows([batched])
    assert list(Answer.objects.filter(response_id=batched.id).values_list("number")) == [(3,)]
    assert Answer.objects.count() == 4


def test_consecutive_groups_on_one_connection_each_get_their_own_ids(published_survey, hotel):
    """Each row of a group gets its own new id, whatever the connection wrote before."""
    longer = rows(published_survey, hotel, 5)
    shorter = rows(published_survey, hotel, 2)
    for row in shorter:
        row.idempotency_key += "-shorter"
    for group in (longer, shorter):
        with storage.one_statement_transaction():
            assert storage.insert_new(group) == {}
    stored = dict(Response.objects.values_list("idempotency_key", "id"))
    assert {row.idempotency_key: row.id for row in longer + shorter} == stored
    assert len(set(stored.values())) == 7
    for row in shorter:
        assert Answer.objects.filter(response_id=row.id).count() == 3


@pytest.mark.parametrize("column", ["survey_id", "unit_id"])
def test_a_response_naming_a_missing_survey_or_unit_is_refused(published_survey, hotel, column):
    """The organisation and the version have no constraint (ADR 0003); these two must."""
    [row] = rows(published_survey, hotel, 1)
    setattr(row, column, 10**9)
    with pytest.raises(IntegrityError):
        insert_and_check_constraints([row])
    assert Response.objects.count() == 0


def insert_and_check_constraints(rows: list[storage.NewResponse]) -> None:
    with transaction.atomic():
        storage.insert_rows(rows)
        connection.check_constraints()  # deferred on both databases: checked as at commit
