"""The two statements every way of storing responses shares: look up keys, insert rows.

Single responses (through the group committer), API batches and imports all end here, so
the look-up that decides "duplicate" is one function with one query plan on each database.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TextIO

from django.db import IntegrityError, connection, transaction

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's own busy handler is the only queue
    fcntl = None

from heedback.collect.models import Answer, Response


def stored_keys(survey_id: int, keys: Iterable[str]) -> dict[str, int]:
    """Return the id of the stored response of each of ``keys`` the survey already holds.

    Costs the same however many responses the survey holds. Given hundreds of values in
    ``IN (…)`` and no statistics, SQLite's planner scans every response of the survey
    through the (survey, submitted_at) index instead of looking up each key in the unique
    (survey, idempotency_key) index; reading the keys from ``json_each`` makes it search
    the unique index. PostgreSQL plans ``= ANY`` on the unique index by itself. Both get
    the keys as one JSON text: as an array parameter, psycopg quoted a batch's thousand
    keys one by one in Python (a regular expression each).
    """
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    table = Response._meta.db_table
    if connection.vendor == "sqlite":
        in_keys = "IN (SELECT value FROM json_each(%s))"
    else:
        in_keys = "= ANY(ARRAY(SELECT json_array_elements_text(%s::json)))"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT idempotency_key, id FROM {table} WHERE survey_id = %s "  # noqa: S608
            f"AND idempotency_key {in_keys}",
            [survey_id, json.dumps(keys)],
        )
        return dict(cursor.fetchall())


# The columns of a new response and of its answers, in the order rows are written.
RESPONSE_COLUMNS = (
    "id",
    "organisation_id",
    "survey_id",
    "version_id",
    "unit_id",
    "link_id",
    "channel",
    "staff_id",
    "customer_id",
    "interaction_id",
    "external_id",
    "idempotency_key",
    "submitted_at",
    "received_at",
    "local_date",
    "language",
    "comment",
)
ANSWER_COLUMNS = ("response_id", "question_key", "number", "text", "choices")

# An answer as stored: question key, then number, text and chosen options (one of them set).
NewAnswer = tuple[str, int | None, str, list[str] | None]


@dataclass(slots=True, eq=False)
class NewResponse:
    """A validated response as plain column values, ready to insert without a model instance.

    Building and saving Django model instances costs several times what the insert itself
    costs at a thousand rows a batch, so every way of storing responses hands these over;
    ``id`` is filled in by ``insert_rows``.
    """

    organisation_id: int
    survey_id: int
    version_id: int
    unit_id: int
    link_id: int | None
    channel: str
    staff_id: int | None
    customer_id: int | None
    interaction_id: int | None
    external_id: str
    idempotency_key: str
    submitted_at: datetime
    received_at: datetime
    local_date: date
    language: str
    comment: str
    answers: list[NewAnswer] = field(default_factory=list)
    id: int | None = None

    def values(self) -> tuple:
        """Return the column values in ``RESPONSE_COLUMNS`` order."""
        return (
            self.id,
            self.organisation_id,
            self.survey_id,
            self.version_id,
            self.unit_id,
            self.link_id,
            self.channel,
            self.staff_id,
            self.customer_id,
            self.interaction_id,
            self.external_id,
            self.idempotency_key,
            self.submitted_at,
            self.received_at,
            self.local_date,
            self.language,
            self.comment,
        )


def insert_rows(rows: Sequence[NewResponse]) -> None:
    """Insert responses and their answers, a statement per table (call inside a transaction).

    The responses' ids are taken before the insert (from the sequence on PostgreSQL, after
    the largest id under SQLite's write lock), so answers point at their response without
    anything read back. PostgreSQL loads both tables with a binary ``COPY``, SQLite with
    one prepared statement run for every row.
    """
    if not rows:
        return
    try:
        if connection.vendor == "postgresql":
            _insert_postgresql(rows)
        else:
            _insert_sqlite(rows)
    except BaseException:
        forget_ids(rows)
        raise


def insert_new(rows: Sequence[NewResponse]) -> dict[tuple[int, str], int]:
    """Insert the rows whose (survey, key) is not stored yet; return the id stored for the others.

    ``rows`` have distinct (survey, idempotency key) pairs. A row inserted gets its ``id``;
    one whose key is stored already keeps ``id`` None and its key maps to the stored
    response's id. Each row goes in whole (with its answers) or not at all.

    Both databases write the new rows with one statement, a transaction of its own when
    the caller holds none (``one_statement_transaction``). On PostgreSQL it also skips
    the stored keys (``insert_new_statement``): one round trip where a look-up, the ids,
    the inserts and ``BEGIN``/``COMMIT`` took five. On SQLite (``_insert_new_sqlite``)
    the keys are looked up first, and the statement holds the database's write lock for
    one call into SQLite instead of six.
    """
    if not rows:
        return {}
    if connection.vendor == "postgresql":
        return _insert_new_postgresql(rows)
    return _insert_new_sqlite(rows)


def one_statement_transaction():
    """Return the transaction ``insert_new`` needs: none outside a caller's.

    ``insert_new`` writes with a single statement, which autocommit commits by itself when
    it returns; a caller's transaction (a savepoint) holds it otherwise.
    """
    if not transaction.get_connection().in_atomic_block:
        return contextlib.nullcontext()
    return transaction.atomic()


def _insert_new_sqlite(rows: Sequence[NewResponse]) -> dict[tuple[int, str], int]:
    """Insert the new rows with one statement that holds SQLite's write lock for one call.

    Only one connection of all processes writes at a time, and Python's driver lets go of
    the interpreter lock at every statement: a group written as ``BEGIN``, a look-up, the
    ids, two inserts and ``COMMIT`` waited for the interpreter lock six times while it
    held the write lock, each wait as long as another thread's turn in the interpreter,
    and every other process's writer queued behind it (measured: 2.5 ms held a group of
    ten, of which 0.6 ms of work). So everything that needs no lock happens before or
    after: the keys are looked up, the answers staged in a table of this connection's
    own (TEMP), and under the lock, in autocommit, one ``INSERT`` into a TEMP
    view writes the responses and their answers (its ``INSTEAD OF`` trigger) and commits.
    Then the new ids are read by their keys. A key stored meanwhile by another writer
    fails the statement as a whole (``IntegrityError``), and the caller tries again.
    """
    existing = _stored_ids(rows)
    new = [row for row in rows if (row.survey_id, row.idempotency_key) not in existing]
    if not new:
        return existing
    values = [_sqlite_values(row)[1:] for row in new]  # the id is the table's to give
    with connection.cursor() as cursor:
        _stage_answers(cursor, new)
        with writers_queue():
            cursor.execute(*_multi_row_insert(NEW_RESPONSES, RESPONSE_COLUMNS[1:], values))
    ids = _stored_ids(new)
    for row in new:
        row.id = ids[(row.survey_id, row.idempotency_key)]
    return existing


def _stored_ids(rows: Iterable[NewResponse]) -> dict[tuple[int, str], int]:
    """Return the stored response's id of each row whose (survey, key) is stored."""
    keys_by_survey: dict[int, list[str]] = {}
    for row in rows:
        keys_by_survey.setdefault(row.survey_id, []).append(row.idempotency_key)
    return {
        (survey_id, key): response_id
        for survey_id, keys in keys_by_survey.items()
        for key, response_id in stored_keys(survey_id, keys).items()
    }


