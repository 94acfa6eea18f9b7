"""The gateway for metric reads the rollups cannot answer: a time limit and a row cap.

Cuts by customer or interaction attributes and by theme have no rollup dimension, so they
are counted from the raw rows (``segments``). Such a read costs O(responses), so it runs
here, bounded: the database stops it after ``RAW_READ_SECONDS`` (PostgreSQL's
``statement_timeout``; SQLite's progress handler) and it may return at most
``RAW_READ_ROW_CAP`` counted rows. Either limit refuses the read with an error that names
the field to narrow, rather than letting one request hold a web process for minutes.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet
from django.db.utils import DatabaseError
from django.utils.translation import gettext as _

from heedback.core.errors import InvalidInput

#: How long one raw read may run before the database stops it.
RAW_READ_SECONDS = 10.0
#: How many counted rows (group × question) one raw read may return.
RAW_READ_ROW_CAP = 20_000
#: SQLite calls the progress handler every this many virtual-machine instructions.
_SQLITE_CHECK_EVERY = 20_000


def read_rows(query: QuerySet, *, field: str, seconds: float = RAW_READ_SECONDS) -> list[tuple]:
    """Run a counting query within the time limit and row cap; return its rows.

    ``field`` names the request field the error points at when a limit is hit.
    """
    try:
        with _time_limit(seconds):
            rows = list(query[: RAW_READ_ROW_CAP + 1])
    except (OperationalError, DatabaseError) as error:
        if not _is_cancelled(error):
            raise
        raise InvalidInput.from_pairs(
            _("This cut takes too long to count from the responses."),
            [(field, _("Narrow the period or the units, or remove a filter."))],
        ) from error
    if len(rows) > RAW_READ_ROW_CAP:
        raise InvalidInput.from_pairs(
            _("This cut has too many groups."),
            [(field, _("Choose a grouping with at most %s groups.") % f"{RAW_READ_ROW_CAP:,}")],
        )
    return rows


@contextmanager
def _time_limit(seconds: float):
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            # SET takes no bound parameters on a server-side binding cursor: an int is safe.
            cursor.execute(f"SET LOCAL statement_timeout = {int(seconds * 1000)}")
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            yield
        return
    connection.ensure_connection()
    deadline = time.monotonic() + seconds
    raw = connection.connection
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), _SQLITE_CHECK_EVERY)
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)


def _is_cancelled(error: Exception) -> bool:
    text = str(error).lower()
    return "statement timeout" in text or "interrupted" in text or "canceling statement" in text
