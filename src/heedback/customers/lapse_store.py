"""Compute customers' rhythms inside the database and store them; the refresh machinery.

Two paths give the same numbers (the tests compare them with ``lapse.rhythm_of``):

- on PostgreSQL, one statement per chunk of customers: gaps by a window function, their
  quantiles by ``percentile_cont`` (linear interpolation, as ``lapse.quantile``), the rule's
  cases, and an ``UPDATE … FROM`` — nothing travels to Python but the chunk's ids;
- on SQLite, which has no ``percentile_cont``, the chunk's interaction times are read in one
  query and judged by ``lapse.rhythm_of``, then written with one ``executemany``.

**Concurrency.** A writer that adds, moves or removes interactions of a customer locks the
customer row (``FOR NO KEY UPDATE``, customers in ascending id order) and sets
``lapse_stale`` in the same transaction. The refresh takes stale customers with ``SKIP
LOCKED`` and clears the flag in the transaction that stores their rhythm. So either the
refresh locked the row first, and the writer's interaction (committed after the refresh)
sets the flag again; or the writer locked it first, and the refresh skips the row until the
flag it set is visible. Several workers take disjoint chunks; a worker killed mid-chunk
leaves its chunk stale, to be taken again. A rebuild (after the rule changes, or by
``heedback recompute-lapse``) walks an organisation's customers by id from a cursor kept on
its ``LapseSettings`` row, one short transaction per chunk, so it resumes where it stopped.
On SQLite one transaction writes at a time and all of this holds trivially.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from heedback.customers import lapse
from heedback.customers.models import Customer, Interaction, LapseSettings
from heedback.orgs.models import Organisation

CHUNK_SIZE = 5000

_POSTGRES_SQL = """
WITH chunk(id) AS (SELECT unnest(%(ids)s::bigint[])),
gaps AS (
    SELECT i.customer_id, i.occurred_at,
           EXTRACT(EPOCH FROM i.occurred_at - LAG(i.occurred_at) OVER (
               PARTITION BY i.customer_id ORDER BY i.occurred_at))::float8 AS gap
    FROM {interaction} i
    WHERE i.customer_id = ANY(%(ids)s::bigint[])
),
per AS (
    SELECT customer_id, MIN(occurred_at) AS first_at, MAX(occurred_at) AS last_at,
           COUNT(*) FILTER (WHERE gap >= %(same)s) AS gap_count,
           percentile_cont(ARRAY[0.5, %(risk)s, %(lapse)s]::float8[])
               WITHIN GROUP (ORDER BY gap) FILTER (WHERE gap >= %(same)s) AS q
    FROM gaps GROUP BY customer_id
),
rhythm AS (
    SELECT chunk.id, per.first_at, per.last_at, per.q,
           CASE WHEN per.customer_id IS NULL THEN 0 ELSE per.gap_count + 1 END AS visits,
           COALESCE(per.gap_count, 0) AS gap_count
    FROM chunk LEFT JOIN per ON per.customer_id = chunk.id
),
judged AS (
    SELECT id, first_at, last_at, visits, gap_count,
           CASE WHEN visits < %(minimum)s THEN 'too_few'
                WHEN gap_count >= %(own)s THEN 'own' ELSE 'fallback' END AS basis,
           CASE WHEN visits >= %(minimum)s THEN q[1] END AS typical,
           CASE WHEN visits >= %(minimum)s THEN q[2] END AS at_risk,
           CASE WHEN visits < %(minimum)s THEN NULL
                WHEN gap_count >= %(own)s THEN q[3]
                ELSE GREATEST(q[3], %(fallback)s) END AS lapse
    FROM rhythm
)
UPDATE {customer} c SET
    visit_count = j.visits,
    gap_count = j.gap_count,
    first_interaction_at = j.first_at,
    last_interaction_at = j.last_at,
    lapse_basis = j.basis,
    typical_gap_seconds = j.typical,
    at_risk_gap_seconds = j.at_risk,
    lapse_gap_seconds = j.lapse,
    at_risk_at = j.last_at + make_interval(secs => j.at_risk),
    lapse_at = j.last_at + make_interval(secs => j.lapse),
    lapse_stale = false,
    lapse_computed_at = %(now)s
FROM judged j
WHERE c.id = j.id AND c.id = ANY(%(ids)s::bigint[])
"""

_SQLITE_READ = "SELECT customer_id, occurred_at FROM {interaction} WHERE customer_id IN ({marks})"
_SQLITE_WRITE = """
UPDATE {customer} SET visit_count = %s, gap_count = %s, first_interaction_at = %s,
    last_interaction_at = %s, lapse_basis = %s, typical_gap_seconds = %s,
    at_risk_gap_seconds = %s, lapse_gap_seconds = %s, at_risk_at = %s, lapse_at = %s,
    lapse_stale = 0, lapse_computed_at = %s
WHERE id = %s
"""


def rule_of(organisation_id: int) -> lapse.LapseRule:
    """Return the organisation's lapse rule (the defaults when it never changed them)."""
    settings = LapseSettings.objects.filter(organisation_id=organisation_id).first()
    return settings.rule() if settings is not None else lapse.LapseRule()


def store_rhythms(customer_ids: list[int], rule: lapse.LapseRule) -> None:
    """Recompute and store the rhythm of these customers; call inside their transaction."""
    if not customer_ids:
        return
    if connection.vendor == "postgresql":
        _store_postgres(customer_ids, rule)
    else:
        _store_python(customer_ids, rule)