# This connection's own (TEMP) staging table for the answers of the responses being
# inserted, and the view whose INSTEAD OF trigger inserts a response with its staged
# answers (``_insert_new_sqlite``).
STAGED_ANSWERS = "heedback_staged_answer"
NEW_RESPONSES = "heedback_new_response"
_STAGED_COLUMNS = ("survey_id", "idempotency_key", "position", *ANSWER_COLUMNS[1:])


def _stage_answers(cursor, rows: Sequence[NewResponse]) -> None:
    """Put the rows' answers in this connection's staging table (made at its first use)."""
    if getattr(connection, "_staging_on", None) is not connection.connection:
        _create_staging(cursor)
        if not connection.in_atomic_block:  # made in a transaction, a rollback unmakes it
            connection._staging_on = connection.connection
    staged = [
        (row.survey_id, row.idempotency_key, position, key, number, text, _json_or_none(choices))
        for position, (row, (key, number, text, choices)) in enumerate(
            (row, answer) for row in rows for answer in row.answers
        )
    ]
    cursor.execute(f"DELETE FROM {STAGED_ANSWERS}")  # noqa: S608  # the last group's
    at_most = SQLITE_MAX_VALUES // len(_STAGED_COLUMNS)
    for start in range(0, len(staged), at_most):
        chunk = staged[start : start + at_most]
        cursor.execute(*_multi_row_insert(STAGED_ANSWERS, _STAGED_COLUMNS, chunk))


