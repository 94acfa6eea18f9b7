"""Insights: metrics from rollups at 10^5, 10^6 (and 10^7) responses, on SQLite and PostgreSQL.

For each database a child process builds one organisation (200 units: a root, 19 regions
and 180 hotels; the hotel-stay survey) and grows it level by level, inserting responses
with plain INSERT … SELECT inside the database (24 months; hotels of different size and
quality, quality drifting upwards; three channels per hotel; 3.5 answers per response).
At each level it measures:

- `heedback rebuild-rollups` as a subprocess: responses per minute and its peak memory;
- warm p95 of `compute_metric` (NPS by month over everything, NPS by unit) and of
  `GET /api/v1/metrics` through Django, reading the rollups;
- the same breakdowns by the foundation's GROUP BY over the raw rows (the baseline), and by
  DuckDB over a Parquet file of the raw responses written in the same run (the columnar
  baseline the issue names), checked to give the same NPS per group;
- warm p95 of the organisation overview page (`/o/<org>/dashboard/`);
- the not-yet-rolled-up tail: 10,000 fresh responses read from raw rows beside the
  rollups, and the worker's `refresh_rollups` counting them.

`HEEDBACK_BENCH_INSIGHTS_SIZES` (default 100000,1000000,10000000) and
`HEEDBACK_BENCH_INSIGHTS_DATABASES` (default sqlite,postgresql) choose what runs;
PostgreSQL is reached at `HEEDBACK_BENCH_POSTGRES` (default postgresql://postgres@127.0.0.1:5432),
in a scratch database that is dropped afterwards.

The two databases can be measured side by side to save an hour at 10^7:
`python bench/insights.py --save sqlite` and `… --save postgresql` (in parallel) write
their results to `HEEDBACK_BENCH_INSIGHTS_SAVED` (a folder); `bench/run.py insights` then
reports the saved results instead of measuring again.
"""

