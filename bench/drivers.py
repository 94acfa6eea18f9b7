"""Drivers: key-driver analysis from the pairwise sums at 10^5 (and 10^6) responses.

The data is the insights benchmark's (``bench/insights.py``: 200 units, the hotel-stay
survey — NPS and three domain ratings — over 24 months, generated inside the database). At
each size, on SQLite and PostgreSQL, a child process measures:

- ``analyse_drivers`` (β, tests, R², Shapley, quadrant) reading the driver sums: warm p95
  for the whole organisation over all time, one region, and the last 90 days;
- the baseline: the same fit from raw rows (every response's answers read, summed in
  numpy, fitted) — what a driver analysis costs without the sums;
- the bootstrap on request (20,000 responses resampled 200 times);
- what the sums cost the rollups: an in-process rebuild with and without them;
- the not-yet-rolled-up tail: the fit with 10,000 fresh responses read from raw rows.

``HEEDBACK_BENCH_DRIVERS_SIZES`` (default 100000) and ``HEEDBACK_BENCH_DRIVERS_DATABASES``
(default sqlite,postgresql) choose what runs.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import timedelta
from unittest import mock

import insights as base  # bench/insights.py: the data generator and the timing helpers

TITLE = "Drivers: key-driver analysis from pairwise sums"
SIZES = [int(n) for n in os.environ.get("HEEDBACK_BENCH_DRIVERS_SIZES", "100000").split(",")]
DATABASES = os.environ.get("HEEDBACK_BENCH_DRIVERS_DATABASES", "sqlite,postgresql").split(",")
SCRATCH_DATABASE = "heedback_bench_drivers"
_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def run() -> tuple[list[tuple[str, str, str]], list[str]]:
    """Return the rows of this section and its notes (called by bench/run.py)."""
    rows: list[tuple[str, str, str]] = []
    notes = [f"Sizes measured: `HEEDBACK_BENCH_DRIVERS_SIZES={','.join(map(str, SIZES))}`.", ""]
    for database in DATABASES:
        result = _measure_in_child(database)
        if result is None:
            notes.append(f"- {database}: not measured (no server reachable).")
            continue
        for level in result["levels"]:
            rows.extend(_rows_of(_NAMES[database], level))
            notes.append(
                f"- {_NAMES[database]}, {level['responses']:,} responses: "
                f"{level['month_rows']:,} month and {level['day_rows']:,} day rows of driver "
                f"sums per unit; organisation-wide, all time reads "
                f"{level['organisation_month_rows']:,} month rows."
            )
    notes.extend(
        [
            "",
            "p95 over 30 warm runs; baseline and bootstrap: median of 3. The baseline reads",
            "every response's answers of the four questions and fits the same model in numpy.",
            "Rebuild: `services.rebuild_rollups` in-process, with the driver sums and with",
            "`driver_sql.add_driver_sums` switched off, same data, same run.",
        ]
    )
    return rows, notes


def _rows_of(name: str, level: dict) -> list[tuple[str, str, str]]:
    size = f"{level['responses']:,}"
    ratio = level["raw_fit"] / level["fit_all"]
    return [
        (
            f"{name}, {size}: drivers of NPS, whole organisation, all time",
            f"{level['fit_all']:.1f} ms p95 vs {level['raw_fit']:,.0f} ms from raw rows",
            f"{ratio:,.0f}× faster",
        ),
        (
            f"{name}, {size}: drivers of NPS, one region (9–10 hotels)",
            f"{level['fit_region']:.1f} ms p95",
            "—",
        ),
        (
            f"{name}, {size}: drivers of NPS, last 90 days",
            f"{level['fit_90_days']:.1f} ms p95",
            "—",
        ),
        (
            f"{name}, {size}: with 10,000 responses not rolled up yet",
            f"{level['fit_tail']:.1f} ms p95",
            f"the tail adds {level['fit_tail'] - level['fit_all']:+.1f} ms",
        ),
        (
            f"{name}, {size}: bootstrap intervals on request",
            f"{level['bootstrap']:,.0f} ms (20,000 rows × 200)",
            "—",
        ),
        (
            f"{name}, {size}: rebuild with driver sums",
            f"{level['rebuild_with']:,.0f} responses/min vs {level['rebuild_without']:,.0f} "
            "without",
            f"{level['rebuild_without'] / level['rebuild_with']:.2f}× the time",
        ),
    ]


def _measure_in_child(database: str) -> dict | None:
    return base.measure_in_child(__file__, database, SIZES, "DRIVERS", SCRATCH_DATABASE)


def measure(sizes: list[int]) -> dict:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    world = base._build_world()
    levels = []
    for size in sizes:
        base._grow(world, size)
        base._catch_up()
        levels.append(_measure_level(world))
        base._log(f"drivers {size:,}: {json.dumps(levels[-1])}")
    return {"levels": levels}


def _measure_level(world: dict) -> dict:
    from heedback.collect.models import Response
    from heedback.insights.models import DriverSum, OrganisationDriverSum

    level: dict = {"responses": Response.objects.count()}
    level.update(_rebuilds(world))
    level["month_rows"] = DriverSum.objects.filter(grain="month").count()
    level["day_rows"] = DriverSum.objects.filter(grain="day").count()
    level["organisation_month_rows"] = OrganisationDriverSum.objects.filter(grain="month").count()
    level.update(_fits(world))
    level.update(_tail(world))
    return level


def _rebuilds(world: dict) -> dict:
    from heedback.insights import driver_sql, services

    total = world["responses"]

    def rebuild() -> float:
        started = time.perf_counter()
        services.rebuild_rollups(world["organisation"])
        return total / (time.perf_counter() - started) * 60

    with mock.patch.object(driver_sql, "add_driver_sums", return_value=None):
        without = rebuild()
    return {"rebuild_without": without, "rebuild_with": rebuild()}


def _query(world: dict, **changes):
    from heedback.insights.driver_selectors import DriverQuery

    return DriverQuery(organisation=world["organisation"], survey=world["survey"], **changes)


def _fits(world: dict) -> dict:
    from heedback.collect.models import Response
    from heedback.insights import driver_sums, drivers, histograms
    from heedback.insights.driver_selectors import analyse_drivers
    from heedback.orgs.models import Unit

    region = Unit.objects.get(organisation=world["organisation"], name="Region 3")
    latest = Response.objects.order_by("-local_date").values_list("local_date", flat=True)[0]
    result = analyse_drivers(_query(world))
    if result.problem is not None or not result.rows:
        raise RuntimeError(f"no driver model: {result.problem}")
    keys = [result.outcome.key, *(row.key for row in result.rows)]
    scope = histograms.Scope(world["organisation"].pk, world["survey"].pk)

    def raw_fit() -> None:
        matrix = driver_sums.response_matrix(scope, keys, cap=10**9)
        drivers.fit(drivers.cross_products_of(matrix, keys), keys[0], keys[1:])

    return {
        "fit_all": base._p95(lambda: analyse_drivers(_query(world))),
        "fit_region": base._p95(lambda: analyse_drivers(_query(world, unit=region))),
        "fit_90_days": base._p95(
            lambda: analyse_drivers(
                _query(world, date_from=latest - timedelta(days=89), date_to=latest)
            )
        ),
        "raw_fit": base._median(raw_fit),
        "bootstrap": base._median(lambda: analyse_drivers(_query(world, with_bootstrap=True))),
    }


def _tail(world: dict) -> dict:
    from heedback.insights.driver_selectors import analyse_drivers
    from heedback.insights.services import refresh_rollups

    base._insert(world, base.TAIL)
    base._analyse()
    fit_tail = base._p95(lambda: analyse_drivers(_query(world)))
    refresh_rollups()
    refresh_rollups()
    return {"fit_tail": fit_tail}


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        base.child_main(measure, [int(n) for n in sys.argv[2].split(",")], "DRIVERS")