def _create_staging(cursor) -> None:
    """Create the staging table, the view and its trigger in this connection's TEMP schema.

    TEMP objects belong to the connection that made them: no other connection sees the
    staged rows or the view, and they cost the database file nothing (a TEMP table is
    never synced; a few staged rows stay in SQLite's cache). ``temp_store`` is left as
    it is: it would also move every large sort of the connection into memory. The
    trigger is on the view, not on the responses table, so nothing else written to that
    table (a batch, an import) runs it.
    """
    response_table, answer_table = Response._meta.db_table, Answer._meta.db_table
    columns = RESPONSE_COLUMNS[1:]
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {STAGED_ANSWERS} ("
        "survey_id INTEGER NOT NULL, idempotency_key TEXT NOT NULL, position INTEGER NOT NULL,"
        " question_key TEXT NOT NULL, number, text, choices,"
        " PRIMARY KEY (survey_id, idempotency_key, position)) WITHOUT ROWID"
    )
    cursor.execute(
        f"CREATE TEMP VIEW IF NOT EXISTS {NEW_RESPONSES} AS "  # noqa: S608
        f"SELECT {', '.join(columns)} FROM main.{response_table} WHERE 0"
    )
    same_key = "survey_id = NEW.survey_id AND idempotency_key = NEW.idempotency_key"
    cursor.execute(
        f"CREATE TEMP TRIGGER IF NOT EXISTS {NEW_RESPONSES}_insert "  # noqa: S608
        f"INSTEAD OF INSERT ON {NEW_RESPONSES} BEGIN "
        f"INSERT INTO {response_table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(f'NEW.{column}' for column in columns)}); "
        f"INSERT INTO {answer_table} ({', '.join(ANSWER_COLUMNS)}) "
        f"SELECT (SELECT id FROM {response_table} WHERE {same_key}), "
        f"{', '.join(ANSWER_COLUMNS[1:])} FROM {STAGED_ANSWERS} "
        f"WHERE {same_key} ORDER BY position; END"
    )


def _insert_new_postgresql(rows: Sequence[NewResponse]) -> dict[tuple[int, str], int]:
    sql, parameters = insert_new_statement(rows)
    by_key = {(row.survey_id, row.idempotency_key): row for row in rows}
    try:
        with _server_binding_cursor() as cursor:
            cursor.execute(sql, parameters)
            for response_id, survey_id, key in cursor.fetchall():
                by_key.pop((survey_id, key)).id = response_id
    except BaseException:
        forget_ids(rows)
        raise
    # The keys left were stored before (ON CONFLICT waited for their commit): read their ids.
    existing = _stored_ids(by_key.values())
    if len(existing) != len(by_key):
        # Deleted between the insert and the look-up: nothing to point at, so no answer.
        raise IntegrityError("a response with a repeated idempotency key is gone")
    return existing


def _server_binding_cursor():
    """Return a cursor of the connection that sends parameters apart from the SQL.

    Django's cursors bind on the client: every value of a group's statement formatted and
    quoted into the SQL, then the whole text converted again for each group, which cost a
    third of the leader's CPU. Bound by the server, the values are sent as they are and
    the SQL's conversion is cached (psycopg caches statements up to 4 KiB); the statement
    is prepared too (``_prepare``). Wrapped as Django wraps its own (errors, query logging).
    """
    connection.ensure_connection()
    raw = connection.connection
    cursor = _preparing_cursor_class()(raw)
    cursor.prepare = _prepare(raw)
    return connection._prepare_cursor(cursor)