def _store_postgres(customer_ids: list[int], rule: lapse.LapseRule) -> None:
    sql = _POSTGRES_SQL.format(
        interaction=Interaction._meta.db_table, customer=Customer._meta.db_table
    )
    with connection.cursor() as cursor:
        # The statement is cheap per row but its estimated cost is high enough to trigger
        # JIT compilation, which costs more than it saves on a chunk (measured: ~70 ms).
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            sql,
            {
                "ids": customer_ids,
                "same": float(lapse.SAME_VISIT_SECONDS),
                "risk": rule.at_risk_quantile,
                "lapse": rule.lapse_quantile,
                "minimum": rule.minimum_visits,
                "own": rule.own_history_gaps,
                "fallback": rule.fallback_seconds,
                "now": timezone.now(),
            },
        )


def _store_python(customer_ids: list[int], rule: lapse.LapseRule) -> None:
    times: dict[int, list[datetime]] = defaultdict(list)
    read = _SQLITE_READ.format(
        interaction=Interaction._meta.db_table, marks=", ".join(["%s"] * len(customer_ids))
    )
    with connection.cursor() as cursor:
        cursor.execute(read, customer_ids)
        for customer_id, occurred_at in cursor.fetchall():
            times[customer_id].append(_as_datetime(occurred_at))
    adapt = connection.ops.adapt_datetimefield_value
    now = adapt(timezone.now())
    rows = []
    for customer_id in customer_ids:
        rhythm = lapse.rhythm_of(times.get(customer_id, ()), rule)
        rows.append(
            (
                rhythm.visits,
                rhythm.gap_count,
                adapt(rhythm.first_at),
                adapt(rhythm.last_at),
                rhythm.basis.value,
                rhythm.typical_gap,
                rhythm.at_risk_gap,
                rhythm.lapse_gap,
                adapt(rhythm.at_risk_at),
                adapt(rhythm.lapse_at),
                now,
                customer_id,
            )
        )
    with connection.cursor() as cursor:
        cursor.executemany(_SQLITE_WRITE.format(customer=Customer._meta.db_table), rows)


def _as_datetime(value: str | datetime) -> datetime:
    # Raw SQLite rows hold Django's naive UTC text; parsing it here is several times faster
    # than going through the ORM's converters, which matters over millions of rows.
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def refresh_stale_chunk(organisation_id: int, rule: lapse.LapseRule, size: int) -> int:
    """Store the rhythm of up to ``size`` stale customers of one organisation; return how many."""
    with transaction.atomic():
        stale = Customer.objects.filter(organisation_id=organisation_id, lapse_stale=True)
        if connection.vendor == "postgresql":
            stale = stale.select_for_update(skip_locked=True, no_key=True)
        ids = list(stale.order_by("pk").values_list("pk", flat=True)[:size])
        store_rhythms(ids, rule)
    return len(ids)


def stale_organisations() -> list[int]:
    """Return the organisations with customers waiting for a refresh.

    One probe of the partial index per organisation: cheap every two seconds whatever
    the planner's statistics say about how many customers are stale.
    """
    stale = Customer.objects.filter(organisation=OuterRef("pk"), lapse_stale=True)
    return list(
        Organisation.objects.filter(Exists(stale)).order_by("pk").values_list("pk", flat=True)
    )


def rebuilds_due() -> list[int]:
    """Return the ids of lapse settings whose rule changed since their customers were judged."""
    return list(
        LapseSettings.objects.filter(rebuilt_version__lt=F("version")).values_list("pk", flat=True)
    )


def rebuild_step(settings_id: int, size: int) -> int | None:
    """Judge the next chunk of an organisation's customers under its current rule.

    Return how many customers were judged (0 when this step finished the rebuild), or None
    when there is nothing to do or another worker holds the rebuild.
    """
    with transaction.atomic():
        rows = LapseSettings.objects.filter(pk=settings_id, rebuilt_version__lt=F("version"))
        if connection.vendor == "postgresql":
            rows = rows.select_for_update(skip_locked=True)
        settings = rows.first()
        if settings is None:
            return None
        ids = list(
            Customer.objects.filter(
                organisation_id=settings.organisation_id, pk__gt=settings.rebuild_after_id
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        if ids and connection.vendor == "postgresql":
            # Wait for writers holding some of these rows; both sides lock in id order.
            list(
                Customer.objects.filter(pk__in=ids)
                .order_by("pk")
                .select_for_update(no_key=True)
                .values_list("pk", flat=True)
            )
        store_rhythms(ids, settings.rule())
        if ids:
            settings.rebuild_after_id = ids[-1]
        else:
            settings.rebuilt_version = settings.version
            settings.rebuild_after_id = 0
        settings.save(update_fields=["rebuild_after_id", "rebuilt_version"])
        return len(ids)


def rebuild_progress(settings_id: int) -> tuple[int, int]:
    """Return (customers judged, customers in all) of a running rebuild."""
    settings = LapseSettings.objects.get(pk=settings_id)
    customers = Customer.objects.filter(organisation_id=settings.organisation_id)
    return customers.filter(pk__lte=settings.rebuild_after_id).count(), customers.count()


ProgressCallback = Callable[[int, int], None]
