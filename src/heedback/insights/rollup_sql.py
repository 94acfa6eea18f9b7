"""The SQL that adds responses to the rollups, set-based inside the database.

A set of responses is added with ``INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE SET
n = n + excluded.n``: the database joins the responses to their answers, counts them per
rollup cell and adds the counts to the cells that exist, in one statement per table and
grain, without a row travelling to Python. SQLite (3.24 and later) and PostgreSQL run the
same statements; only the month of a day and the list of chosen options are spelled per
database. Django's ``bulk_create(update_conflicts=True)`` can only overwrite a cell, not add
to it, which is why this is raw SQL — kept in this one module and tested on both databases.

Callers own the transaction and decide *which* responses to add (``ResponseSet``); the
functions here only count. Adding a set twice counts it twice: preventing that is the job
of the watermark and the ledger in ``services``.
"""

# Every piece spliced into these statements is a constant of this module (table and column
# names from the models, fixed fragments); values always travel as parameters.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from heedback.collect.models import Answer, Response
from heedback.insights import driver_sql, read_cache
from heedback.insights.models import (
    HISTOGRAM_VALUES,
    RESPONSES_KEY,
    AnswerRollup,
    CountedResponse,
    Grain,
    OptionRollup,
    OrganisationRollup,
)

_RESPONSE = Response._meta.db_table
_ANSWER = Answer._meta.db_table
_ANSWER_ROLLUP = AnswerRollup._meta.db_table
_ORGANISATION_ROLLUP = OrganisationRollup._meta.db_table
_OPTION_ROLLUP = OptionRollup._meta.db_table
_COUNTED = CountedResponse._meta.db_table
#: The temporary table holding one batch's day-level counts while they are added.
_BATCH = "heedback_rollup_batch"

_CELL = "organisation_id, survey_id, unit_id, grain, period_start, channel, question_key"
_CONFLICT = {
    _ANSWER_ROLLUP: "survey_id, question_key, grain, period_start, unit_id, channel",
    _ORGANISATION_ROLLUP: "survey_id, question_key, grain, period_start, channel",
    _OPTION_ROLLUP: "survey_id, question_key, grain, period_start, unit_id, channel, option",
}
_HISTOGRAM_COLUMNS = [f"answers_{value}" for value in HISTOGRAM_VALUES]


@dataclass(frozen=True)
class ResponseSet:
    """Which responses to add: a condition on the response ``r``, one on its answers.

    The answer condition repeats the response bounds on the answer's ``response_id`` so
    that the planner walks the answers' index over the same small range instead of
    scanning them all. It is a template (``{answer}`` stands for the answer's alias),
    because the driver sums join the answers twice and each side needs the bounds.
    """

    where: str
    params: tuple
    answer_template: str
    answer_params: tuple

    def answer_where(self, alias: str = "a") -> str:
        """Return the condition on the answers called ``alias`` in a statement."""
        return self.answer_template.format(answer=alias)


def id_range(after: int, upto: int) -> ResponseSet:
    """Return the responses with ``after < id <= upto`` that the ledger does not list."""
    not_counted = f"NOT EXISTS (SELECT 1 FROM {_COUNTED} c WHERE c.response_id = r.id)"
    return ResponseSet(
        f"r.id > %s AND r.id <= %s AND {not_counted}",
        (after, upto),
        "{answer}.response_id > %s AND {answer}.response_id <= %s",
        (after, upto),
    )


def ledger_batch(batch: int) -> ResponseSet:
    """Return the responses that the ledger lists under ``batch``."""
    listed = f"(SELECT c.response_id FROM {_COUNTED} c WHERE c.batch = %s)"
    return ResponseSet(
        f"r.id IN {listed}", (batch,), f"{{answer}}.response_id IN {listed}", (batch,)
    )


def organisation_range(organisation_id: int, after: int, upto: int) -> ResponseSet:
    """Return an organisation's responses with ``after < id <= upto`` (for a rebuild)."""
    return ResponseSet(
        "r.organisation_id = %s AND r.id > %s AND r.id <= %s",
        (organisation_id, after, upto),
        "{answer}.response_id > %s AND {answer}.response_id <= %s",
        (after, upto),
    )


