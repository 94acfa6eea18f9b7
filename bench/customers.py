"""Customers: realistic interaction histories with known truth, lapse recomputation, pages.

The generator is pure Python (no Django), so the tests use it too: they check Heedback's
lapse flags against its ground truth and against an independent pandas computation.

**Histories.** Each customer belongs to a segment with a rhythm (weekly regulars, monthly,
quarterly, twice-yearly guests) and a regularity (gamma-distributed gaps: a high shape is
a clockwork regular, a low one an irregular visitor). Visits are busier in summer and in
December (seasonality multiplies the visit rate). Some customers only ever come once or
twice. Some *churn*: they stop for good at a random moment, and a third of churners stop
right after a bad experience (their last interaction is marked). Ground truth: who churned
and when they last came. ``answers_of`` adds the surveys they answered (NPS scores that
lean low for churners), for the churn analysis's lapse-after-score figures.
"""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

TITLE = "Customers: lapse recomputation, incremental refresh, customer pages"
CUSTOMERS = int(os.environ.get("HEEDBACK_BENCH_CUSTOMERS", "100000"))
SEED = 20260101
NOW = datetime(2026, 1, 1, tzinfo=UTC)
HISTORY_YEARS = 2.0

#: name, share of customers, mean gap in days, gamma shape, interaction kind, mean value
SEGMENTS = (
    ("weekly", 0.06, 7.0, 8.0, "visit", 18.0),
    ("fortnightly", 0.10, 14.0, 5.0, "order", 45.0),
    ("monthly", 0.30, 30.0, 4.0, "order", 80.0),
    ("quarterly", 0.26, 91.0, 3.0, "service_call", 140.0),
    ("twice_yearly", 0.18, 182.0, 3.0, "stay", 420.0),
    ("one_off", 0.10, 0.0, 0.0, "purchase", 60.0),
)
CHURN_SHARE = 0.25
BAD_EXPERIENCE_SHARE = 1 / 3


@dataclass
class SyntheticCustomer:
    """One generated customer and the truth about them."""

    external_id: str
    segment: str
    mean_gap_days: float
    kind: str
    times: list[datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)  # revenue, two decimals
    churned: bool = False
    bad_experience: bool = False  # the last interaction went badly, then they stopped

    @property
    def last_at(self) -> datetime | None:
        return self.times[-1] if self.times else None


def seasonal_rate(moment: datetime) -> float:
    """Return the visit rate multiplier: busier in summer and in December."""
    day = moment.timetuple().tm_yday
    summer = 0.25 * math.cos(2 * math.pi * (day - 200) / 365)
    december = 0.3 if moment.month == 12 else 0.0
    return 1.0 + summer + december


def _segment(rng: random.Random) -> tuple:
    pick = rng.random()
    for segment in SEGMENTS:
        pick -= segment[1]
        if pick <= 0:
            return segment
    return SEGMENTS[-1]


def _history(rng: random.Random, mean_gap: float, shape: float, start: datetime, end: datetime):
    """Yield visit times from ``start`` to ``end`` with gamma gaps scaled by the season."""
    moment = start
    while moment < end:
        yield moment
        gap = rng.gammavariate(shape, mean_gap / shape) / seasonal_rate(moment)
        moment += timedelta(days=max(gap, 0.6))


def generate(count: int, *, seed: int = SEED, now: datetime = NOW) -> list[SyntheticCustomer]:
    """Return ``count`` customers with histories up to ``now`` and their ground truth."""
    rng = random.Random(seed)
    customers = []
    span = timedelta(days=365 * HISTORY_YEARS)
    for index in range(count):
        name, _share, mean_gap, shape, kind, mean_value = _segment(rng)
        customer = SyntheticCustomer(f"C{index:08d}", name, mean_gap, kind)
        start = now - span * rng.uniform(0.35, 1.0)
        if name == "one_off":
            customer.times = sorted(
                start + (now - start) * rng.random() for _ in range(rng.choice((1, 1, 2)))
            )
        else:
            end = now
            if rng.random() < CHURN_SHARE:
                customer.churned = True
                customer.bad_experience = rng.random() < BAD_EXPERIENCE_SHARE
                end = start + (now - start) * rng.uniform(0.2, 1.0)
            customer.times = list(_history(rng, mean_gap, shape, start, end))
        customer.values = [
            round(rng.lognormvariate(math.log(mean_value), 0.5), 2) for _ in customer.times
        ]
        customers.append(customer)
    return customers


