"""The SQL that adds responses to the driver sums: pairwise cross-products, set-based.

``rollup_sql.add_responses`` calls ``add_driver_sums`` with the same set of responses in
the same transaction, so the driver sums ride on the rollups' watermark, ledger and
rebuild (ADR 0001) and hold exactly the responses the histograms hold (ADR 0002).

A set is joined to its numeric answers twice — every pair of questions a response answered,
the question with itself included — into a temporary table of day-level sums, which is then
added to the unit and organisation rows of every grain with ``INSERT … ON CONFLICT DO
UPDATE SET s = s + excluded.s``, as ``rollup_sql`` does for histograms.
"""

# Every piece spliced into these statements is a constant of this module; values travel
# as parameters.
# ruff: noqa: S608

from __future__ import annotations

from django.db import connection

from heedback.collect.models import Answer, Response
from heedback.insights import rollup_sql
from heedback.insights.models import DriverSum, Grain, OrganisationDriverSum

_RESPONSE = Response._meta.db_table
_ANSWER = Answer._meta.db_table
_UNIT_TABLE = DriverSum._meta.db_table
_ORGANISATION_TABLE = OrganisationDriverSum._meta.db_table
_BATCH = "heedback_driver_batch"
SUM_COLUMNS = [
    "n",
    "sum_left",
    "sum_other",
    "sum_left_squares",
    "sum_other_squares",
    "sum_products",
]
_CONFLICT = {
    _UNIT_TABLE: "survey_id, question_key, other_key, grain, period_start, unit_id",
    _ORGANISATION_TABLE: "survey_id, question_key, other_key, grain, period_start",
}


def add_driver_sums(responses: rollup_sql.ResponseSet) -> None:
    """Add the pairwise sums of the set's numeric answers to the driver sums, every grain."""
    with connection.cursor() as cursor:
        rollup_sql.prepare_for_batch(cursor)
        cursor.execute(f"DROP TABLE IF EXISTS {rollup_sql._temporary(_BATCH)}")
        cursor.execute(
            _collect_sql(responses),
            responses.params + responses.answer_params * 2,
        )
        rollup_sql.analyse_temporary(cursor, _BATCH)
        upsert = {table: rollup_sql.holds_any(cursor, table, _BATCH) for table in _CONFLICT}
        for grain in Grain.values:
            for table in _CONFLICT:
                cursor.execute(_upsert_sql(grain, table, upsert=upsert[table]))
        cursor.execute(f"DROP TABLE {rollup_sql._temporary(_BATCH)}")


def _collect_sql(responses: rollup_sql.ResponseSet) -> str:
    """Return the statement filling the batch table with one row per day, unit and pair.

    ``b.question_key >= a.question_key`` keeps each pair once. Both answers carry the set's
    bounds: with them on the first alone, PostgreSQL scanned every answer in the table to
    find the second of a rebuild chunk's pairs (7 of its 19 seconds).
    """
    bytewise = rollup_sql.bytewise_collation()
    left, right = f"a.question_key{bytewise}", f"b.question_key{bytewise}"
    cell = f"r.organisation_id, r.survey_id, r.unit_id, r.local_date, {left}, {right}"
    return (
        f"CREATE TEMPORARY TABLE {_BATCH} AS "
        "SELECT r.organisation_id, r.survey_id, r.unit_id, r.local_date, "
        f"{left} AS question_key, {right} AS other_key, "
        "COUNT(*) AS n, SUM(a.number) AS sum_left, SUM(b.number) AS sum_other, "
        "SUM(a.number * a.number) AS sum_left_squares, "
        "SUM(b.number * b.number) AS sum_other_squares, "
        "SUM(a.number * b.number) AS sum_products "
        f"FROM {_RESPONSE} r JOIN {_ANSWER} a ON a.response_id = r.id "
        f"JOIN {_ANSWER} b ON b.response_id = r.id AND b.question_key >= a.question_key "
        f"WHERE {responses.where} AND {responses.answer_where('a')} "
        f"AND {responses.answer_where('b')} "
        "AND a.number IS NOT NULL AND b.number IS NOT NULL "
        f"GROUP BY {cell}"
    )


def _upsert_sql(grain: str, table: str, *, upsert: bool = True) -> str:
    """Return the statement adding the batch's sums to a table at a grain.

    ``upsert``: whether the table may hold cells of the batch already (``rollup_sql.holds_any``).
    """
    period = rollup_sql._period(grain)
    sums = ", ".join(f"SUM(b.{column})" for column in SUM_COLUMNS)
    cell = "b.organisation_id, b.survey_id" + (", b.unit_id" if table == _UNIT_TABLE else "")
    columns = cell.replace("b.", "") + ", grain, period_start, question_key, other_key"
    additions = ", ".join(
        f"{column} = {table}.{column} + excluded.{column}" for column in SUM_COLUMNS
    )
    grouping = f"GROUP BY {cell}, {period}, b.question_key, b.other_key "
    order = f"ORDER BY {rollup_sql.key_order(period)} "
    if grain == Grain.DAY and table == _UNIT_TABLE:
        # The batch holds one row per unit, day and pair already: nothing to add up.
        sums, grouping = ", ".join(f"b.{column}" for column in SUM_COLUMNS), ""
    conflict = f"ON CONFLICT ({_CONFLICT[table]}) DO UPDATE SET {additions}" if upsert else ""
    return (
        f"INSERT INTO {table} ({columns}, {', '.join(SUM_COLUMNS)}) "
        f"SELECT {cell}, '{grain}', {period}, b.question_key, b.other_key, {sums} "
        f"FROM {_BATCH} b WHERE true {grouping}{order}{conflict}"
    )
