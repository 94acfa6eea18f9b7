"""Run the benchmarks and write their figures to docs/performance.md.

`make bench` runs every benchmark; `python bench/run.py NAME …` runs some and keeps the
other sections of the report as they were. Each benchmark is a module of this folder
with a TITLE and a `run()` returning (rows, notes); rows are (what, measured, ratio).
Each runs in a fresh process with its own data directory, so none sees another's data.
Quote ratios measured in one run (ours against a baseline), because these machines are
shared and absolute timings wander.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "performance.md"
BENCHMARKS = [
    "foundation",
    "imports",
    "text",
    "customers",
    "customer_page",
    "insights",
    "loop_latency",
    "cases",
    "churn",
    "ingest",
]
HEADER = """# Performance

Figures written by `make bench` (`bench/run.py`); each section says when and where it was
measured. Ratios compare ours with a baseline measured in the same run, because absolute
timings on these shared machines wander.
"""


def section(name: str, title: str, rows: list, notes: list[str]) -> str:
    cpu = platform.processor() or platform.machine()
    lines = [
        f"<!-- bench:{name} -->",
        f"## {title}",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}",
        f"- command: `python bench/run.py {name}` (or `make bench`)",
        "",
        "| what | measured | ratio |",
        "|---|---|---|",
        *[f"| {what} | {measured} | {ratio} |" for what, measured, ratio in rows],
        "",
        *notes,
        f"<!-- /bench:{name} -->",
    ]
    return "\n".join(lines)


def run_child(name: str) -> None:
    """Prepare Django on a fresh data directory, run one benchmark, print its section."""
    os.environ["HEEDBACK_DATA_DIR"] = tempfile.mkdtemp(prefix=f"heedback-bench-{name}-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heedback.settings")
    sys.path.insert(0, str(ROOT / "bench"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    module = importlib.import_module(name)
    rows, notes = module.run()
    print("BENCH-SECTION " + json.dumps(section(name, module.TITLE, rows, notes)))


def main(names: list[str]) -> int:
    existing = REPORT.read_text() if REPORT.exists() else HEADER
    for name in names:
        result = subprocess.run(
            [sys.executable, __file__, "--child", name], capture_output=True, text=True
        )
        sys.stderr.write(result.stderr[-4000:])
        marker = next(
            (line for line in result.stdout.splitlines() if line.startswith("BENCH-SECTION ")), None
        )
        if result.returncode != 0 or marker is None:
            print(f"benchmark {name} failed", file=sys.stderr)
            return 1
        text = json.loads(marker.removeprefix("BENCH-SECTION "))
        print(text)
        pattern = re.compile(rf"<!-- bench:{name} -->.*?<!-- /bench:{name} -->", re.S)
        existing = (
            pattern.sub(lambda _match, text=text: text, existing)
            if pattern.search(existing)
            else (existing.rstrip() + "\n\n" + text + "\n")
        )
    REPORT.write_text(existing)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        run_child(sys.argv[2])
    else:
        raise SystemExit(main(sys.argv[1:] or BENCHMARKS))