def add_responses(responses: ResponseSet) -> int:
    """Add the responses of the set to every rollup at every grain; return how many.

    The set is joined to its answers once, into a temporary table of day-level counts
    (also split by the list of chosen options); the unit, organisation and option rows of
    every grain are then added from that small table, so the big join is never repeated.
    Callers hold the refresh lock (``services``): nothing else writes the rollups meanwhile,
    which is what lets ``holds_any`` choose a plain INSERT.
    """
    with connection.cursor() as cursor:
        prepare_for_batch(cursor)
        cursor.execute(f"DROP TABLE IF EXISTS {_temporary(_BATCH)}")
        cursor.execute(_collect_sql(responses), responses.params * 2 + responses.answer_params)
        analyse_temporary(cursor, _BATCH)
        cursor.execute(
            f"SELECT COALESCE(SUM(answers), 0) FROM {_BATCH} WHERE question_key = %s",
            [RESPONSES_KEY],
        )
        (count,) = cursor.fetchone()
        if count:
            upsert = {table: holds_any(cursor, table, _BATCH) for table in _CONFLICT}
            cursor.execute(_unit_days_sql(upsert=upsert[_ANSWER_ROLLUP]))
            for grain in Grain.values:
                if grain != Grain.DAY:
                    cursor.execute(_answers_sql(grain, _ANSWER_ROLLUP, upsert[_ANSWER_ROLLUP]))
                table = _ORGANISATION_ROLLUP
                cursor.execute(_answers_sql(grain, table, upsert[table]))
                cursor.execute(_options_sql(grain, upsert[_OPTION_ROLLUP]))
            # The day rows of the answers that chose options: one batch row per list of
            # choices, so grouped, and added to the rows the statement above wrote.
            cursor.execute(_answers_sql(Grain.DAY, _ANSWER_ROLLUP, upsert=True, chosen=True))
            read_cache.bump_versions_sql(f"SELECT organisation_id FROM {_BATCH}")
        cursor.execute(f"DROP TABLE {_temporary(_BATCH)}")
    if count:
        # The driver sums hold exactly the responses the histograms hold (ADR 0002).
        driver_sql.add_driver_sums(responses)
    return int(count)


def prepare_for_batch(cursor) -> None:
    """Set PostgreSQL up for the statements of one batch, until its transaction ends.

    A rebuild's chunk sorts and hashes a million rows: with the default 4 MB of
    ``work_mem`` they spill to disk. And the just-in-time compiler spends seconds compiling
    statements that run once (three of twenty seconds of a chunk's driver join).
    """
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL jit = off")


def holds_any(cursor, table: str, batch: str) -> bool:
    """Tell whether ``table`` holds a row of a survey that the temporary table ``batch`` names.

    When it has none, none of the batch's cells exists, so its rows go in with a plain
    INSERT: ``ON CONFLICT`` costs every row a second probe of the key's B-tree, which after
    a rebuild's DELETE walks the dead entries of the very same keys twice (more than twice
    the time of a rebuild's first chunk). Each survey is one probe of the key's first column.
    Only true while nothing else writes the table: the caller holds the refresh lock.
    """
    cursor.execute(f"SELECT DISTINCT survey_id FROM {batch}")
    for (survey_id,) in cursor.fetchall():
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE survey_id = %s)", [survey_id])
        if cursor.fetchone()[0]:
            return True
    return False