@functools.cache
def _preparing_cursor_class():
    """Return Django's server-binding cursor class, preparing what it runs when told to."""
    from django.db.backends.postgresql.base import ServerBindingCursor  # needs psycopg

    class PreparingCursor(ServerBindingCursor):
        prepare: bool | None = None

        def execute(self, query, params=None, *, prepare=None, binary=None):
            prepare = self.prepare if prepare is None else prepare
            return super().execute(query, params, prepare=prepare, binary=binary)

        def _convert_query(self, query, params=None):
            # psycopg keeps the query it sent only when it was not prepared; Django's
            # query log (``CaptureQueriesContext``, DEBUG) reads it from there.
            self._query = super()._convert_query(query, params)
            return self._query

    return PreparingCursor


# psycopg prepares a statement once it has run this many times on a connection. Django
# turns that off (``prepare_threshold`` None) and so, in effect, do we: only the group's
# statement, which asks for it, is prepared.
ONLY_WHEN_ASKED = 2**62


def _prepare(raw_connection) -> bool | None:
    """Return whether to prepare the group's statement on ``raw_connection`` (psycopg's).

    Prepared once per connection, the statement is parsed and planned once instead of
    for every group: PostgreSQL's CPU per stored response fell from 87 to 47 µs in groups
    of 8, from 64 to 40 in groups of 16. Unless the database URL sets
    ``prepare_threshold`` itself (``none`` behind a pooler that cannot keep prepared
    statements, such as PgBouncer before 1.21 in transaction mode): then psycopg's own
    rule applies.
    """
    if "prepare_threshold" in connection.settings_dict["OPTIONS"]:
        return None
    if raw_connection.prepare_threshold is None:
        raw_connection.prepare_threshold = ONLY_WHEN_ASKED
    return True


def insert_new_statement(rows: Sequence[NewResponse]) -> tuple[str, list]:
    """Return the one PostgreSQL statement that inserts the new rows and their answers.

    ``INSERT … ON CONFLICT DO NOTHING RETURNING`` the new ids, which the answers'
    ``INSERT`` joins by (survey, key): a row whose key is stored is skipped with its
    answers, and the statement returns the ids it gave. The ids come from the column's
    default (its sequence). The rows travel as one JSON text and the answers as another,
    read back into typed rows by the server (``json_populate_recordset`` takes the
    table's own row type), so the SQL is the same text for every group and is prepared
    once. Sent as arrays, one a column, the values cost psycopg 60–70 µs a response to
    format, ten times what ``json.dumps`` takes for them.
    """
    answers = _json_answers(rows)
    sql = _INSERT_NEW_SQL[bool(answers)]
    if sql is None:
        sql = _INSERT_NEW_SQL[bool(answers)] = _insert_new_sql(with_answers=bool(answers))
    parameters = [json.dumps([_json_columns(row) for row in rows], separators=(",", ":"))]
    if answers:
        parameters.append(json.dumps(answers, separators=(",", ":")))
    return sql, parameters


def _json_answers(rows: Sequence[NewResponse]) -> list[dict]:
    """Return the rows' answers as JSON objects, each with its response's key and position."""
    answers: list[dict] = []
    for row in rows:
        for key, number, text, choices in row.answers:
            answers.append(
                {
                    "survey_id": row.survey_id,
                    "idempotency_key": row.idempotency_key,
                    "question_key": key,
                    "number": number,
                    "text": text,
                    "choices": choices,
                    "position": len(answers),
                }
            )
    return answers


def _json_columns(row: NewResponse) -> dict:
    """Return a new response's columns (all but the id) as JSON values."""
    values = dict(zip(RESPONSE_COLUMNS[1:], row.values()[1:], strict=True))
    for column in ("submitted_at", "received_at", "local_date"):
        values[column] = values[column].isoformat()
    return values


# The statement without answers, and with them: written once per process.
_INSERT_NEW_SQL: list[str | None] = [None, None]


