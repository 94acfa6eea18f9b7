"""Group commit: concurrent single submissions in one process share one transaction.

A committed insert costs a disk flush (SQLite, ``synchronous=FULL``) or a WAL flush and a
round trip (PostgreSQL), which caps one-insert-per-request ingest at about 1,400
responses a second whatever the CPU. Sharing the commit among the requests that arrive
together lifts that cap, while each request is still answered only after the commit
that holds its response.

How, as databases do it themselves (leader and followers): a request thread hands its
validated rows to the process's committer and waits. When no thread is committing, it
becomes the leader: it takes the waiting items (at most ``max_group``), stores them in
one transaction, wakes their threads and hands the lead to the first thread still
waiting. While a leader commits, new arrivals queue, so groups grow with the load by
themselves and a lone request is committed at once. Only when the previous group had
company does a leader wait for more, and never longer than ``max_wait``.

Connections: the leader writes on its own thread's Django connection, the one its request
already uses, so no thread touches another's connection and no extra connection is
opened; the web server's bounded thread count bounds the connections. The followers'
rows are plain values (``storage.NewResponse``), tied to no connection.

Storing: one statement in autocommit stores the whole group, its own transaction
(``storage.insert_new``): on PostgreSQL one round trip; on SQLite, after the keys are
looked up and the answers staged, one ``INSERT`` queued on the writers' lock.

Failure: if the group's transaction fails (on SQLite a key another process stored between
the look-up and the insert; any database error), it is rolled back and every item is
stored again on its own, so one bad item never fails its neighbours.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import DatabaseError, IntegrityError, transaction

from heedback.collect import storage

MAX_GROUP = 64
# How long a leader may wait for its group to fill (only when the last group had company).
# Three milliseconds, not one: groups stay as large as the load makes them instead of
# being cut short when a wait runs out, and each response's share of a commit shrinks.
# Measured side by side (two servers, rounds in turns, 2026-12-07): SQLite stored 5–8 %
# more responses a second at saturation with 7–9 % less CPU each, and at a constant
# 80 % of that rate both databases spent about 4 % less CPU a response; six milliseconds
# gained nothing more over three, two a little less.
MAX_WAIT_SECONDS = 0.003
ALONE_ATTEMPTS = 3


@dataclass(frozen=True)
class Stored:
    """Where an item ended up: its new response, or the one stored earlier with its key."""

    response_id: int
    created: bool


def _signal() -> threading.Lock:
    """Return a lock held already: released once to wake the thread that acquires it.

    Each waiting item is woken exactly once (its outcome is in, or it leads), so a bare
    lock does what an ``Event`` does here for a fraction of its cost: an ``Event`` takes
    a ``Condition``, a lock of its own and a fresh waiter lock for every wait.
    """
    signal = threading.Lock()
    signal.acquire()
    return signal


@dataclass(eq=False)
class _Item:
    row: storage.NewResponse
    done: threading.Lock = field(default_factory=_signal)
    outcome: Stored | None = None
    error: BaseException | None = None
    leads: bool = False

    @property
    def key(self) -> tuple[int, str]:
        return (self.row.survey_id, self.row.idempotency_key)


class GroupCommitter:
    """Store responses handed over by many threads, a group per transaction."""

    def __init__(self, *, max_group: int = MAX_GROUP, max_wait: float = MAX_WAIT_SECONDS) -> None:
        self.max_group = max_group
        self.max_wait = max_wait
        self._lock = threading.Condition()
        self._queue: list[_Item] = []
        self._leading = False
        self._awaited = 0  # the queue's length a waiting leader is woken at (0: none waits)
        self._coming = 0  # threads on their way to ``store`` (``expecting``)
        self._expected = threading.local()
        self._last_group_size = 0
        self.groups_committed = 0
        self.items_committed = 0

    def store(self, row: storage.NewResponse) -> Stored:
        """Store a validated response once; return after the commit that holds it.

        A response whose (survey, idempotency key) is already stored, or is stored by an
        earlier item of the same group, is not stored again: the result names the first.
        Inside a transaction of the caller's, the rows are written in that transaction,
        because another thread's commit would not be the caller's to roll back.
        """
        item = _Item(row)
        if transaction.get_connection().in_atomic_block:
            self._store_alone(item)
            return self._outcome(item)
        with self._lock:
            self._queue.append(item)
            self._arrived()
            if not self._leading:
                self._leading = item.leads = True
            elif self._awaited and self._group_complete():
                self._lock.notify()  # the leader waits for it: wake it once, not at each arrival
        if not item.leads:
            item.done.acquire()  # released once: outcome in, or the lead handed over
        if item.leads:
            self._lead()
        return self._outcome(item)

    @contextlib.contextmanager
    def expecting(self) -> Iterator[None]:
        """Count the calling thread as on its way to ``store`` while the block runs.

        A request announces itself before it validates its response, and a leader waits
        (at most ``max_wait``) for the announced ones to arrive: under a steady load of
        requests spread out in time, groups then hold the requests in progress instead
        of one or two, and each shares the commit's cost. One that is refused leaves.
        """
        with self._lock:
            self._coming += 1
            self._expected.waiting = True
        try:
            yield
        finally:
            with self._lock:
                self._arrived()
                if self._awaited and self._group_complete():
                    self._lock.notify()

    def _arrived(self) -> None:
        if getattr(self._expected, "waiting", False):
            self._expected.waiting = False
            self._coming -= 1

    def _group_complete(self) -> bool:
        queued = len(self._queue)
        return queued >= self.max_group or (queued >= self._awaited and not self._coming)

    def _outcome(self, item: _Item) -> Stored:
        if item.error is not None:
            raise item.error
        assert item.outcome is not None
        return item.outcome

    def _lead(self) -> None:
        """Commit one group, then pass the lead to the first thread still waiting."""
        group = self._take_group()
        try:
            self._store_group(group)
        finally:
            for item in group:
                if item.outcome is None and item.error is None:
                    item.error = RuntimeError("the group commit was interrupted")
                item.leads = False
                item.done.release()
            with self._lock:
                if self._queue:
                    successor = self._queue[0]
                    successor.leads = True
                    successor.done.release()
                else:
                    self._leading = False

    def _take_group(self) -> list[_Item]:
        with self._lock:
            # As many as the last group held, and everyone on the way.
            self._awaited = max(1, min(self._last_group_size, self.max_group))
            deadline = time.monotonic() + self.max_wait
            while not self._group_complete():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lock.wait(remaining)
            self._awaited = 0
            group = self._queue[: self.max_group]
            del self._queue[: self.max_group]
            self._last_group_size = len(group)
            return group

    def _store_group(self, group: list[_Item]) -> None:
        try:
            with storage.one_statement_transaction():
                outcomes = _store_together(group)
        except DatabaseError:
            storage.forget_ids(item.row for item in group)
            for item in group:
                self._store_alone(item)
            return
        for item, outcome in zip(group, outcomes, strict=True):
            item.outcome = outcome
        self.groups_committed += 1
        self.items_committed += len(group)

    def _store_alone(self, item: _Item) -> None:
        """Store one item in its own transaction, retrying a lost race on its key."""
        for attempt in range(ALONE_ATTEMPTS):
            try:
                with storage.one_statement_transaction():
                    [outcome] = _store_together([item])
            except IntegrityError as error:
                # A concurrent writer stored the key: the next look-up finds its response.
                storage.forget_ids([item.row])
                if attempt == ALONE_ATTEMPTS - 1:
                    item.error = error
            except Exception as error:  # reported to the item's own request, nobody else's
                storage.forget_ids([item.row])
                item.error = error
                return
            else:
                item.outcome = outcome
                return


def _store_together(group: list[_Item]) -> list[Stored]:
    """Insert the group's new rows; return each item's outcome (in ``insert_new``'s transaction)."""
    first_of_key: dict[tuple[int, str], _Item] = {}
    for item in group:
        first_of_key.setdefault(item.key, item)
    existing = storage.insert_new([item.row for item in first_of_key.values()])
    outcomes = []
    for item in group:
        if item.key in existing:
            outcomes.append(Stored(existing[item.key], created=False))
        else:
            first = first_of_key[item.key]
            assert first.row.id is not None
            outcomes.append(Stored(first.row.id, created=first is item))
    return outcomes


_committer = GroupCommitter()


def committer() -> GroupCommitter:
    """Return this process's committer (one per process: threads share it, workers do not)."""
    return _committer
