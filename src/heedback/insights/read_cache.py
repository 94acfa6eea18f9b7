"""Remember what a rollup read returned, keyed by exactly which responses it describes.

A dashboard asks the same few reads again and again (the overview's headlines, trends,
heatmap and drivers; ``GET /api/v1/metrics``), and most of the cost of a read is Python
building the ``UNION ALL`` statement, not the database answering it. So the histogram
reader (``histograms.answer_counts``) and the driver-sums reader
(``driver_sums.cross_products``) keep their results in Django's cache.

**Why a cached figure is never stale.** Responses are immutable and never deleted one by
one, so a read's result depends only on which of the organisation's responses exist. They
are in two parts, and the key names both:

- the rolled-up part: ``RollupVersion.version`` changes, in the same transaction, each
  time a statement adds the organisation's responses to the rollups or deletes its rollups;
- the tail (responses the rollups do not count yet, ``histograms.tail_conditions``): their
  number and the sum of their ids. Within one version the tail only grows (a response
  leaves it only by being rolled up, which moves the version), so a new response always
  changes the key, before and after the worker counts it.

The state is read in one statement, before the figures: the figures are then of that state
or a later one, and a key never comes back once the state has moved on. Each read costs
one small statement (bounded by the tail, a few seconds of responses) instead of the full
read; a miss costs that statement more than before. A read inside a transaction of the
caller's own is not kept (it may see responses that are then rolled back). Entries expire after
``CACHE_SECONDS`` whatever happens, and the cache is Django's default (Redis when
configured, shared by the processes; else each process's memory).
"""

# The statement is spliced from table names of the models; values travel as parameters.
# ruff: noqa: S608

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from django.core.cache import cache
from django.db import connection

from heedback.collect.models import Response
from heedback.insights.models import (
    STATE_ID,
    CountedResponse,
    RollupRebuild,
    RollupState,
    RollupVersion,
)

#: How long a remembered read lives at most (it is exact for as long as its key is current).
CACHE_SECONDS = 600

_RESPONSE = Response._meta.db_table
_STATE = RollupState._meta.db_table
_COUNTED = CountedResponse._meta.db_table
_REBUILD = RollupRebuild._meta.db_table
_VERSION = RollupVersion._meta.db_table

T = TypeVar("T")


@dataclass(frozen=True)
class ResponsesState:
    """Which responses of an organisation exist: the rollups' version and the tail's print."""

    version: int
    tail_count: int
    tail_id_sum: int
    # Not part of what the state says (the version covers it), but read in the same
    # statement: the reads computed under this state use it as their watermark hint.
    watermark: int = field(default=0, compare=False, repr=False)


_WATERMARK = f"COALESCE((SELECT s.watermark FROM {_STATE} s WHERE s.id = {STATE_ID}), 0)"
_STATE_SQL = (
    f"SELECT COALESCE((SELECT v.version FROM {_VERSION} v WHERE v.organisation_id = %s), 0), "
    f"COUNT(t.id), COALESCE(SUM(t.id), 0), {_WATERMARK} FROM ("
    f"SELECT r.id FROM {_RESPONSE} r WHERE r.organisation_id = %s "
    f"AND r.id > {_WATERMARK} "
    f"AND NOT EXISTS (SELECT 1 FROM {_COUNTED} c WHERE c.response_id = r.id) "
    f"UNION ALL SELECT r.id FROM {_RESPONSE} r JOIN {_REBUILD} b "
    "ON b.organisation_id = r.organisation_id "
    "WHERE r.organisation_id = %s AND r.id > b.done_id AND r.id <= b.upto_id) t"
)


_page_states: ContextVar[dict[int, ResponsesState] | None] = ContextVar("page_states", default=None)


@contextmanager
def one_state() -> Iterator[None]:
    """Read the state of an organisation's responses once for every read inside (a page).

    The panels of a page are then keyed by the state read first; each is of that state
    or a later one, as a single remembered read is (see the module's docstring).
    """
    token = _page_states.set({})
    try:
        yield
    finally:
        _page_states.reset(token)


def responses_state(organisation_id: int) -> ResponsesState:
    """Return the state of the organisation's responses, read in one statement."""
    known = _page_states.get()
    if known is not None and organisation_id in known:
        return known[organisation_id]
    with connection.cursor() as cursor:
        cursor.execute(_STATE_SQL, [organisation_id] * 3)
        version, count, id_sum, watermark = cursor.fetchone()
    state = ResponsesState(int(version), int(count), int(id_sum), int(watermark))
    if known is not None:
        known[organisation_id] = state
    return state


_read_watermark: ContextVar[int | None] = ContextVar("read_watermark", default=None)


def known_watermark() -> int | None:
    """Return the watermark the current remembered read saw, None outside one.

    The state was read just before the read, and the watermark only grows, so it is at
    most the one the read's own statement sees: a safe hint for the planner.
    """
    return _read_watermark.get()


def remembered(kind: str, organisation_id: int, question: object, compute: Callable[[], T]) -> T:
    """Return ``compute()`` for ``question`` (a hashable description), from the cache if known.

    ``compute`` must depend only on the organisation's responses and on ``question``.
    """
    state = responses_state(organisation_id)
    digest = hashlib.sha256(repr((question, state)).encode()).hexdigest()
    key = f"heedback:insights:{kind}:{organisation_id}:{digest}"
    found = cache.get(key)
    if found is not None:
        return found
    token = _read_watermark.set(state.watermark)
    try:
        value = compute()
    finally:
        _read_watermark.reset(token)
    if not _in_own_transaction():
        cache.set(key, value, CACHE_SECONDS)
    return value


def _in_own_transaction() -> bool:
    """Tell whether the read runs in a transaction that may still roll back.

    Such a read may see the transaction's own responses; were it rolled back, SQLite would
    hand their ids out again, and the key could name other responses. So it is not kept.
    (A test's own wrapping transaction, which Django marks, does not count.)
    """
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def bump_version(organisation_id: int) -> None:
    """Note that the organisation's rollups changed (call inside the changing transaction)."""
    bump_versions_sql(f"SELECT {int(organisation_id)} AS organisation_id")


def bump_versions_sql(organisations: str) -> None:
    """Give each organisation the query ``organisations`` lists a new version.

    A new version is a fresh random number rather than the old one plus one, so that it
    never names an earlier state again, even after a database is restored from a backup
    and its responses differ from those a shared cache remembers.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_VERSION} (organisation_id, version) "
            f"SELECT DISTINCT o.organisation_id, %s FROM ({organisations}) o WHERE true "
            "ON CONFLICT (organisation_id) DO UPDATE SET version = excluded.version",
            [secrets.randbits(62) + 1],
        )