def interactions_of(customers: list[SyntheticCustomer]) -> Iterator[tuple]:
    """Yield (customer external id, interaction external id, kind, time, value)."""
    for customer in customers:
        for number, (when, value) in enumerate(zip(customer.times, customer.values, strict=True)):
            yield (
                customer.external_id,
                f"{customer.external_id}-{number}",
                customer.kind,
                when,
                value,
            )


#: Chance that a customer answers the survey after a visit.
ANSWER_SHARE = 0.3
#: Chance that a customer who left after a bad experience said so on that visit's survey.
BAD_EXPERIENCE_ANSWER_SHARE = 0.8
#: Weights of detractor, passive and promoter answers, for churners and for loyal customers.
CHURNER_BANDS = (0.45, 0.35, 0.20)
LOYAL_BANDS = (0.15, 0.35, 0.50)
BAND_SCORES = ((0, 6), (7, 8), (9, 10))


def answers_of(
    customers: list[SyntheticCustomer], *, seed: int = SEED
) -> Iterator[tuple[str, datetime, int]]:
    """Yield (customer external id, time, NPS score) of the surveys customers answered.

    Some customers answer after some visits (an hour after). Detractors lapse more often,
    by construction: a churner's answers lean low, a loyal customer's high, and most who
    left after a bad experience gave that visit a detractor score (0–4). Customers
    without a rhythm (fewer than three visits) never answer, so every answer belongs to
    someone the lapse rule can judge.
    """
    rng = random.Random(seed + 1)
    for customer in customers:
        if len(customer.times) < 3:
            continue
        weights = CHURNER_BANDS if customer.churned else LOYAL_BANDS
        for index, when in enumerate(customer.times):
            answered_at = when + timedelta(hours=1)
            if customer.bad_experience and index == len(customer.times) - 1:
                if rng.random() < BAD_EXPERIENCE_ANSWER_SHARE:
                    yield customer.external_id, answered_at, rng.randint(0, 4)
                continue
            if rng.random() < ANSWER_SHARE:
                low, high = rng.choices(BAND_SCORES, weights=weights)[0]
                yield customer.external_id, answered_at, rng.randint(low, high)


def detectable_truth(customer: SyntheticCustomer, now: datetime) -> bool | None:
    """Return whether a fair detector should call the customer lapsed at ``now``.

    True for a churner with a rhythm who has been away three times their usual gap (and
    longer than the 60-day fallback); False for a customer who never churned; None (no
    verdict) for the rest: too little history, or churned too recently to tell.
    """
    if customer.segment == "one_off" or len(customer.times) < 6:
        return None
    if not customer.churned:
        return False
    away = (now - customer.last_at).days
    if away > max(3 * customer.mean_gap_days, 60):
        return True
    return None


# --- loading and measuring (needs Django) ------------------------------------------------