def list_in_ledger(after: int, batch: int, limit: int) -> int:
    """List up to ``limit`` uncounted responses above ``after`` in the ledger as ``batch``.

    Return how many were listed. The caller then adds ``ledger_batch(batch)``: listing
    first fixes the set, so that a response committing between the two statements is
    neither counted without being listed nor listed without being counted.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_COUNTED} (response_id, batch) "
            f"SELECT r.id, %s FROM {_RESPONSE} r WHERE r.id > %s AND NOT EXISTS "
            f"(SELECT 1 FROM {_COUNTED} c WHERE c.response_id = r.id) ORDER BY r.id LIMIT %s",
            (batch, after, limit),
        )
        return cursor.rowcount


def analyse_temporary(cursor, table: str) -> None:
    """Give PostgreSQL the batch table's statistics (autovacuum never sees a temporary one).

    Without them it guesses a tenth of the rows and plans the grouping to spill to disk.
    """
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {_temporary(table)}")


def _temporary(table: str) -> str:
    """Name the temporary table with its schema, so that a DROP can never hit a real table."""
    return f"{'pg_temp' if connection.vendor == 'postgresql' else 'temp'}.{table}"


def highest_id_and_time() -> tuple[int, object]:
    """Return the highest response id this statement sees, and the server's clock after it.

    The clock is read after the statement's snapshot, so every id up to the returned one
    was taken before the returned moment (PostgreSQL only: ``clock_timestamp()``).
    """
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (SELECT MAX(id) FROM {_RESPONSE}), clock_timestamp()")
        highest, moment = cursor.fetchone()
    return highest or 0, moment


def _period(grain: str) -> str:
    """Return the SQL for the first day of a batch row's period, from ``b.local_date``."""
    if grain == Grain.DAY:
        return "b.local_date"
    if connection.vendor == "postgresql":
        unit = "month" if grain == Grain.MONTH else "week"  # PostgreSQL's weeks start Monday
        return f"CAST(date_trunc('{unit}', CAST(b.local_date AS timestamp)) AS date)"
    # SQLite keeps dates as 'YYYY-MM-DD' text; %w counts days from Sunday. (The statements
    # using this run without parameters, so the % needs no escaping.)
    if grain == Grain.MONTH:
        return "substr(b.local_date, 1, 8) || '01'"
    return (
        "date(b.local_date, '-' || ((CAST(strftime('%w', b.local_date) AS integer) + 6) % 7)"
        " || ' days')"
    )


def _upsert(table: str, columns: list[str], *, upsert: bool = True) -> str:
    """Return the ON CONFLICT clause adding to a table's existing cells ('' when none can)."""
    if not upsert:
        return ""
    additions = ", ".join(f"{column} = {table}.{column} + excluded.{column}" for column in columns)
    return f"ON CONFLICT ({_CONFLICT[table]}) DO UPDATE SET {additions}"


def _collect_sql(responses: ResponseSet) -> str:
    """Return the statement filling the batch table: responses, then answers, per day.

    Parameters: the response condition's, twice, then the answer condition's.
    """
    bytewise = bytewise_collation()
    cell = f"r.organisation_id, r.survey_id, r.unit_id, r.local_date, r.channel{bytewise}"
    # Counts as 4-byte integers, as the rollup columns hold them: narrower rows to sort,
    # and sums of them add up in 64-bit integers rather than in numerics.
    zeros = ", ".join(f"0 AS {column}" for column in _HISTOGRAM_COLUMNS)
    histogram = ", ".join(
        f"CAST(SUM(CASE WHEN a.number = {value} THEN 1 ELSE 0 END) AS integer) AS answers_{value}"
        for value in HISTOGRAM_VALUES
    )
    count = "CAST(COUNT(*) AS integer)"
    return (
        f"CREATE TEMPORARY TABLE {_BATCH} AS "
        f"SELECT {cell} AS channel, CAST('{RESPONSES_KEY}' AS varchar(63)){bytewise} "
        f"AS question_key, NULL AS choices, {count} AS answers, {zeros} "
        f"FROM {_RESPONSE} r WHERE {responses.where} GROUP BY {cell} "
        f"UNION ALL SELECT {cell}, a.question_key{bytewise}, a.choices, {count}, {histogram} "
        f"FROM {_RESPONSE} r JOIN {_ANSWER} a ON a.response_id = r.id "
        f"WHERE {responses.where} AND {responses.answer_where()} "
        f"GROUP BY {cell}, a.question_key{bytewise}, a.choices"
    )


def bytewise_collation() -> str:
    """Return the COLLATE clause that compares text byte by byte ('' on SQLite, which does).

    The batch tables' text columns (question keys, channels) take it, so that every sort
    of their rows compares bytes (and PostgreSQL sorts by abbreviated keys) instead of
    calling the locale's ``strcoll`` — which made sorting by question key most of the time
    of a rebuild's join. Ordering rows only places them next to each other in a key's
    B-tree; the rows themselves are the same whichever order they come in.
    """
    return ' COLLATE "C"' if connection.vendor == "postgresql" else ""


