"""Keep the rollups equal to the responses: the periodic refresh and the rebuild.

The refresh follows Zulip's ``analytics/lib/counts.py``: a saved watermark says what is
counted, each run adds what came since, set-based inside the database, and moves the
watermark *in the same transaction* as the counts — a worker killed at any moment leaves
either both or neither, so nothing is lost or doubled.

**Why a watermark by id is not enough, and what is done instead.** On PostgreSQL an id is
taken from a sequence when a row is inserted but becomes visible when its transaction
commits, so id 11 can be visible while id 10 is still in flight; a watermark moved to 11
would skip 10 forever. So the state has two parts (``RollupState``):

- the *watermark* W: every response with an id up to W is counted, or will never exist;
- the *ledger* (``CountedResponse``): the responses above W that are counted already.

Each run counts the responses above W that the ledger does not list, and lists them — so
a response is counted as soon as it is visible, whatever commits around it. W moves only
to a *settled horizon*: at some moment t a run notes H, the highest id visible; every id at
or below H was taken before t (sequences only grow), hence by a transaction that started
before t. Once no transaction that started before t is open (``pg_stat_activity``), every
id up to H is committed or gone for good, so W may move to H and the ledger below it is
dropped. The ledger thus holds only what arrived during the longest open transaction, and
a long transaction (a backup, a slow import) delays only that pruning, never the counting.
Sessions the worker's database role may not inspect are assumed to be old: run the worker
with the same role as the web processes (the default), or grant it ``pg_read_all_stats``.

On SQLite one transaction writes at a time and the refresh holds the write lock, so every
visible id is committed and W moves straight to the highest id; the ledger stays empty.

Runs take a lock (the state row ``FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE``), so several
workers take turns instead of counting twice; a worker that finds the row locked skips the
round, since another is doing the work.

**Rebuild.** ``rebuild_rollups`` deletes an organisation's rollups and recounts its
responses up to the watermark in chunks, each its own short transaction (``RollupRebuild``
holds how far it got); responses above the watermark keep flowing through the refresh.
Reads add the not-yet-recounted range from the raw rows, so figures stay exact throughout,
and a rebuild interrupted half-way is finished by the worker's next refresh.

Responses are immutable facts, and a response commits together with its answers (the
submission service and the bulk importers both do): both assumptions are what make
counting a response once, when it becomes visible, correct.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from heedback.collect.models import Response
from heedback.insights import read_cache, rollup_sql
from heedback.insights.models import (
    STATE_ID,
    AnswerRollup,
    CountedResponse,
    DriverSum,
    OptionRollup,
    OrganisationDriverSum,
    OrganisationRollup,
    RollupRebuild,
    RollupState,
)
from heedback.orgs.models import Organisation

#: Responses counted per transaction: big enough to amortise a statement, small enough that
#: SQLite's write lock is never held for long while submissions wait.
BATCH_SIZE = 20_000
REBUILD_CHUNK_SIZE = 50_000
#: A full rebuild on PostgreSQL recounts in larger chunks: a chunk only holds the refresh
#: lock there (submissions never wait for it). Responses of every day may sit anywhere in
#: the ids (an import of two years of history), so each chunk adds to most of the rollup
#: cells: a million of ten million responses wrote 70% of the day cells. A chunk's cost is
#: thus its responses plus nearly all the cells, and the chunks grow with the rebuild, to
#: a quarter of it (at least a million): the cells are written four times rather than ten,
#: and the progress bar still moves. Measured on 10^7 responses: 4 chunks took 390 s,
#: 10 chunks about 900 s, and one chunk 280 s but with its joins spilling to disk.
REBUILD_CHUNK_SIZE_POSTGRESQL = 1_000_000
REBUILD_CHUNKS_POSTGRESQL = 4
#: A periodic run stops starting new batches after this many seconds, so that one round of
#: the worker's jobs stays short even when a large import is waiting to be counted.
REFRESH_TIME_BUDGET = 20.0


def refresh_rollups(
    *, batch_size: int = BATCH_SIZE, time_budget: float = REFRESH_TIME_BUDGET
) -> int:
    """Add every response not yet counted to the rollups; return how many were added.

    The worker runs this every few seconds (declared on the app's ``periodic_jobs``); it
    also finishes a rebuild that was interrupted, one chunk per run.
    """
    added = 0
    deadline = time.monotonic() + time_budget
    while True:
        with transaction.atomic():
            state = _lock_state(wait=False)
            if state is None:
                return added  # another worker holds the lock and is doing this work
            step = _refresh_step(state, batch_size)
        added += step
        if step == 0 or time.monotonic() > deadline:
            break
    for organisation_id in RollupRebuild.objects.values_list("organisation_id", flat=True):
        continue_rebuild(organisation_id)
    return added


def _lock_state(*, wait: bool) -> RollupState | None:
    """Lock and return the state row, creating it on first use; None if busy and not waiting.

    On SQLite the first write takes the database's write lock (the project opens
    transactions IMMEDIATE anyway), so nothing can commit between what we read and write.
    """
    rows = RollupState.objects.filter(pk=STATE_ID)
    if connection.vendor == "postgresql":
        state = rows.select_for_update(skip_locked=not wait).first()
        if state is None and not RollupState.objects.filter(pk=STATE_ID).exists():
            RollupState.objects.get_or_create(pk=STATE_ID)
            state = rows.select_for_update().first()
        return state
    if not rows.update(refreshed_at=timezone.now()):
        RollupState.objects.get_or_create(pk=STATE_ID)
    return rows.get()


def _refresh_step(state: RollupState, batch_size: int) -> int:
    """Count one batch and move the watermark as far as is safe; return responses added."""
    settled = _settled_horizon(state)
    added = 0
    if settled > state.watermark:
        upto = min(settled, _nth_id_after(state.watermark, batch_size) or settled)
        added += rollup_sql.add_responses(rollup_sql.id_range(state.watermark, upto))
        CountedResponse.objects.filter(response_id__lte=upto).delete()
        state.watermark = upto
    if state.watermark >= settled:
        # Caught up with what is settled: count what is visible above it now, and list it.
        state.batch += 1
        if rollup_sql.list_in_ledger(state.watermark, state.batch, batch_size):
            added += rollup_sql.add_responses(rollup_sql.ledger_batch(state.batch))
    _note_horizon(state)
    state.refreshed_at = timezone.now()
    state.save()
    return added


def _nth_id_after(after: int, count: int) -> int | None:
    """Return the id of the ``count``-th response above ``after``, None if there are fewer."""
    ids = Response.objects.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)
    return next(iter(ids[count - 1 : count]), None)


def _settled_horizon(state: RollupState) -> int:
    """Return the highest id up to which every response is committed or gone for good."""
    if connection.vendor != "postgresql":
        # We hold SQLite's write lock: whatever is visible is committed, nothing is in flight.
        highest = Response.objects.aggregate(highest=Max("pk"))["highest"]
        return max(state.watermark, highest or 0)
    if state.horizon_id is not None and not _transactions_open_since(state.horizon_at):
        return max(state.watermark, state.horizon_id)
    return state.watermark


def _note_horizon(state: RollupState) -> None:
    """Take the highest visible id and the time as the next watermark candidate (PostgreSQL).

    Keep the current candidate until the watermark has reached it, so that a steady stream
    of responses cannot keep pushing the candidate ahead of the watermark.
    """
    if connection.vendor != "postgresql":
        return
    if state.horizon_id is not None and state.watermark < state.horizon_id:
        return
    state.horizon_id, state.horizon_at = rollup_sql.highest_id_and_time()


def _transactions_open_since(moment) -> bool:
    """Tell whether a client transaction that began at or before ``moment`` may still be open.

    A session whose details this role may not read (``state`` NULL) counts as open, and so
    does any prepared transaction: when in doubt, wait.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
            "AND (xact_start <= %s OR state IS NULL)) "
            "OR EXISTS (SELECT 1 FROM pg_prepared_xacts WHERE database = current_database())",
            [moment],
        )
        (is_open,) = cursor.fetchone()
    return bool(is_open)


