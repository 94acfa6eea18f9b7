"""Full-text search over comments: SQLite FTS5 or PostgreSQL full-text search, one function.

SQLite keeps an FTS5 index (``text_search``) whose content is ``text_textanalysis.body``,
so the text is stored once; the enrichment adds rows to it in the same transaction as the
analyses. PostgreSQL needs no extra table: a GIN index on ``to_tsvector('english', body)``.
Both stem English words (FTS5's porter tokenizer, PostgreSQL's english configuration), so
"delays" finds "delayed" on both.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import QuerySet

from heedback.orgs.models import Organisation

SQLITE_TABLE = "text_search"
START, STOP = "\x02", "\x03"  # markers no comment contains, turned into <mark> after escaping
COUNT_CAP = 10_000
TERM = re.compile(r'"([^"]*)"|(\S+)')
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchHit:
    """A text that matches, with its matches marked up in a short excerpt."""

    analysis_id: int
    response_id: int
    question_key: str
    submitted_at: datetime
    sentiment_label: str
    snippet_html: str


@dataclass(frozen=True)
class SearchPage:
    """One page of hits, newest first; ``count`` stops at COUNT_CAP (``count_capped``)."""

    count: int
    count_capped: bool
    hits: list[SearchHit]


def create_index(vendor: str, execute: callable) -> None:
    """Create the search index of the database (called by the migration)."""
    if vendor == "sqlite":
        execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_TABLE} USING fts5(body, "
            "content='text_textanalysis', content_rowid='id', tokenize='porter unicode61')"
        )
    elif vendor == "postgresql":
        execute(
            "CREATE INDEX IF NOT EXISTS text_analysis_body_search ON text_textanalysis "
            "USING GIN (to_tsvector('english', body))"
        )


def drop_index(vendor: str, execute: callable) -> None:
    if vendor == "sqlite":
        execute(f"DROP TABLE IF EXISTS {SQLITE_TABLE}")
    elif vendor == "postgresql":
        execute("DROP INDEX IF EXISTS text_analysis_body_search")


def index_texts(rows: list[tuple[int, str]]) -> None:
    """Add (analysis id, body) rows to the index; PostgreSQL's index follows the table."""
    if connection.vendor == "sqlite" and rows:
        with connection.cursor() as cursor:
            sql = f"INSERT INTO {SQLITE_TABLE}(rowid, body) VALUES (%s, %s)"  # noqa: S608 (constant)
            cursor.executemany(sql, rows)


def unindex_texts(rows: list[tuple[int, str]]) -> None:
    """Remove (analysis id, body) rows from the index before their analyses are deleted."""
    if connection.vendor == "sqlite" and rows:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, body) "  # noqa: S608
                "VALUES ('delete', %s, %s)",
                rows,
            )


def fts5_query(text: str) -> str:
    """Return an FTS5 query for what a person typed: every word or "quoted phrase" must match."""
    parts = []
    for phrase, word in TERM.findall(text):
        words = WORD.findall(phrase or word)
        if words:
            parts.append('"' + " ".join(words) + '"')
    return " ".join(parts)


def search_texts(
    organisation: Organisation,
    query: str,
    *,
    responses: QuerySet | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchPage:
    """Return the organisation's texts matching ``query``, newest first, matches highlighted.

    ``responses`` narrows the search to a queryset of responses, so that every filter of
    the results page (survey, unit subtree, period, channel) applies unchanged.
    """
    parts = _sqlite_parts(query) if connection.vendor == "sqlite" else _postgresql_parts(query)
    if parts is None:
        return SearchPage(0, False, [])
    where = [parts.match, "a.organisation_id = %s"]
    params: list[object] = [*parts.match_params, organisation.pk]
    if responses is not None:
        subquery, subquery_params = responses.values("id").query.sql_with_params()
        where.append(f"a.response_id IN ({subquery})")
        params.extend(subquery_params)
    # Only this module's constants and Django's compiled SQL are formatted in; every value
    # that a person typed travels as a parameter.
    condition = " AND ".join(where)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {parts.source} WHERE {condition} LIMIT %s) hits",  # noqa: S608
            [*params, COUNT_CAP + 1],
        )
        count = cursor.fetchone()[0]
        cursor.execute(
            "SELECT a.id, a.response_id, a.question_key, a.submitted_at, a.sentiment_label, "  # noqa: S608
            f"{parts.snippet} FROM {parts.source} WHERE {condition} "
            f"ORDER BY {parts.order} LIMIT %s OFFSET %s",
            [*parts.snippet_params, *params, limit, offset],
        )
        rows = cursor.fetchall()
    hits = [SearchHit(*row[:5], snippet_html=_marked_up(row[5])) for row in rows]
    return SearchPage(min(count, COUNT_CAP), count > COUNT_CAP, hits)


@dataclass(frozen=True)
class _QueryParts:
    source: str
    order: str
    match: str
    match_params: list[object]
    snippet: str
    snippet_params: list[object]


def _sqlite_parts(query: str) -> _QueryParts | None:
    expression = fts5_query(query)
    if not expression:
        return None
    return _QueryParts(
        # CROSS JOIN keeps the index as the outer loop (SQLite does not reorder it), so a
        # rare word costs its few matches, not a scan of the organisation's texts.
        source=f"{SQLITE_TABLE} CROSS JOIN text_textanalysis a ON a.id = {SQLITE_TABLE}.rowid",
        order=f"{SQLITE_TABLE}.rowid DESC",
        match=f"{SQLITE_TABLE} MATCH %s",
        match_params=[expression],
        snippet=f"snippet({SQLITE_TABLE}, 0, char(2), char(3), '…', 32)",
        snippet_params=[],
    )


def _postgresql_parts(query: str) -> _QueryParts | None:
    if not WORD.search(query):
        return None
    return _QueryParts(
        source="text_textanalysis a",
        order="a.id DESC",
        match="to_tsvector('english', a.body) @@ websearch_to_tsquery('english', %s)",
        match_params=[query],
        snippet="ts_headline('english', a.body, websearch_to_tsquery('english', %s), %s)",
        snippet_params=[
            query,
            f"StartSel={START}, StopSel={STOP}, MaxWords=32, MinWords=12, MaxFragments=2",
        ],
    )


def _marked_up(snippet: str) -> str:
    return html.escape(snippet).replace(START, "<mark>").replace(STOP, "</mark>")