# The generator's SQL is spliced from constants of this module and numbers it computes.
# ruff: noqa: S608

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TITLE = "Insights: metrics from rollups, 10^5 to 10^7 responses"
DEFAULT_SIZES = "100000,1000000,10000000"
SIZES = [int(n) for n in os.environ.get("HEEDBACK_BENCH_INSIGHTS_SIZES", DEFAULT_SIZES).split(",")]
DATABASES = os.environ.get("HEEDBACK_BENCH_INSIGHTS_DATABASES", "sqlite,postgresql").split(",")
POSTGRES = os.environ.get("HEEDBACK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
SCRATCH_DATABASE = "heedback_bench_insights"
SAVED = os.environ.get("HEEDBACK_BENCH_INSIGHTS_SAVED", "")
TAIL = 10_000
CHUNK = 500_000
FIRST_DAY = "2024-11-01"
DAYS = 730
HOTELS = 180
REGIONS = 19
CHANNELS = ("qr", "email", "web", "kiosk", "paper")
ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------------------------
# The parent: one child per database, then the report
# --------------------------------------------------------------------------------------------


def run() -> tuple[list[tuple[str, str, str]], list[str]]:
    """Return the rows of this section and its notes (called by bench/run.py)."""
    rows: list[tuple[str, str, str]] = []
    sizes = ",".join(str(size) for size in SIZES)
    notes: list[str] = [f"Sizes measured: `HEEDBACK_BENCH_INSIGHTS_SIZES={sizes}`.", ""]
    curves: list[str] = []
    for database in DATABASES:
        result = _saved(database) if SAVED else None
        if result is None:
            result = _measure_in_child(database)
        if result is None:
            notes.append(f"- {database}: not measured (no server reachable).")
            continue
        rows.extend(_rows_of(database, result))
        notes.extend(_notes_of(database, result))
        curves.extend(_curve_of(database, result))
    notes.extend(["", *curves] if curves else [])
    notes.extend(
        [
            "",
            "p95 over 100 warm runs (20 for the overview not remembered), so that one stall",
            "of this shared machine cannot make the figure (a p95 of 30 runs rests on the two",
            "slowest), in a process whose start-up objects are frozen out of the garbage",
            "collector's sight, as in `heedback.wsgi`. Before the dashboards are read, the",
            "worker's next rounds bring the watermark up to the newest response, as they do",
            "within seconds when served. The rebuild's peak memory is that of the command's",
            "own process (`VmHWM`); the database server's is apart (`work_mem` is 256 MB).",
            "The baseline (median of 3) is the foundation's query: answers joined to",
            "responses, grouped by the month of `submitted_at` in the organisation's time",
            "zone (by unit: by `unit_id`), i.e. what `compute_metric` did before the rollups.",
            "“tail” = the same query with 10,000 responses not yet rolled up, read from raw rows",
            "in the same statement; “refresh” = the worker's `refresh_rollups` counting them.",
            "Warm figures read remembered rollup reads (`insights/read_cache.py`: keyed by the",
            "organisation's rollup version and the not-yet-counted tail, so never stale); “not",
            "remembered” = the cache emptied before each run: the first read after a change.",
            "DuckDB: warm p95 over 100 runs of the same breakdown (value counts grouped by month",
            "or unit, NPS computed from them) read from a Parquet file of the raw responses",
            "(one row per response: unit, channel, local day, NPS answer) written in the same",
            "run; its NPS per group equals `compute_metric`'s to 1e-9 (checked each level).",
        ]
    )
    return rows, notes


def _saved(database: str) -> dict | None:
    """Return a saved result; from a stopped run's log, the levels it finished."""
    saved, log = Path(SAVED, f"{database}.json"), Path(SAVED, f"insights-{database}.log")
    if saved.exists():
        return json.loads(saved.read_text())
    if not log.exists():
        return None
    levels = [
        json.loads(line.split(": ", 1)[1])
        for line in log.read_text().splitlines()
        if line.startswith("[insights bench] ") and ": {" in line
    ]
    return {"generate_seconds": float("nan"), "levels": levels, "stopped": True} if levels else None


def _curve_of(database: str, result: dict) -> list[str]:
    """Return the table of a dashboard's cost against the number of responses."""
    lines = [
        f"Cost of a dashboard against the number of responses, {_NAMES[database]} (p95, ms):",
        "",
        "| responses | overview page | overview, not remembered | metrics API, NPS by month "
        "| API, not remembered | `compute_metric` by unit "
        "| DuckDB by month | DuckDB by unit | raw GROUP BY by month |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    nan = float("nan")
    for level in result["levels"]:
        lines.append(
            f"| {level['responses']:,} | {level.get('overview', nan):.1f} "
            f"| {level.get('overview_cold', nan):.1f} "
            f"| {level['api_by_month']:.1f} | {level.get('api_by_month_cold', nan):.1f} "
            f"| {level['nps_by_unit']:.1f} "
            f"| {level.get('duckdb_by_month', float('nan')):.1f} "
            f"| {level.get('duckdb_by_unit', float('nan')):.1f} | {level['raw_by_month']:,.0f} |"
        )
    return [*lines, ""]


def _measure_in_child(database: str) -> dict | None:
    return measure_in_child(__file__, database, SIZES, "INSIGHTS", SCRATCH_DATABASE)


def measure_in_child(
    script: str, database: str, sizes: list[int], marker: str, scratch: str
) -> dict | None:
    """Run ``script --measure SIZES`` on a fresh database; return the JSON after ``marker``.

    Each benchmark of rollups (this one, ``drivers``) measures in a child process, so that
    its Django settings point at a scratch data folder or PostgreSQL database of its own.
    """
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="heedback.settings")
    env["HEEDBACK_DATA_DIR"] = tempfile.mkdtemp(prefix=f"heedback-bench-{marker.lower()}-")
    if database == "postgresql":
        if not _reset_postgres(scratch):
            return None
        env["HEEDBACK_DATABASE_URL"] = f"{POSTGRES}/{scratch}"
    else:
        env.pop("HEEDBACK_DATABASE_URL", None)
    # The child's log goes to a file as it is written, so that a run stopped for time
    # still leaves the levels it finished (``_saved`` reads them).
    folder = SAVED or env["HEEDBACK_DATA_DIR"]
    log = Path(folder, f"{marker.lower()}-{database}.log")
    try:
        with log.open("w") as stderr:
            child = subprocess.run(
                [sys.executable, script, "--measure", ",".join(map(str, sizes))],
                env=env,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
    finally:
        if database == "postgresql":
            _drop_postgres(scratch)
    sys.stderr.write(log.read_text()[-3000:])
    line = next((x for x in child.stdout.splitlines() if x.startswith(f"{marker} ")), None)
    if child.returncode != 0 or line is None:
        raise RuntimeError(f"the {database} measurement failed")
    return json.loads(line.removeprefix(f"{marker} "))


def _reset_postgres(scratch: str) -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True, connect_timeout=5) as db:
            db.execute(f"DROP DATABASE IF EXISTS {scratch}")
            db.execute(f"CREATE DATABASE {scratch}")
    except Exception:
        return False
    return True


def _drop_postgres(scratch: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")


_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _rows_of(database: str, result: dict) -> list[tuple[str, str, str]]:
    name, nan = _NAMES[database], float("nan")
    rows = []
    for level in result["levels"]:
        n = f"{name}, {level['responses']:,}"
        month, unit, api = level["nps_by_month"], level["nps_by_unit"], level["api_by_month"]
        rows += [
            (
                f"{n}: NPS by month, whole organisation (`compute_metric`)",
                f"{month:.1f} ms p95 vs {level['raw_by_month']:,.0f} ms from raw rows",
                f"{level['raw_by_month'] / month:,.0f}× faster",
            ),
            (
                f"{n}: NPS by unit, 180 hotels",
                f"{unit:.1f} ms p95 vs {level['raw_by_unit']:,.0f} ms from raw rows",
                f"{level['raw_by_unit'] / unit:,.0f}× faster",
            ),
            (
                f"{n}: NPS by unit, 180 hotels, read not remembered",
                f"{level.get('nps_by_unit_cold', nan):.1f} ms p95",
                "—",
            ),
            (
                f"{n}: `GET /api/v1/metrics` NPS by month",
                f"{api:.1f} ms p95; read not remembered "
                f"{level.get('api_by_month_cold', nan):.1f} ms, and "
                f"{level['tail_by_month']:.1f} ms with {TAIL:,} responses not rolled up yet",
                f"DuckDB by month {level['duckdb_by_month']:.1f} ms: the API is "
                f"{level['duckdb_by_month'] / api:,.1f}× faster",
            ),
            (f"{n}: results page, last 12 months", f"{level['page']:.0f} ms p95", "—"),
            (
                f"{n}: organisation overview page",
                f"{level['overview']:.0f} ms p95; reads not remembered "
                f"{level.get('overview_cold', nan):.0f} ms",
                f"DuckDB over Parquet: {level['duckdb_by_month']:.0f} ms by month, "
                f"{level['duckdb_by_unit']:.0f} ms by unit",
            ),
            (
                f"{n}: `heedback rebuild-rollups`",
                f"{level['rebuild_per_minute']:,.0f} responses/min, "
                f"peak memory {level['rebuild_rss_mb']:.0f} MB",
                f"worker catch-up {level['catch_up_per_minute']:,.0f}/min",
            ),
        ]
    return rows


def _notes_of(database: str, result: dict) -> list[str]:
    lines = [f"- {_NAMES[database]}: inserting the data took {result['generate_seconds']:.0f} s."]
    if result.get("stopped"):
        sizes = ", ".join(f"{level['responses']:,}" for level in result["levels"])
        lines = [f"- {_NAMES[database]}: the run was stopped for time after {sizes} responses."]
    for level in result["levels"]:
        lines.append(
            f"  - {level['responses']:,} responses, {level['answers']:,} answers: "
            f"{level['day_rows']:,} day and {level['month_rows']:,} month rows per unit; the "
            f"two-year NPS trend reads {level['trend_rows']:,} organisation-wide rows "
            f"({level['unit_trend_rows']:,} by unit); the worker counted "
            f"{TAIL:,} new responses at {level['refresh_per_minute']:,.0f}/min"
            + (
                f"; load average {level['load_average']:.1f} on {os.cpu_count()} cores."
                if "load_average" in level
                else "."
            )
        )
    return lines


# --------------------------------------------------------------------------------------------
# The child: build, grow and measure one database
# --------------------------------------------------------------------------------------------


def measure(sizes: list[int]) -> dict:
    """Grow the data level by level and measure each level (in a prepared Django process)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    world = _build_world()
    levels, generate_seconds = [], 0.0
    for size in sizes:
        started = time.perf_counter()
        _grow(world, size)
        generate_seconds += time.perf_counter() - started
        levels.append(_measure_level(world))
        _log(f"{size:,}: {json.dumps(levels[-1])}")
    return {"generate_seconds": generate_seconds, "levels": levels}


def _log(text: str) -> None:
    sys.stderr.write(f"[insights bench] {text}\n")
    sys.stderr.flush()


def _build_world() -> dict:
    from heedback.collect.services import publish_and_open_links
    from heedback.onboarding import create_organisation
    from heedback.orgs import services as org_services
    from heedback.orgs.models import Membership, Unit
    from heedback.surveys import services as survey_services

    organisation = create_organisation(name="Bench Hotels", slug="bench", time_zone="UTC")
    root = Unit.objects.get(organisation=organisation, parent=None)
    regions = [
        org_services.create_unit(organisation, name=f"Region {index}", parent=root, kind="region")
        for index in range(REGIONS)
    ]
    hotels = [
        org_services.create_unit(
            organisation, name=f"Hotel {index}", parent=regions[index % REGIONS]
        )
        for index in range(HOTELS)
    ]
    survey = survey_services.create_survey_from_template(
        organisation, template_key="hotel_stay", name="Stay card"
    )
    publish_and_open_links(survey)
    survey.refresh_from_db()
    owner = org_services.create_user(
        email="owner@bench.example",
        password="bench-password",  # noqa: S106 - a throwaway login in a scratch database
    )
    org_services.add_member(organisation, owner, role="owner")
    key = org_services.create_api_key(organisation, name="bench", role="admin")
    _create_hotel_table([hotel.pk for hotel in hotels])
    return {
        "organisation": organisation,
        "survey": survey,
        "owner": Membership.objects.get(user=owner).user,
        "api_secret": key.secret,
        "responses": 0,
    }


def _create_hotel_table(hotel_ids: list[int]) -> None:
    """Give each hotel an index and a quality from 0.45 to 0.95, for the generator."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_hotel (idx integer PRIMARY KEY, unit_id bigint, quality real)"
        )
        cursor.executemany(
            "INSERT INTO bench_hotel (idx, unit_id, quality) VALUES (%s, %s, %s)",
            [
                (idx, unit_id, 0.45 + 0.5 * ((idx * 37) % 100) / 100)
                for idx, unit_id in enumerate(hotel_ids)
            ],
        )


def _grow(world: dict, size: int) -> None:
    while world["responses"] < size:
        count = min(CHUNK, size - world["responses"])
        _insert(world, count)
        _log(f"inserted {world['responses']:,}")
    _analyse()


def _insert(world: dict, count: int) -> None:
    """Insert ``count`` responses and their answers in one transaction, inside the database."""
    from django.db import connection, transaction

    from heedback.collect.models import Response

    sql = _Sql(connection.vendor)
    first = world["responses"] + 1
    last = world["responses"] + count
    with transaction.atomic(), connection.cursor() as cursor:
        before = Response.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        cursor.execute(sql.responses(world, first, last))
        cursor.execute(sql.all_answers(before))
    world["responses"] = last


def _analyse() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


class _Sql:
    """The generator's SQL, spelled for SQLite or PostgreSQL."""

    def __init__(self, vendor: str) -> None:
        self.is_postgres = vendor == "postgresql"

    def uniform(self) -> str:
        if self.is_postgres:
            return "random()"
        return "((random() & 1073741823) / 1073741824.0)"

    def responses(self, world: dict, first: int, last: int) -> str:
        from heedback.collect.models import Response

        survey = world["survey"]
        known = {
            "organisation_id": str(world["organisation"].pk),
            "survey_id": str(survey.pk),
            "version_id": str(survey.published_version_id),
            "unit_id": "h.unit_id",
            "channel": self._channel(),
            "idempotency_key": "'b' || s.g",
            "submitted_at": self._submitted_at(),
            "received_at": self._submitted_at(),
            "local_date": self._local_date(),
        }
        columns, values = _columns(Response, known)
        u = self.uniform()
        if self.is_postgres:
            source = (
                f"(SELECT g, {u} AS ru, {u} AS rd, {u} AS rc, floor({u} * 24) AS hour "
                f"FROM generate_series({first}, {last}) AS g) s"
            )
            prefix = ""
        else:
            prefix = (
                f"WITH RECURSIVE n(g) AS (SELECT {first} UNION ALL SELECT g + 1 FROM n "
                f"WHERE g < {last}), s AS MATERIALIZED (SELECT g, {u} AS ru, {u} AS rd, "
                f"{u} AS rc, abs(random()) % 24 AS hour FROM n) "
            )
            source = "s"
        hotel = f"CAST((s.ru + s.ru * s.ru) / 2 * {HOTELS} AS integer)"
        if self.is_postgres:
            hotel = f"floor((s.ru + s.ru * s.ru) / 2 * {HOTELS})::integer"
        # In time order, as responses arrive: ids then follow the days, as in real data.
        return (
            f"{prefix}INSERT INTO {Response._meta.db_table} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM {source} JOIN bench_hotel h ON h.idx = {hotel} "
            f"ORDER BY {self._local_date()}, s.hour"
        )

    def _local_date(self) -> str:
        if self.is_postgres:
            return f"(date '{FIRST_DAY}' + floor(s.rd * {DAYS})::integer)"
        return f"date('{FIRST_DAY}', '+' || CAST(s.rd * {DAYS} AS integer) || ' days')"

    def _submitted_at(self) -> str:
        if self.is_postgres:
            hour = "make_interval(hours => s.hour::integer)"
            return f"(({self._local_date()} + {hour}) AT TIME ZONE 'UTC')"
        return f"({self._local_date()} || printf(' %02d:30:00', s.hour))"

    def _channel(self) -> str:
        shift = "CASE WHEN s.rc < 0.6 THEN 0 WHEN s.rc < 0.9 THEN 1 ELSE 2 END"
        cases = " ".join(f"WHEN {index} THEN '{name}'" for index, name in enumerate(CHANNELS))
        return f"CASE (h.idx + {shift}) % {len(CHANNELS)} {cases} END"

    def answers(self) -> list[tuple[str, float, str]]:
        """Return (question, share answering, SQL of the value) for the hotel-stay survey."""
        u = self.uniform()
        if self.is_postgres:
            drift = f"(r.local_date - date '{FIRST_DAY}') / {DAYS}.0"
        else:
            drift = f"(julianday(r.local_date) - julianday('{FIRST_DAY}')) / {DAYS}.0"
        quality = f"(h.quality + 0.1 * ({drift} - 0.5))"
        nps = f"round(10 * {quality} + ({u} + {u} + {u} - 1.5) * 3.5)"
        return [
            ("nps", 1.0, self._clamp(nps, 0, 10)),
            ("staff", 0.9, self._clamp(f"round(1 + 4 * {quality} + ({u} - 0.5) * 2.5)", 1, 5)),
            (
                "room_cleanliness",
                0.85,
                self._clamp(f"round(1.3 + 3.8 * {quality} + ({u} - 0.5) * 2)", 1, 5),
            ),
            (
                "food_quality",
                0.55,
                self._clamp(f"round(0.6 + 4 * {quality} + ({u} - 0.5) * 3)", 1, 5),
            ),
            ("comment", 0.2, ""),
        ]

    def _clamp(self, value: str, low: int, high: int) -> str:
        if self.is_postgres:
            return f"LEAST({high}, GREATEST({low}, {value}))::integer"
        return f"CAST(min({high}, max({low}, {value})) AS integer)"

    def all_answers(self, after_id: int) -> str:
        """Return one statement inserting every answer, a response's answers together."""
        from heedback.collect.models import Answer

        parts = " UNION ALL ".join(
            self._answer(key, share, value, after_id) for key, share, value in self.answers()
        )
        return (
            f"INSERT INTO {Answer._meta.db_table} (response_id, question_key, number, text, "
            f"choices) SELECT response_id, question_key, number, text, NULL FROM ({parts}) x "
            "ORDER BY response_id"
        )

    def _answer(self, question_key: str, share: float, value: str, after_id: int) -> str:
        from heedback.collect.models import Response

        if value:
            number, text = value, "''"
        else:
            number = "NULL"
            text = (
                f"CASE CAST({self.uniform()} * 4 AS integer) WHEN 0 THEN 'Lovely stay' "
                "WHEN 1 THEN 'Room was cold' WHEN 2 THEN 'Great breakfast' "
                "ELSE 'Slow check-in' END"
            )
        sample = "" if share >= 1 else f" AND {self.uniform()} < {share}"
        return (
            f"SELECT r.id AS response_id, '{question_key}' AS question_key, "
            f"{number} AS number, {text} AS text "
            f"FROM {Response._meta.db_table} r JOIN bench_hotel h ON h.unit_id = r.unit_id "
            f"WHERE r.id > {after_id}{sample}"
        )


def _columns(model, known: dict[str, str]) -> tuple[list[str], list[str]]:
    """Return the insert columns and values: the known ones, and defaults for the rest.

    Other apps add fields to responses; a plain default keeps the generator working.
    """
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.column in known:
            values.append(known[field.column])
        elif field.null:
            values.append("NULL")
        elif field.get_internal_type() in {"CharField", "TextField"}:
            values.append("''")
        elif field.get_internal_type() == "BooleanField":
            values.append("false")
        else:
            values.append("0")
    return columns, values


def _measure_level(world: dict) -> dict:
    from heedback.collect.models import Answer, Response
    from heedback.insights.models import AnswerRollup, OrganisationRollup

    survey = world["survey"]
    level = {
        "responses": Response.objects.filter(survey=survey).count(),
        "answers": Answer.objects.filter(response__survey=survey).count(),
    }
    level.update(_catch_up())
    level.update(_rebuild())
    _settle()
    level.update(_dashboards(world))
    level.update(_duckdb(world))
    level["month_rows"] = AnswerRollup.objects.filter(grain="month").count()
    level["day_rows"] = AnswerRollup.objects.filter(grain="day").count()
    level["trend_rows"] = OrganisationRollup.objects.filter(
        grain="month", question_key="nps"
    ).count()
    level["unit_trend_rows"] = AnswerRollup.objects.filter(
        grain="month", question_key="nps"
    ).count()
    level.update(_baseline(world))
    level.update(_tail(world))
    level["load_average"] = os.getloadavg()[0]
    return level


def _catch_up() -> dict:
    """Let the worker's refresh count what was inserted; return its throughput."""
    from heedback.collect.models import Response
    from heedback.insights.models import RollupState
    from heedback.insights.services import refresh_rollups

    state = RollupState.objects.first()
    before = state.watermark if state else 0
    pending = Response.objects.filter(pk__gt=before).count()
    started = time.perf_counter()
    added = 0
    while True:
        step = refresh_rollups(time_budget=float("inf"))
        added += step
        if not step:
            break
    seconds = time.perf_counter() - started
    if added != pending:
        raise RuntimeError(f"the refresh counted {added}, not {pending}")
    return {"catch_up_per_minute": pending / seconds * 60}


# Runs `heedback rebuild-rollups` and then prints the peak memory of this process's own
# address space (``VmHWM``). The child's ``ru_maxrss`` would not do: the child starts as a
# vfork of this big process, and Linux carries that address space's peak over the exec.
_REBUILD_CHILD = """
import atexit, sys

def report():
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    sys.stdout.write(f"PEAK_KB {peak}\\n")

atexit.register(report)
from heedback.cli import main
main(["heedback", "rebuild-rollups", "--org", "bench"])
"""


def _rebuild() -> dict:
    """Run `heedback rebuild-rollups` as a subprocess; return throughput and its peak memory."""
    from heedback.collect.models import Response

    total = Response.objects.count()
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", _REBUILD_CHILD],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    seconds = time.perf_counter() - started
    peak = [line.split()[1] for line in child.stdout.splitlines() if line.startswith("PEAK_KB")]
    if child.returncode != 0 or not peak:
        raise RuntimeError("rebuild-rollups failed")
    return {
        "rebuild_seconds": seconds,
        "rebuild_per_minute": total / seconds * 60,
        "rebuild_rss_mb": int(peak[0]) / 1024,
    }


def _settle() -> None:
    """Let the worker's next rounds bring the watermark up to the newest response.

    On PostgreSQL the refresh first counts the newest responses through its ledger and
    moves the watermark past them a round later, once no older transaction can still
    commit below them; the worker does that within seconds. Until then every read also
    checks the ledger's responses (tens of ms at 10^5 listed), so measured before it, the
    warm figures were those of the seconds after an import, not of a served dashboard.
    The figures with responses not counted yet are measured apart (``_tail``).
    """
    from heedback.collect.models import Response
    from heedback.insights.models import RollupState
    from heedback.insights.services import refresh_rollups

    highest = Response.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for _attempt in range(20):
        if RollupState.objects.get().watermark >= highest:
            return
        refresh_rollups()
        time.sleep(0.05)
    raise RuntimeError("the watermark did not reach the newest response")


def _p95(function, runs: int = 100, warm: int = 3) -> float:
    for _ in range(warm):
        function()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.quantiles(samples, n=20)[-1]


def _median(function, runs: int = 3) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _query(world: dict, group_by: str):
    from heedback.insights.selectors import MetricQuery

    return MetricQuery(
        organisation=world["organisation"], survey=world["survey"], metric="nps", group_by=group_by
    )


def _dashboards(world: dict) -> dict:
    import gc

    from django.test import Client

    from heedback.insights.selectors import compute_metric

    # As the served process does (``heedback.wsgi``): what start-up made is moved out of
    # the collector's sight. Without it, one request in ten or twenty here paid a full
    # collection of ~200,000 long-lived objects (130-180 ms), a cost of this process's
    # history, not of the page.
    gc.collect()
    gc.freeze()

    by_month, by_unit = _query(world, "month"), _query(world, "unit")
    api = Client(HTTP_HOST="127.0.0.1", headers={"Authorization": f"Bearer {world['api_secret']}"})
    url = f"/api/v1/metrics?survey={world['survey'].pk}&metric=nps&group_by=month"
    assert api.get(url).status_code == 200
    page = Client(HTTP_HOST="127.0.0.1")
    page.force_login(world["owner"])
    page_url = f"/o/bench/surveys/{world['survey'].pk}/results/"
    assert page.get(page_url).status_code == 200
    overview_url = f"/o/bench/dashboard/?survey={world['survey'].pk}"
    assert page.get(overview_url).status_code == 200
    return {
        "nps_by_month": _p95(lambda: compute_metric(by_month)),
        "nps_by_unit": _p95(lambda: compute_metric(by_unit)),
        "nps_by_unit_cold": _p95(_forgetting(lambda: compute_metric(by_unit))),
        "api_by_month": _p95(lambda: api.get(url)),
        "api_by_month_cold": _p95(_forgetting(lambda: api.get(url))),
        "page": _p95(lambda: page.get(page_url)),
        "overview": _p95(lambda: page.get(overview_url)),
        "overview_cold": _p95(_forgetting(lambda: page.get(overview_url)), runs=20),
    }


def _forgetting(function):
    """Return ``function`` run with an empty cache: the first read after the data changed."""
    from django.core.cache import cache

    def run():
        cache.clear()
        function()

    return run


def _duckdb(world: dict) -> dict:
    """Write the raw responses to Parquet, time DuckDB's breakdowns, check they agree."""
    import duckdb

    from heedback.insights.metrics import nps
    from heedback.insights.selectors import compute_metric

    folder = Path(tempfile.mkdtemp(prefix="heedback-bench-parquet-"))
    parquet = folder / "responses.parquet"
    started = time.perf_counter()
    _write_parquet(parquet)
    export_seconds = time.perf_counter() - started
    database = duckdb.connect()
    grouped = {
        "month": "date_trunc('month', local_date)::date",
        "unit": "unit_id",
    }

    def breakdown(group_by: str) -> dict:
        rows = database.execute(
            f"SELECT {grouped[group_by]} AS g, nps, count(*) FROM read_parquet('{parquet}') "
            "WHERE nps IS NOT NULL GROUP BY ALL"
        ).fetchall()
        histograms: dict = {}
        for group, value, count in rows:
            histograms.setdefault(group, {})[int(value)] = count
        return {str(group): nps(histogram).value for group, histogram in histograms.items()}

    agree = True
    for group_by in grouped:
        ours = {row.group: row.value for row in compute_metric(_query(world, group_by)).rows}
        theirs = breakdown(group_by)
        if ours.keys() != theirs.keys() or any(abs(ours[key] - theirs[key]) > 1e-9 for key in ours):
            agree = False
    if not agree:
        raise RuntimeError("DuckDB's NPS per group differs from compute_metric's")
    result = {
        "duckdb_by_month": _p95(lambda: breakdown("month")),
        "duckdb_by_unit": _p95(lambda: breakdown("unit")),
        "parquet_mb": parquet.stat().st_size / 1e6,
        "parquet_export_seconds": export_seconds,
    }
    database.close()
    parquet.unlink()
    folder.rmdir()
    return result


def _write_parquet(parquet: Path, step: int = 500_000) -> None:
    """Copy the survey's responses with their NPS answer to Parquet, a range of ids at a time."""
    import duckdb
    import pandas
    from django.db import connection

    from heedback.collect.models import Answer, Response

    database = duckdb.connect()
    database.execute(
        "CREATE TABLE responses (id BIGINT, unit_id BIGINT, channel VARCHAR, "
        "local_date DATE, nps INTEGER)"
    )
    highest = Response.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with connection.cursor() as cursor:
        for after in range(0, highest, step):
            cursor.execute(
                f"SELECT r.id, r.unit_id, r.channel, r.local_date, a.number "
                f"FROM {Response._meta.db_table} r LEFT JOIN {Answer._meta.db_table} a "
                "ON a.response_id = r.id AND a.question_key = 'nps' "
                "WHERE r.id > %s AND r.id <= %s",
                [after, after + step],
            )
            frame = pandas.DataFrame(
                cursor.fetchall(), columns=["id", "unit_id", "channel", "local_date", "nps"]
            )
            frame["local_date"] = pandas.to_datetime(frame["local_date"]).dt.date
            frame["nps"] = pandas.to_numeric(frame["nps"]).astype("Int64")
            database.execute("INSERT INTO responses SELECT * FROM frame")
    database.execute(f"COPY responses TO '{parquet}' (FORMAT parquet)")
    database.close()


def _baseline(world: dict) -> dict:
    """Time the foundation's GROUP BY over the raw rows (what compute_metric did before)."""
    import zoneinfo

    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from heedback.collect.models import Answer
    from heedback.insights.metrics import nps

    zone = zoneinfo.ZoneInfo(world["organisation"].time_zone)
    answers = Answer.objects.filter(
        response__survey=world["survey"], question_key="nps", number__isnull=False
    )

    def grouped(group) -> None:
        histograms: dict = {}
        rows = answers.annotate(group=group).values("group", "number").annotate(count=Count("id"))
        for group_value, number, count in rows.values_list("group", "number", "count"):
            histograms.setdefault(group_value, {})[number] = count
        for histogram in histograms.values():
            nps(histogram)

    from django.db.models import F

    return {
        "raw_by_month": _median(lambda: grouped(TruncMonth("response__submitted_at", tzinfo=zone))),
        "raw_by_unit": _median(lambda: grouped(F("response__unit_id"))),
    }


def _tail(world: dict) -> dict:
    """Add 10,000 responses without rolling them up; read with them; then let the worker count."""
    from django.test import Client

    from heedback.insights.services import refresh_rollups

    _insert(world, TAIL)
    _analyse()
    api = Client(HTTP_HOST="127.0.0.1", headers={"Authorization": f"Bearer {world['api_secret']}"})
    url = f"/api/v1/metrics?survey={world['survey'].pk}&metric=nps&group_by=month"
    tail_ms = _p95(_forgetting(lambda: api.get(url)))
    started = time.perf_counter()
    added = refresh_rollups() + refresh_rollups()
    seconds = time.perf_counter() - started
    if added != TAIL:
        raise RuntimeError(f"the refresh counted {added}, not {TAIL}")
    return {"tail_by_month": tail_ms, "refresh_per_minute": TAIL / seconds * 60}


def child_main(measure_sizes, sizes: list[int], marker: str) -> None:
    """Prepare Django in the child, measure, and print the result after ``marker``."""
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    result = measure_sizes(sizes)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{marker} " + json.dumps(result))


def _save(database: str) -> None:
    """Measure one database and keep its result in ``HEEDBACK_BENCH_INSIGHTS_SAVED``."""
    if not SAVED:
        raise SystemExit("set HEEDBACK_BENCH_INSIGHTS_SAVED to a folder")
    Path(SAVED).mkdir(parents=True, exist_ok=True)
    result = _measure_in_child(database)
    if result is not None:
        Path(SAVED, f"{database}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        child_main(measure, [int(n) for n in sys.argv[2].split(",")], "INSIGHTS")
    elif len(sys.argv) > 2 and sys.argv[1] == "--save":
        _save(sys.argv[2])