def _insert_new_sql(*, with_answers: bool) -> str:
    response_table, answer_table = Response._meta.db_table, Answer._meta.db_table
    columns = ", ".join(RESPONSE_COLUMNS[1:])  # all but the id
    sql = (
        f"WITH new AS (INSERT INTO {response_table} ({columns}) "  # noqa: S608
        f"SELECT {columns} FROM json_populate_recordset(NULL::{response_table}, %s::json)"
        " ON CONFLICT (survey_id, idempotency_key) DO NOTHING"
        " RETURNING id, survey_id, idempotency_key)"
    )
    if with_answers:
        kinds = [
            *_column_types(Response, ["survey_id", "idempotency_key"]),
            *_column_types(Answer, ANSWER_COLUMNS[1:]),
        ]
        names = ["survey_id", "idempotency_key", *ANSWER_COLUMNS[1:]]
        sql += (
            f", answers AS (INSERT INTO {answer_table} ({', '.join(ANSWER_COLUMNS)}) "  # noqa: S608
            "SELECT new.id, a.question_key, a.number, a.text, a.choices "
            "FROM json_to_recordset(%s::json) AS a ("
            + ", ".join(f"{name} {kind}" for name, kind in zip(names, kinds, strict=True))
            + ", position integer) JOIN new ON new.survey_id = a.survey_id"
            " AND new.idempotency_key = a.idempotency_key"
            # The ids follow the answers' order, as a form or the API gave it.
            " ORDER BY a.position)"
        )
    return sql + " SELECT id, survey_id, idempotency_key FROM new"  # noqa: S608


def _json_or_none(choices: list[str] | None) -> str | None:
    return None if choices is None else json.dumps(choices)


def forget_ids(rows: Iterable[NewResponse]) -> None:
    """Clear the ids a rolled-back insert gave, so the rows can be inserted again."""
    for row in rows:
        row.id = None


# Up to this many responses go in as one round trip of INSERT statements; more are loaded
# with COPY, whose two round trips a table are worth it only for larger groups.
POSTGRESQL_INSERT_AT_MOST = 16


