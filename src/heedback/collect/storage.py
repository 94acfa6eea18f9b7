"""The two statements every way of storing responses shares: look up keys, insert rows.

Single responses (through the group committer), API batches and imports all end here, so
the look-up that decides "duplicate" is one function with one query plan on each database.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Sequence

from django.db import connection, transaction

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
    the unique index. PostgreSQL plans ``= ANY`` on the unique index by itself.
    """
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    table = Response._meta.db_table
    if connection.vendor == "sqlite":
        sql = (
            f"SELECT idempotency_key, id FROM {table} WHERE survey_id = %s "  # noqa: S608
            "AND idempotency_key IN (SELECT value FROM json_each(%s))"
        )
        parameters: list = [survey_id, json.dumps(keys)]
    else:
        sql = (
            f"SELECT idempotency_key, id FROM {table} WHERE survey_id = %s "  # noqa: S608
            "AND idempotency_key = ANY(%s)"
        )
        parameters = [survey_id, keys]
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return dict(cursor.fetchall())


def insert_responses(new: Sequence[tuple[Response, list[Answer]]]) -> None:
    """Insert responses and their answers with two statements (call inside a transaction).

    Both databases return the new ids from the insert, so each answer is tied to its
    response without reading anything back.
    """
    if not new:
        return
    Response.objects.bulk_create([response for response, _answers in new])
    rows = []
    for response, answers in new:
        for answer in answers:
            answer.response = response
            rows.append(answer)
    Answer.objects.bulk_create(rows)


def forget_ids(new: Iterable[tuple[Response, list[Answer]]]) -> None:
    """Clear the ids a rolled-back insert gave, so the rows can be inserted again."""
    for response, answers in new:
        response.pk = None
        response._state.adding = True
        for answer in answers:
            answer.pk = None


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
    with open(f"{name}-writers.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