def _unit_days_sql(*, upsert: bool) -> str:
    """Return the statement adding the batch's day rows without chosen options, as they are.

    Without a list of choices a batch row is the only one of its cell (the choices are the
    only column the batch splits a cell by), so the rows need no grouping, only sorting in
    the key's order. The rows with choices follow, grouped (``_answers_sql``).
    """
    columns = ["answers", *_HISTOGRAM_COLUMNS]
    values = ", ".join(f"b.{column}" for column in columns)
    return (
        f"INSERT INTO {_ANSWER_ROLLUP} ({_CELL}, {', '.join(columns)}) "
        f"SELECT b.organisation_id, b.survey_id, b.unit_id, '{Grain.DAY}', b.local_date, "
        f"b.channel, b.question_key, {values} FROM {_BATCH} b WHERE b.choices IS NULL "
        f"ORDER BY {key_order('b.local_date')} " + _upsert(_ANSWER_ROLLUP, columns, upsert=upsert)
    )


def _answers_sql(grain: str, table: str, upsert: bool = True, *, chosen: bool = False) -> str:
    """Return the upsert of the batch's answer counts into a unit or organisation table.

    ``chosen``: only the batch rows with a list of choices (the unit table's day rows of
    the others are added by ``_unit_days_sql``).
    """
    period = _period(grain)
    columns = ["answers", *_HISTOGRAM_COLUMNS]
    sums = ", ".join(f"SUM(b.{column})" for column in columns)
    cell = (
        "b.organisation_id, b.survey_id, b.unit_id"
        if table == _ANSWER_ROLLUP
        else ("b.organisation_id, b.survey_id")
    )
    cell_columns = _CELL if table == _ANSWER_ROLLUP else _CELL.replace(" unit_id,", "")
    return (
        f"INSERT INTO {table} ({cell_columns}, {', '.join(columns)}) "
        f"SELECT {cell}, '{grain}', {period}, b.channel, b.question_key, {sums} "
        f"FROM {_BATCH} b WHERE {'b.choices IS NOT NULL' if chosen else 'true'} "
        f"GROUP BY {cell}, {period}, b.channel, b.question_key "
        f"ORDER BY {key_order(period)} " + _upsert(table, columns, upsert=upsert)
    )


def key_order(period: str) -> str:
    """Return the ORDER BY that hands batch rows ``b`` over close to a table's key order.

    Rows arriving in key order land next to each other in the key's B-tree instead of
    each touching a page at random, which is most of the cost of adding a large batch (a
    rebuild's chunk) to the big unit tables on PostgreSQL. The period alone is enough:
    within one period a table's cells of each question lie together in its key (survey,
    question, grain, period, …), so a day's rows touch a few pages per question, in order.
    Sorting by the whole key cost seven times more (7 s for a chunk's 1.6 million day
    rows, against 1 s): its first columns are the same for every row, so nearly every
    comparison of the sort walked the key column by column.
    """
    return period


def _options_sql(grain: str, upsert: bool = True) -> str:
    period = _period(grain)
    # Unpack only lists, so that a stray JSON scalar can never fail the whole statement.
    if connection.vendor == "postgresql":
        chosen = (
            "CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(b.choices) "
            "= 'array' THEN b.choices ELSE '[]'::jsonb END) AS o(value)"
        )
    else:
        chosen = (
            ", json_each(CASE WHEN json_type(b.choices) = 'array' THEN b.choices ELSE '[]' END)"
            " AS o"
        )
    return (
        f"INSERT INTO {_OPTION_ROLLUP} ({_CELL}, option, answers) "
        f"SELECT b.organisation_id, b.survey_id, b.unit_id, '{grain}', {period}, b.channel, "
        f"b.question_key, o.value, SUM(b.answers) FROM {_BATCH} b {chosen} "
        "WHERE b.choices IS NOT NULL "
        f"GROUP BY b.organisation_id, b.survey_id, b.unit_id, {period}, b.channel, "
        f"b.question_key, o.value ORDER BY {key_order(period)} "
        + _upsert(_OPTION_ROLLUP, ["answers"], upsert=upsert)
    )