def load(organisation, customers: list[SyntheticCustomer]) -> int:
    """Insert customers and interactions in bulk (COPY on PostgreSQL), all marked stale."""
    from django.db import connection, transaction

    from heedback.customers.models import Customer, Interaction

    now = datetime.now(UTC)
    with transaction.atomic():
        Customer.objects.bulk_create(
            [
                Customer(
                    organisation=organisation,
                    external_id=item.external_id,
                    name=f"Customer {item.external_id}",
                    lapse_stale=bool(item.times),
                    created_at=now,
                    updated_at=now,
                )
                for item in customers
            ],
            batch_size=5000,
        )
    ids = dict(Customer.objects.filter(organisation=organisation).values_list("external_id", "pk"))
    rows = (
        (organisation.pk, ids[customer_id], kind, when, f"{value:.2f}", external_id, now)
        for customer_id, external_id, kind, when, value in interactions_of(customers)
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            count = _copy_rows(cursor, rows)
        else:
            count = _insert_rows(cursor, rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"ANALYZE {Interaction._meta.db_table}; ANALYZE {Customer._meta.db_table}"
            )
    return count


INTERACTION_COLUMNS = (
    "organisation_id, customer_id, kind, occurred_at, value, external_id, recorded_at"
)


def _copy_rows(cursor, rows) -> int:
    from heedback.customers.models import Interaction

    count = 0
    statement = f"COPY {Interaction._meta.db_table} ({INTERACTION_COLUMNS}) FROM STDIN"
    with cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _insert_rows(cursor, rows, batch_size: int = 50_000) -> int:
    from django.db import connection

    from heedback.customers.models import Interaction

    adapt = connection.ops.adapt_datetimefield_value
    table = Interaction._meta.db_table
    statement = f"INSERT INTO {table} ({INTERACTION_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)"  # noqa: S608 - names from the model
    count, batch = 0, []
    for org_id, customer_id, kind, when, value, external_id, at in rows:
        batch.append((org_id, customer_id, kind, adapt(when), value, external_id, adapt(at)))
        if len(batch) == batch_size:
            cursor.executemany(statement, batch)
            count, batch = count + len(batch), []
    if batch:
        cursor.executemany(statement, batch)
        count += len(batch)
    return count


def timed(function, repeats: int = 7) -> float:
    """Return the median wall time of ``function`` in milliseconds."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def measure(count: int) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Load ``count`` customers into the configured database and measure; return rows, notes."""
    import resource

    from django.db import connection

    from heedback.customers import services
    from heedback.onboarding import create_organisation

    vendor = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}[connection.vendor]
    # Histories end today, so that the pages see a realistic share of lapsed customers.
    now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    started = time.perf_counter()
    customers = generate(count, now=now)
    generated = time.perf_counter() - started
    interactions = sum(len(customer.times) for customer in customers)
    organisation = create_organisation(name="Bench Cafés", slug="bench", time_zone="UTC")
    started = time.perf_counter()
    load(organisation, customers)
    loaded = time.perf_counter() - started
    _settle(connection)

    # A fresh connection, so that the server process measured did nothing but this.
    connection.close()
    backend = _backend_pid(connection)
    python_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    judged = services.recompute_lapse(organisation)
    full = time.perf_counter() - started
    memory = _recompute_memory(backend, python_before)
    _settle(connection)
    baseline_rate = _baseline_rate(organisation)
    rows = [
        (
            f"[{vendor}] Generating and loading {count:,} customers, {interactions:,} interactions",
            f"{generated:.1f} s + {loaded:.1f} s",
            "—",
        ),
        (
            f"[{vendor}] Full lapse recomputation (`heedback recompute-lapse`)",
            f"{full:.1f} s: {judged / full:,.0f} customers/s, {interactions / full:,.0f} "
            "interactions/s",
            f"{(judged / full) / baseline_rate:.0f}× a per-customer ORM loop "
            f"({baseline_rate:,.0f} customers/s)",
        ),
        *_incremental(organisation, customers, now),
        *_pages(organisation, customers),
    ]
    accuracy = _accuracy(organisation, customers, now)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    notes = [
        f"[{vendor}] Peak memory of the benchmark process: {peak:,.0f} MB (it also holds the",
        "generated histories). The recomputation works in chunks of 5,000 customers, each one",
        f"transaction, so its own memory does not grow with the number of customers: {memory}.",
        f"[{vendor}] {accuracy}",
    ]
    return rows, notes


