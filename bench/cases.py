"""The case list at 100,000 cases: the page and `GET /api/v1/cases`, filtered and paged.

One organisation of 111 units (a root, 10 regions, 100 hotels) and 40 people who work
cases holds 100,000 cases opened over the last 180 days, 30% of them open. Each request
goes through Django's whole stack (`django.test.Client`: middleware, the session or the
API key, the view, the template or the JSON); each is repeated and its p95 reported
against the issue's goal of 200 ms. The baseline, measured in the same run, is the
database alone: the same filtered page of 50 cases read by one bare ORM query of the
columns a row shows. The machine is shared: the load average is noted.

SQLite always; PostgreSQL when ``HEEDBACK_DATABASE_URL`` names a PostgreSQL server or
``HEEDBACK_BENCH_CASES_DATABASES`` asks (a scratch database, created and dropped here).
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

import child_databases  # bench/child_databases.py

CASES = int(os.environ.get("HEEDBACK_BENCH_CASES", "100000"))
REPEATS = 15
GOAL_MS = 200.0
TITLE = f"Case list: {CASES:,} cases filtered and paged (page and API)"
SCRATCH_DATABASE = "heedback_bench_cases"
ROOT = Path(__file__).resolve().parent.parent
OPEN = ("new", "in_progress", "waiting", "reopened")
DONE = ("resolved", "closed")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(function, repeats: int = REPEATS) -> list[float]:
    """Return the wall times of ``function`` in milliseconds, after one warm-up call."""
    function()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


# --- the data -------------------------------------------------------------------------------


def build() -> dict:
    """Create the organisation, its people and CASES cases; return what the requests need."""
    from django.utils import timezone

    from heedback.loop.models import Case
    from heedback.onboarding import create_organisation
    from heedback.orgs import services as orgs
    from heedback.orgs.models import Unit

    organisation = create_organisation(name="Bench", slug="bench")
    root = Unit.objects.get(organisation=organisation, parent__isnull=True)
    regions = [orgs.create_unit(organisation, name=f"Region {n}", parent=root) for n in range(10)]
    hotels = [
        orgs.create_unit(organisation, name=f"Hotel {r}-{n}", parent=region)
        for r, region in enumerate(regions)
        for n in range(10)
    ]
    members = []
    for number in range(40):
        user = orgs.create_user(email=f"staff{number}@example.com", password=None)
        role = "manager" if number % 2 == 0 else "frontline"
        members.append(orgs.add_member(organisation, user, role=role, unit=hotels[number]))
    admin = orgs.create_user(email="admin@example.com", password=None)
    orgs.add_member(organisation, admin, role="admin")
    key = orgs.create_api_key(organisation, name="bench", role="admin")

    generator = random.Random(5)
    now = timezone.now()
    batch = []
    for number in range(CASES):
        opened = now - timedelta(minutes=generator.randrange(180 * 24 * 60))
        status = generator.choice(OPEN) if generator.random() < 0.3 else generator.choice(DONE)
        due = opened + timedelta(hours=generator.choice((4, 24, 48)))
        unit = generator.choice(hotels)
        owner = generator.choice(members) if generator.random() > 0.05 else None
        batch.append(
            Case(
                organisation=organisation,
                title=f"Case {number}",
                status=status,
                priority=generator.choice(("low", "normal", "normal", "high", "urgent")),
                source="rule",
                unit=unit,
                owner=owner,
                due_at=due,
                next_escalation_at=due if status in OPEN else None,
                opened_at=opened,
                resolved_at=opened + timedelta(hours=20) if status in DONE else None,
            )
        )
        if len(batch) == 5000:
            Case.objects.bulk_create(batch)
            batch = []
    Case.objects.bulk_create(batch)
    return {
        "organisation": organisation,
        "admin": admin,
        "secret": key.secret,
        "region": regions[3],
        "hotel": hotels[42],
        "owner": members[7],
    }


# --- the measurement ------------------------------------------------------------------------


def scenarios(world: dict) -> list[tuple[str, str, dict, dict]]:
    """Return (what, path, query, the equivalent filters) for page and API requests."""
    region, hotel, owner = world["region"], world["hotel"], world["owner"]
    return [
        ("page: open cases (default), page 1", "/o/bench/cases/", {}, {"status": "open"}),
        (
            "page: all cases, page 1,000 of 2,000",
            "/o/bench/cases/",
            {"status": "all", "page": 1000},
            {"status": "all", "offset": 49_950},
        ),
        (
            "page: a region's subtree, open",
            "/o/bench/cases/",
            {"unit": region.pk},
            {"status": "open", "unit": region},
        ),
        (
            "page: one owner, all, page 5",
            "/o/bench/cases/",
            {"status": "all", "owner": owner.pk, "page": 5},
            {"status": "all", "owner": owner, "offset": 200},
        ),
        (
            "page: overdue only",
            "/o/bench/cases/",
            {"overdue": "on"},
            {"status": "open", "overdue": True},
        ),
        (
            "API: open cases, limit 50",
            "/api/v1/cases",
            {},
            {"status": "open"},
        ),
        (
            "API: resolved in a hotel, offset 100",
            "/api/v1/cases",
            {"status": "resolved", "unit": hotel.pk, "offset": 100},
            {"status": "resolved", "unit": hotel, "offset": 100},
        ),
        (
            "API: one owner's overdue cases",
            "/api/v1/cases",
            {"owner": owner.user.email, "overdue": "true"},
            {"status": "open", "owner": owner, "overdue": True},
        ),
        (
            "API: all cases, offset 50,000",
            "/api/v1/cases",
            {"status": "all", "offset": 50_000},
            {"status": "all", "offset": 50_000},
        ),
    ]


def bare_page(world: dict, filters: dict):
    """Return a function reading the same page with one bare query: the database alone."""
    from django.utils import timezone

    from heedback.loop.models import Case

    def read() -> list:
        cases = Case.objects.filter(organisation=world["organisation"])
        status = filters.get("status")
        if status == "open":
            cases = cases.filter(status__in=OPEN)
        elif status != "all":
            cases = cases.filter(status=status)
        if "unit" in filters:
            cases = cases.filter(unit__path__startswith=filters["unit"].path)
        if "owner" in filters:
            cases = cases.filter(owner=filters["owner"])
        if filters.get("overdue"):
            cases = cases.filter(due_at__lt=timezone.now())
        order = ("due_at", "pk") if status == "open" else ("-opened_at", "-pk")
        offset = filters.get("offset", 0)
        return list(
            cases.order_by(*order).values_list("pk", "title", "status", "due_at", "unit__name")[
                offset : offset + 50
            ]
        )

    return read


def measure() -> dict:
    """Build the data, then time every scenario and its baseline; return the figures."""
    from django.db import connection
    from django.test import Client

    started = time.perf_counter()
    world = build()
    build_seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    page_client = Client(HTTP_HOST="127.0.0.1")
    page_client.force_login(world["admin"])
    api_client = Client(
        HTTP_HOST="127.0.0.1", headers={"Authorization": f"Bearer {world['secret']}"}
    )
    results = []
    for what, path, query, filters in scenarios(world):
        client = api_client if path.startswith("/api/") else page_client
        status = client.get(path, query).status_code
        if status != 200:
            raise RuntimeError(f"{what}: HTTP {status}")
        ours = timed(lambda client=client, path=path, query=query: client.get(path, query))
        baseline = timed(bare_page(world, filters))
        results.append(
            {"what": what, "p95": percentile(ours, 0.95), "base": percentile(baseline, 0.95)}
        )
    return {
        "results": results,
        "build_seconds": build_seconds,
        "load": [round(value, 2) for value in os.getloadavg()],
    }


# --- the parent: one child per database -----------------------------------------------------


def run() -> tuple[list[tuple[str, str, str]], list[str]]:
    """Measure each database in a child process; return the rows and the notes."""
    rows: list[tuple[str, str, str]] = []
    notes = []
    for database in child_databases.databases("HEEDBACK_BENCH_CASES_DATABASES"):
        name = child_databases.NAMES[database]
        measured = child_databases.measure_in_child(
            __file__, database, marker="CASES", scratch=SCRATCH_DATABASE
        )
        worst = max(result["p95"] for result in measured["results"])
        for result in measured["results"]:
            rows.append(
                (
                    f"[{name}] {result['what']}",
                    f"p95 {result['p95']:.1f} ms (database alone {result['base']:.1f} ms)",
                    f"{result['p95'] / result['base']:.1f}× the bare query; "
                    f"{result['p95'] / GOAL_MS:.0%} of the goal",
                )
            )
        verdict = "**met**" if worst < GOAL_MS else "**not met**"
        notes.append(
            f"- {name}: {verdict} — the slowest request's p95 is {worst:.0f} ms against the "
            f"{GOAL_MS:.0f} ms goal; {CASES:,} cases built in {measured['build_seconds']:.0f} s; "
            f"load average (1 min) {measured['load'][0]:.1f} on {os.cpu_count()} cores."
        )
    notes += [
        "",
        f"Each request repeated {REPEATS} times after a warm-up, through `django.test.Client`",
        "(the whole Django stack, no network). Pages show 50 cases; the API returns 50.",
        "Both page the ids first along an index and read the 50 rows shown by id (a deferred",
        "join), so a deep page costs about what the first does; the count of matching cases",
        "is one more indexed query.",
    ]
    return rows, notes


if __name__ == "__main__" and sys.argv[1:] == ["--measure"]:
    child_databases.main(measure, "CASES")
