"""Rows a process keeps for a few seconds, dropped on this machine the moment they change.

For reads on the hottest path whose rows rarely change: the survey and unit every posted
response is written to. Each kind of kept rows has a stamp file in the data directory; a
service that changes such rows calls ``rows_changed(name)``, which moves the stamp on now
and after its commit, and every process on the machine reads the stamp before trusting a
copy. The stamp is a counter mapped into each process's memory (``Stamp``), so reading it
is a memory read where a ``stat`` of the file was a system call, and a hand-over of the
interpreter lock, twice per request. A process on another machine sharing the database
trusts its copy for at most ``seconds``. This is how ``orgs.services`` keeps API keys too.
"""

from __future__ import annotations

import mmap
import os
import struct
import threading
import time
from collections.abc import Hashable

from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models import Model
from django.db.models.base import ModelState
from django.dispatch import receiver

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
        return _stamp(self.name).read()

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
    _stamp(name).move_on()


# How often a process checks that its mapped stamp is still the file at the stamp's path
# (one ``stat``): a file deleted or replaced under it would otherwise go unseen. Copies
# are trusted for at most their ``seconds`` in any case.
STAMP_RECHECK_SECONDS = 1.0
_STAMP = struct.Struct("<Q")


class Stamp:
    """A stamp file's counter, mapped into memory: every process on the machine sees a move.

    The file holds 8 bytes, a number that only grows; each process maps it shared, so a
    write by one is in every other's memory at once (the same page of the page cache).
    The number written is the time in nanoseconds, or one more than the last when the
    clock is behind, so two processes moving it at once never write the same value.
    A file that cannot be made or mapped reads as 0, as if it never moved: copies are
    then trusted for their ``seconds``.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._map: mmap.mmap | None = None
        self._inode = 0
        self._checked = 0.0
        self._lock = threading.Lock()

    def read(self) -> int:
        mapped = self._map
        if mapped is None or time.monotonic() - self._checked > STAMP_RECHECK_SECONDS:
            mapped = self._mapping()
            if mapped is None:
                return 0
        return _STAMP.unpack_from(mapped)[0]

    def move_on(self) -> None:
        mapped = self._mapping()
        if mapped is not None:
            value = _STAMP.unpack_from(mapped)[0]
            _STAMP.pack_into(mapped, 0, max(time.time_ns(), value + 1))

    def _mapping(self) -> mmap.mmap | None:
        """Map the file, or map it again when another file took its place."""
        with self._lock:
            self._checked = time.monotonic()
            try:
                inode = os.stat(self.path).st_ino
            except OSError:
                inode = None
            if self._map is not None and inode == self._inode:
                return self._map
            try:
                descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError:
                return None
            try:
                if os.fstat(descriptor).st_size < _STAMP.size:
                    os.ftruncate(descriptor, _STAMP.size)  # zeros; a no-op once it has them
                self._inode = os.fstat(descriptor).st_ino
                self._map = mmap.mmap(descriptor, _STAMP.size)
            except OSError:
                return None
            finally:
                os.close(descriptor)
            return self._map


_STAMPS: dict[str, Stamp] = {}


# The stamps of the data directory in use, by name: joining the path for every read cost
# a fifth of a kept row's look-up. The data directory is a setting, and tests move it.
_STAMPS_BY_NAME: dict[str, Stamp] = {}


def _stamp(name: str) -> Stamp:
    stamp = _STAMPS_BY_NAME.get(name)
    if stamp is None:
        path = _stamp_path(name)
        stamp = _STAMPS_BY_NAME[name] = _STAMPS.setdefault(path, Stamp(path))
    return stamp


@receiver(setting_changed)
def _data_directory_moved(*, setting: str, **_kwargs) -> None:
    if setting == "DATA_DIR":
        _STAMPS_BY_NAME.clear()


def _copy(row: Model | None) -> Model | None:
    """Return a copy of ``row`` with its field values only, as ``Model.from_db`` builds one.

    Kept rows hold nothing but their fields' values (they are copied in too), so copying
    the instance's dictionary and starting a fresh state does what ``from_db`` does, at
    a tenth of its cost: this runs for every kept row of every request.
    """
    if row is None:
        return None
    copied = Model.__new__(type(row))
    copied.__dict__.update(row.__dict__)
    state = copied._state = ModelState()
    state.db, state.adding = row._state.db, False
    return copied
