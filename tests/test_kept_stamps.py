"""Stamps of kept rows: a move by any process on the machine is seen at once, without a ``stat``.

"Another process" is a real one here: a child Python process moves the stamp through its
own mapping of the file, and this process reads it from the mapping it already had.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from heedback.core import kept


def move_in_another_process(path: str) -> None:
    code = f"from heedback.core.kept import Stamp; Stamp({path!r}).move_on()"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_stamp_moved_by_another_process_is_read_from_memory_at_once(tmp_path, monkeypatch):
    stamp = kept.Stamp(str(tmp_path / "rows.changed"))
    before = stamp.read()
    assert before == 0  # made on first use, 8 zero bytes
    assert (tmp_path / "rows.changed").stat().st_size == 8

    statted = []
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda *a, **k: statted.append(a) or real_stat(*a, **k))
    move_in_another_process(str(tmp_path / "rows.changed"))

    after = stamp.read()
    assert after > before
    assert after <= time.time_ns()
    assert statted == []  # read from the mapping, no system call
    stamp.move_on()
    assert stamp.read() > after


def test_a_stamp_file_replaced_is_mapped_again_within_a_second(tmp_path, monkeypatch):
    path = tmp_path / "rows.changed"
    stamp = kept.Stamp(str(path))
    stamp.move_on()
    moved = stamp.read()
    path.unlink()  # an operator tidies the data directory
    move_in_another_process(str(path))  # a new file, which the old mapping does not see
    assert stamp.read() == moved

    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + kept.STAMP_RECHECK_SECONDS + 0.1)
    assert stamp.read() != moved
    assert stamp.read() == int.from_bytes(path.read_bytes(), "little")


def test_a_stamp_that_cannot_be_made_reads_as_never_moved(tmp_path):
    stamp = kept.Stamp(str(tmp_path / "missing-directory" / "rows.changed"))
    stamp.move_on()
    assert stamp.read() == 0
    assert not (tmp_path / "missing-directory").exists()