def _backend_pid(connection) -> int | None:
    """Return the process id of the PostgreSQL backend serving this connection."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _recompute_memory(backend: int | None, python_before: float) -> str:
    """Say how much memory the recomputation took, in Python and in the database server."""
    import resource

    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - python_before
    said = f"the Python process's peak grew by {max(grown, 0):,.0f} MB during it"
    if backend is not None and os.path.exists(f"/proc/{backend}/status"):
        with open(f"/proc/{backend}/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        peak = int(fields["VmHWM"].split()[0]) / 1024
        shared = int(fields["RssShmem"].split()[0]) / 1024
        said += (
            f"; the PostgreSQL backend peaked at {peak:,.0f} MB resident, "
            f"{shared:,.0f} MB of it shared buffers"
        )
    return said


def _settle(connection) -> None:
    """Do what the database does by itself between bulk loads and the next work.

    SQLite folds its write-ahead log back into the database (a checkpoint, otherwise paid
    by the next writer); PostgreSQL's autovacuum refreshes statistics and the visibility
    map (which index-only scans need).
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in ("customers_customer", "customers_interaction"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _baseline_rate(organisation, sample: int = 1000) -> float:
    """Customers per second of what a first version would do: one customer at a time."""
    from heedback.customers import lapse
    from heedback.customers.models import Customer

    rule = lapse.LapseRule()
    customers = list(Customer.objects.filter(organisation=organisation).order_by("pk")[:sample])
    started = time.perf_counter()
    for customer in customers:
        times = list(customer.interactions.values_list("occurred_at", flat=True))
        rhythm = lapse.rhythm_of(times, rule)
        customer.visit_count = rhythm.visits
        customer.lapse_at = rhythm.lapse_at
        customer.save(update_fields=["visit_count", "lapse_at"])
    return len(customers) / (time.perf_counter() - started)


def _incremental(
    organisation, customers: list[SyntheticCustomer], now: datetime
) -> list[tuple[str, str, str]]:
    """Time the worker's refresh after a batch of 1,000 new interactions arrives."""
    from heedback.customers import services
    from heedback.customers.inputs import InteractionInput

    rng = random.Random(1)
    chosen = rng.sample([c for c in customers if c.times], 1000)
    items = [
        InteractionInput(f"new-{index}", customer.external_id, "visit", now - timedelta(hours=1))
        for index, customer in enumerate(chosen)
    ]
    started = time.perf_counter()
    services.record_interactions(organisation, items)
    ingest = time.perf_counter() - started
    started = time.perf_counter()
    refreshed = services.refresh_lapse()
    refresh = time.perf_counter() - started
    idle = timed(services.refresh_lapse)
    return [
        (
            "Batch of 1,000 interactions through the service, then the worker's refresh",
            f"{ingest * 1000:.0f} ms + {refresh * 1000:.0f} ms ({refreshed:,} customers judged)",
            "—",
        ),
        ("Refresh round with nothing to do (every 2 s in the worker)", f"{idle:.1f} ms", "—"),
    ]


def _pages(organisation, customers: list[SyntheticCustomer]) -> list[tuple[str, str, str]]:
    """Time the customer page (timeline) of the longest history, and the lapsed list."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from heedback.customers.models import Customer
    from heedback.orgs import services as org_services

    user = get_user_model().objects.create_user("bench@example.com", "bench@example.com", "x")
    org_services.add_member(organisation, user, role="admin")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    longest = max(customers, key=lambda customer: len(customer.times))
    customer = Customer.objects.get(organisation=organisation, external_id=longest.external_id)
    detail = f"/o/bench/customers/{customer.pk}/"
    assert client.get(detail).status_code == 200
    health = timed(lambda: client.get("/healthz"))
    page = timed(lambda: client.get(detail))
    lapsed = timed(lambda: client.get("/o/bench/customers/", {"status": "lapsed"}), repeats=5)
    started = time.perf_counter()
    client.get("/o/bench/customers/loyalty/")
    first_loyalty = (time.perf_counter() - started) * 1000
    loyalty = timed(lambda: client.get("/o/bench/customers/loyalty/"))
    return [
        (
            f"Customer page with timeline ({len(longest.times)} interactions, one page of 50)",
            f"{page:.1f} ms",
            f"{page / health:.0f}× a bare request ({health:.1f} ms)",
        ),
        ("Customer list, lapsed filter, first page", f"{lapsed:.0f} ms", "—"),
        (
            "Loyalty economics page: the first count (no snapshot yet), then from the snapshot",
            f"{first_loyalty:.0f} ms, then {loyalty:.1f} ms",
            f"{first_loyalty / loyalty:.0f}× faster from the snapshot",
        ),
    ]


def _accuracy(organisation, customers: list[SyntheticCustomer], now: datetime) -> str:
    """Compare the stored flags at NOW with the generator's ground truth."""
    from heedback.customers.models import Customer

    flags = {
        external_id: lapse_at is not None and lapse_at < now
        for external_id, lapse_at in Customer.objects.filter(organisation=organisation)
        .values_list("external_id", "lapse_at")
        .iterator(chunk_size=20000)
    }
    churned = [c for c in customers if detectable_truth(c, now) is True]
    active = [c for c in customers if detectable_truth(c, now) is False]
    recall = sum(flags[c.external_id] for c in churned) / max(len(churned), 1)
    false_alarms = sum(flags[c.external_id] for c in active) / max(len(active), 1)
    return (
        f"Against the generator's truth: {recall:.1%} of {len(churned):,} churned regulars "
        f"flagged lapsed; {false_alarms:.1%} of {len(active):,} active regulars flagged."
    )


def run() -> tuple[list[tuple[str, str, str]], list[str]]:
    """Measure on the configured database; also on PostgreSQL when one is named for it.

    ``HEEDBACK_BENCH_POSTGRES_URL`` names an empty PostgreSQL database; the same
    measurement then runs there in a child process (migrated first).
    """
    rows, notes = measure(CUSTOMERS)
    url = os.environ.get("HEEDBACK_BENCH_POSTGRES_URL")
    from django.db import connection

    if url and connection.vendor != "postgresql":
        child = subprocess.run(
            [sys.executable, __file__, "--postgres"],
            env={**os.environ, "HEEDBACK_DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=False,
        )
        sys.stderr.write(child.stderr[-3000:])
        marker = next(line for line in child.stdout.splitlines() if line.startswith("BENCH-ROWS "))
        more_rows, more_notes = json.loads(marker.removeprefix("BENCH-ROWS "))
        rows += [tuple(row) for row in more_rows]
        notes += more_notes
    notes += _scaling_notes()
    return rows, notes


def _scaling_notes() -> list[str]:
    return [
        "",
        "Scaling to the issue's 1,000,000 customers and 10,000,000 interactions: the",
        "PostgreSQL path is one statement per chunk of 5,000 customers (gaps by a window",
        "function over the (customer, occurred_at) index, quantiles by percentile_cont, then",
        "UPDATE … FROM), so its time grows linearly with interactions and its memory stays",
        "per chunk (the database's work_mem for one chunk's sort). The refresh of stale",
        "customers is shared by several workers (SKIP LOCKED); a rebuild after a rule change",
        "is walked by one worker at a time from its cursor. The SQLite path reads each",
        "chunk's times into Python and suits single-machine installations of up to a few",
        "hundred thousand customers.",
    ]


if __name__ == "__main__" and sys.argv[1:] == ["--postgres"]:
    import tempfile

    os.environ.setdefault("HEEDBACK_DATA_DIR", tempfile.mkdtemp(prefix="heedback-bench-pg-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heedback.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    size = int(os.environ.get("HEEDBACK_BENCH_POSTGRES_CUSTOMERS", str(CUSTOMERS)))
    print("BENCH-ROWS " + json.dumps(measure(size)))