@dataclass(frozen=True)
class RebuildProgress:
    """How far a rebuild got: responses recounted of the total, and whether it is done."""

    counted: int
    total: int
    is_done: bool


def rebuild_rollups(
    organisation: Organisation,
    *,
    chunk_size: int | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> int:
    """Recompute an organisation's rollups from its responses; return how many were counted.

    Safe while responses arrive: see the module's docstring. Memory stays bounded because
    every chunk is counted inside the database. The refresh catches up first, so that the
    watermark — up to which the rebuild recounts — covers what has arrived until now.
    """
    refresh_rollups(time_budget=math.inf)
    rebuild = start_rebuild(organisation)
    if chunk_size is None:
        chunk_size = _rebuild_chunk_size(rebuild.total)
    while True:
        state = continue_rebuild(organisation.pk, chunk_size)
        if progress is not None:
            progress(state.counted, state.total)
        if state.is_done:
            return state.counted


def _rebuild_chunk_size(total: int) -> int:
    if connection.vendor != "postgresql":
        return REBUILD_CHUNK_SIZE
    return max(REBUILD_CHUNK_SIZE_POSTGRESQL, -(-total // REBUILD_CHUNKS_POSTGRESQL))


def start_rebuild(organisation: Organisation) -> RollupRebuild:
    """Drop the organisation's rollups and note which responses the rebuild must recount.

    The rebuild owns the organisation's responses up to the watermark; those above it are
    taken off the ledger, so that the refresh counts them again into the fresh rollups.
    """
    with transaction.atomic():
        state = _lock_state(wait=True)
        for model in (
            AnswerRollup,
            OrganisationRollup,
            OptionRollup,
            DriverSum,
            OrganisationDriverSum,
        ):
            model.objects.filter(organisation=organisation).delete()
        read_cache.bump_version(organisation.pk)
        above = Response.objects.filter(organisation=organisation, pk__gt=state.watermark)
        CountedResponse.objects.filter(response_id__in=above.values("pk")).delete()
        total = Response.objects.filter(organisation=organisation, pk__lte=state.watermark).count()
        rebuild, _created = RollupRebuild.objects.update_or_create(
            organisation=organisation,
            defaults={
                "upto_id": state.watermark,
                "done_id": 0,
                "total": total,
                "counted": 0,
                "started_at": timezone.now(),
            },
        )
    return rebuild


def continue_rebuild(organisation_id: int, chunk_size: int = REBUILD_CHUNK_SIZE) -> RebuildProgress:
    """Recount the next chunk of a rebuild, after a refresh step so that new responses flow.

    Each chunk is its own transaction under the refresh lock: rebuild and refresh add to the
    same rows, and taking turns keeps them from deadlocking on each other.
    """
    with transaction.atomic():
        state = _lock_state(wait=True)
        _refresh_step(state, BATCH_SIZE)
        rebuild = RollupRebuild.objects.filter(organisation_id=organisation_id).first()
        if rebuild is None:
            return RebuildProgress(0, 0, is_done=True)
        responses = Response.objects.filter(
            organisation_id=organisation_id, pk__gt=rebuild.done_id, pk__lte=rebuild.upto_id
        ).order_by("pk")
        last = next(iter(responses.values_list("pk", flat=True)[chunk_size - 1 : chunk_size]), None)
        upto = rebuild.upto_id if last is None else last
        rebuild.counted += rollup_sql.add_responses(
            rollup_sql.organisation_range(organisation_id, rebuild.done_id, upto)
        )
        rebuild.done_id = upto
        progress = RebuildProgress(rebuild.counted, rebuild.total, upto >= rebuild.upto_id)
        if progress.is_done:
            rebuild.delete()
        else:
            rebuild.save()
    return progress