def _insert_postgresql(rows: Sequence[NewResponse]) -> None:
    response_table, answer_table = Response._meta.db_table, Answer._meta.db_table
    with connection.cursor() as cursor:
        # The sequence's name is looked up once, not for each of the ids (4% of the CPU
        # PostgreSQL spent on a batch of 1,000).
        cursor.execute(
            "SELECT nextval((SELECT "  # noqa: S608
            f"pg_get_serial_sequence('{response_table}', 'id')::regclass)) "
            "FROM generate_series(1, %s)",
            [len(rows)],
        )
        for row, (new_id,) in zip(rows, cursor.fetchall(), strict=True):
            row.id = new_id
        if len(rows) <= POSTGRESQL_INSERT_AT_MOST:
            _insert_postgresql_statements(cursor, rows)
            return
        raw = cursor.cursor
        with connection.wrap_database_errors:
            with raw.copy(
                f"COPY {response_table} ({', '.join(RESPONSE_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(_column_types(Response, RESPONSE_COLUMNS))
                for row in rows:
                    copy.write_row(row.values())
            with raw.copy(
                f"COPY {answer_table} ({', '.join(ANSWER_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(_column_types(Answer, ANSWER_COLUMNS))
                for row in rows:
                    for key, number, text, choices in row.answers:
                        copy.write_row((row.id, key, number, text, choices))


def _column_types(model, columns: Sequence[str]) -> list[str]:
    """Return each column's PostgreSQL type as the model declares it, for a binary COPY.

    A binary COPY costs a tenth of a text one on the client (each value is packed by a
    dumper chosen once per column, not formatted as text and escaped) and less to parse
    on the server; it needs the exact type of every column, which the model knows.
    """
    fields = {field.column: field for field in model._meta.concrete_fields}
    return [fields[column].db_type(connection).split("(")[0] for column in columns]


def _insert_postgresql_statements(cursor, rows: Sequence[NewResponse]) -> None:
    """Insert a few responses and their answers with one round trip (two statements).

    Django's PostgreSQL cursors bind parameters on the client, which lets one ``execute``
    carry both statements.
    """
    answers = list(_answer_values(rows))
    sql, parameters = _multi_row_insert(
        Response._meta.db_table, RESPONSE_COLUMNS, [row.values() for row in rows]
    )
    if answers:
        answer_sql, answer_parameters = _multi_row_insert(
            Answer._meta.db_table, ANSWER_COLUMNS, answers
        )
        sql, parameters = f"{sql}; {answer_sql}", parameters + answer_parameters
    cursor.execute(sql, parameters)


def _multi_row_insert(
    table: str, columns: Sequence[str], values: Sequence[Sequence]
) -> tuple[str, list]:
    """Return one ``INSERT … VALUES (…), (…)`` of ``values`` into ``table``."""
    row = f"({', '.join(['%s'] * len(columns))})"
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608
        + ", ".join([row] * len(values))
    )
    return sql, [value for one in values for value in one]


# Up to this many responses go into SQLite with one ``INSERT`` a table; more run one
# prepared statement for every row (``executemany``). SQLite's driver lets go of the
# interpreter lock for every step of a statement, and a group committed row by row
# handed the lock to the process's other threads, and waited to get it back, some thirty
# times per commit. Below SQLite's limit of 32,766 values a statement.
SQLITE_INSERT_AT_MOST = 64
SQLITE_MAX_VALUES = 32_766


def _sqlite_values(row: NewResponse) -> list:
    """Return the row's column values with its times and date as Django stores them in SQLite."""
    values = list(row.values())
    values[12] = connection.ops.adapt_datetimefield_value(row.submitted_at)
    values[13] = connection.ops.adapt_datetimefield_value(row.received_at)
    values[14] = row.local_date.isoformat()
    return values


def _insert_sqlite(rows: Sequence[NewResponse]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT max(coalesce((SELECT max(id) FROM {Response._meta.db_table}), 0), "  # noqa: S608
            "coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [Response._meta.db_table],
        )
        first_id = cursor.fetchone()[0] + 1
        for offset, row in enumerate(rows):
            row.id = first_id + offset
        response_values = [_sqlite_values(row) for row in rows]
        for model, columns, values in (
            (Response, RESPONSE_COLUMNS, response_values),
            (Answer, ANSWER_COLUMNS, list(_answer_values(rows))),
        ):
            if not values:
                continue
            if (
                len(rows) <= SQLITE_INSERT_AT_MOST
                and len(values) * len(columns) <= SQLITE_MAX_VALUES
            ):
                cursor.execute(*_multi_row_insert(model._meta.db_table, columns, values))
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
                    f"VALUES ({placeholders})",
                    values,
                )


def _answer_values(rows: Sequence[NewResponse]) -> Iterator[tuple]:
    """Yield every answer's column values in ``ANSWER_COLUMNS`` order, choices as JSON."""
    for row in rows:
        for key, number, text, choices in row.answers:
            yield row.id, key, number, text, None if choices is None else json.dumps(choices)


@contextlib.contextmanager
def writers_queue() -> Iterator[None]:
    """Queue for the SQLite file's write lock in the kernel, before ``BEGIN IMMEDIATE``.

    SQLite lets one writer at a time in and makes the others poll with growing sleeps (up
    to 100 ms each), so a web worker whose neighbour process commits group after group
    keeps losing the lock and waits for seconds. An exclusive ``flock`` on a file beside
    the database is granted the moment its holder lets go, so writers of all processes
    take turns without sleeping. Nothing to do on PostgreSQL (row locks), for an
    in-memory database, or inside a caller's transaction (which may hold the write lock
    already: waiting for the file then could deadlock with a process holding the file).
    """
    name = str(connection.settings_dict.get("NAME") or "")
    in_memory = name == ":memory:" or name.startswith("file:") or "mode=memory" in name
    if (
        fcntl is None
        or connection.vendor != "sqlite"
        or in_memory
        or transaction.get_connection().in_atomic_block
    ):
        yield
        return
    handle = _lock_file(f"{name}-writers.lock")
    fcntl.flock(handle, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)


_lock_files = threading.local()


def _lock_file(path: str) -> TextIO:
    """Return this thread's lock file at ``path``, opened once per thread (and process).

    A ``flock`` belongs to an open file, so each thread needs its own for the threads of
    a process to queue for each other too; a child process opens its own after a fork.
    Kept open, it saves opening and closing the file for every group.
    """
    key = (os.getpid(), path)
    kept = getattr(_lock_files, "kept", None)
    if kept is None or kept[0] != key:
        kept = _lock_files.kept = (key, open(path, "a"))  # noqa: SIM115  # closed with the thread
    return kept[1]
