"""The two statements every way of storing responses shares: look up keys, insert rows.

Single responses (through the group committer), API batches and imports all end here, so
the look-up that decides "duplicate" is one function with one query plan on each database.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import connection

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
