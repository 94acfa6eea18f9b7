"""Rows a process keeps for a few seconds, dropped on this machine the moment they change.

For reads on the hottest path whose rows rarely change: the survey and unit every posted
response is written to. Each kind of kept rows has a stamp file in the data directory; a
service that changes such rows calls ``rows_changed(name)``, which touches it now and after
its commit, and every process on the machine checks the stamp (one ``stat``) before
trusting a copy. A process on another machine sharing the database trusts its copy for at
most ``seconds``. This is how ``orgs.services`` keeps API keys too.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Hashable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Model

# The surveys and units single responses are written to (``collect.api``): a survey's
# state, its published version, a survey or unit deleted change them.
WRITE_TARGETS = "write-targets"

_ALL: dict[str, KeptRows] = {}


class KeptRows:
    """Model rows kept by key for ``seconds`` and while the stamp called ``name`` stands still."""

    def __init__(self, name: str, *, seconds: float, size: int = 1024) -> None:
        self.name = name
        self.seconds = seconds
        self.size = size
        self._entries: dict[Hashable, tuple[float, int, tuple[Model | None, ...]]] = {}
        self._lock = threading.Lock()
        _ALL[name] = self

    def stamp(self) -> int:
        """Return the stamp now; read it before the rows, so a change after the read shows."""
        try:
            return os.stat(_stamp_path(self.name)).st_mtime_ns
        except OSError:
            return 0

    def get(self, key: Hashable) -> tuple[Model | None, ...] | None:
        """Return copies of the rows kept for ``key`` (a caller may change its own), or None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, stamp, rows = entry
        if time.monotonic() >= expires or stamp != self.stamp():
            self._entries.pop(key, None)
            return None
        return tuple(_copy(row) for row in rows)

    def put(self, key: Hashable, rows: tuple[Model | None, ...], stamp: int) -> None:
        """Keep copies of ``rows``; ``stamp`` is what ``stamp()`` said before reading them."""
        kept = tuple(_copy(row) for row in rows)
        with self._lock:
            if len(self._entries) >= self.size:  # a bound, not a policy
                self._entries.clear()
            self._entries[key] = (time.monotonic() + self.seconds, stamp, kept)

    def replace(self, key: Hashable, rows: tuple[Model | None, ...]) -> None:
        """Keep copies of ``rows`` in place of ``key``'s, under the stamp and time they had.

        For a change this process wrote itself (an API key's last use), which need not
        cost every other process its copies.
        """
        kept = tuple(_copy(row) for row in rows)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries[key] = (entry[0], entry[1], kept)

    def forget(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def forget_here(self) -> None:
        """Drop every copy in this process (tests start from an empty process state)."""
        with self._lock:
            self._entries.clear()


class ChangesWriteTargets:
    """A ModelAdmin mixin: a row saved or deleted in the admin reaches the kept copies at once.

    For the admin of surveys and units, which the web processes keep to write responses
    to (``WRITE_TARGETS``): a status changed or a row deleted there bypasses the services.
    """

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        rows_changed(WRITE_TARGETS)

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)  # type: ignore[misc]
        rows_changed(WRITE_TARGETS)

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        rows_changed(WRITE_TARGETS)


def rows_changed(name: str) -> None:
    """Make every process on this machine drop its rows called ``name``: now and after commit.

    Now, so this process stops trusting its copies; after the commit, so no process can
    have read the old row back between the two.
    """
    _touch(name)
    transaction.on_commit(lambda: _touch(name))


def forget_everything_here() -> None:
    """Drop every kind of kept rows in this process."""
    for kept in _ALL.values():
        kept.forget_here()


def _stamp_path(name: str) -> str:
    return os.path.join(settings.DATA_DIR, f"{name}.changed")


def _touch(name: str) -> None:
    kept = _ALL.get(name)
    if kept is not None:
        kept.forget_here()
    path = Path(_stamp_path(name))
    with contextlib.suppress(OSError):
        path.touch()
        # The mtime, not the contents, is the stamp: move it on even within the file
        # system's timestamp granularity.
        now = time.time_ns()
        previous = os.stat(path).st_mtime_ns
        os.utime(path, ns=(now, max(now, previous + 1_000)))


def _copy(row: Model | None) -> Model | None:
    if row is None:
        return None
    names = [field.attname for field in row._meta.concrete_fields]
    return type(row).from_db(row._state.db, names, [getattr(row, name) for name in names])
