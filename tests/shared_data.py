"""Where the shared real data is: beside the repository, or where HEEDBACK_SHARED_DATA says.

The data (``../shared/data``, see its README) is never copied into the repository, so a
fresh clone has none: tests that need it skip with the reason printed. CI has it beside
the clone; a git worktree elsewhere points at it with ``HEEDBACK_SHARED_DATA`` (the folder
holding ``skytrax/``). The one variable serves every test and benchmark.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("HEEDBACK_SHARED_DATA") or ROOT.parent / "shared" / "data")
SKYTRAX = SHARED_DATA / "skytrax"


def shared_path(*parts: str) -> Path:
    """Return a file or folder of the shared data, or skip the test saying where it looked."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        reason = f"the shared data is not at {path} (set HEEDBACK_SHARED_DATA to its folder)"
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    return path
