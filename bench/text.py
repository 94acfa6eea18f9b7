"""Text enrichment: throughput of the baseline, the whole enrichment, theme assignment,
a resumable backlog, and full-text search on a large table."""

from __future__ import annotations

import contextlib
import os
import random
import statistics
import time
from datetime import timedelta

RESPONSES = 20000
SEARCH_ROWS = int(os.environ.get("HEEDBACK_BENCH_SEARCH_ROWS", "1000000"))
TITLE = "Text: sentiment, enrichment backlog, themes, search"


def run() -> tuple[list[tuple[str, str, str]], list[str]]:
    """Return the rows of this section and its notes (called in a prepared Django process)."""
    from heedback.demo.seed import seed_demo
    from heedback.text import embeddings
    from heedback.text.embeddings import RECENT_VECTORS

    seed_demo(responses=RESPONSES)
    comments = _comments()
    sentiment_rows, vader_rate = bench_sentiment(comments)
    rows = [*sentiment_rows, *bench_backlog(), *bench_themes(vader_rate), *bench_search()]
    notes = [
        f"Texts are the demo's comments ({len(comments):,} in {RESPONSES:,} responses; about",
        f"{statistics.mean(len(c) for c in comments):.0f} characters). One process, one core.",
        "The enrichment figure includes language, sentence sentiment, urgency, the database",
        "writes and the search index, in batches of 500. The backlog is interrupted twice",
        "(a batch stopped between two batches and a batch killed in the middle of its write),",
        "then resumed from the watermark; the check counts the analyses against the texts.",
        "VADER alone is the vaderSentiment library's analyser on each whole comment; the",
        "baseline uses its own subclass, which gives the same scores to the last digit",
        "(tests/text/test_pure.py) without VADER's character-by-character emoji pass and",
        "repeated lower-casing, plus the recommendation phrases (heedback.text.recommendation).",
        "Theme assignment with embeddings is timed cold (no sentence vector cached, every",
        "sentence encoded), then after the same comments' sentiment was read by minilm-reviews,",
        "as the worker does both: the assignment reuses the sentences' vectors (the last",
        f"{RECENT_VECTORS:,} are kept in the process). The embedding model ran with "
        f"{embeddings.runtime()}.",
        f"Load average at the end of the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
        "(other processes on a shared machine slow every figure, torch's most).",
    ]
    return rows, notes


def _comments() -> list[str]:
    """Return the demo's texts: its surveys ask for comments as text questions."""
    from heedback.collect.models import Answer, Response

    answers = Answer.objects.filter(number__isnull=True, choices__isnull=True).exclude(text="")
    return [
        *Response.objects.exclude(comment="").values_list("comment", flat=True),
        *answers.values_list("text", flat=True),
    ]


def per_second(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s"


def bench_sentiment(comments: list[str]) -> tuple[list[tuple[str, str, str]], float]:
    """VADER alone, the baseline sentiment, and the whole reading of a text.

    VADER alone is the library's own analyser on whole comments, the issue's reference; the
    product's analyser (``sentiment.vader``) gives the same scores faster. Also return
    VADER's rate: the machine is shared, so other rows quote their ratio to it.
    """
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from heedback.text.analysis import VADER, analyse_texts, language_of
    from heedback.text.sentiment import vader_sentiment

    analyser = SentimentIntensityAnalyzer()
    started = time.perf_counter()
    for comment in comments:
        analyser.polarity_scores(comment)
    vader_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for comment in comments:
        language_of(comment)
        vader_sentiment(comment)
    sentiment_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for start in range(0, len(comments), 500):
        analyse_texts([(comment, "") for comment in comments[start : start + 500]], model=VADER)
    reading_seconds = time.perf_counter() - started
    return [
        (
            "VADER alone on whole comments (the issue's 17,500/s reference)",
            per_second(len(comments), vader_seconds),
            "—",
        ),
        (
            "Baseline sentiment: language, then VADER per sentence and the comment's label",
            per_second(len(comments), sentiment_seconds),
            f"{vader_seconds / sentiment_seconds:.2f}× VADER alone",
        ),
        (
            "Reading a comment: language, VADER per sentence, urgency (no database)",
            per_second(len(comments), reading_seconds),
            f"{vader_seconds / reading_seconds:.2f}× VADER alone",
        ),
    ], len(comments) / vader_seconds


def bench_backlog() -> list[tuple[str, str, str]]:
    """Enrich the whole demo backlog from the watermark, interrupted twice, then resumed."""
    from heedback.text import search, services
    from heedback.text.models import EnrichmentCursor, TextAnalysis

    settled = timedelta(0)
    started = time.perf_counter()
    services.enrich_pending(settle=settled, time_budget=0, max_batches=3)  # stopped
    original = search.index_texts

    def killed(rows):
        raise KeyboardInterrupt("killed mid-write")

    search.index_texts = killed
    with contextlib.suppress(KeyboardInterrupt):
        services.enrich_pending(settle=settled, time_budget=0)
    search.index_texts = original
    EnrichmentCursor.objects.update(leased_by="", leased_until=None)  # the lease expired
    while services.enrich_pending(settle=settled, time_budget=0):
        pass
    seconds = time.perf_counter() - started
    texts = len(_comments())
    analyses = TextAnalysis.objects.count()
    assert analyses == texts, (analyses, texts)
    million_minutes = 1_000_000 / (RESPONSES / seconds) / 60
    return [
        (
            f"Enrichment backlog of {RESPONSES:,} responses ({texts:,} texts), stopped twice",
            f"{per_second(RESPONSES, seconds)} responses, {per_second(texts, seconds)} texts, "
            "each read once",
            f"~{million_minutes:.0f} min for 1,000,000 responses",
        )
    ]


def bench_themes(vader_rate: float) -> list[tuple[str, str, str]]:
    """Theme discovery and the assignment of every comment, TF-IDF and embeddings.

    With embeddings, assignment is timed from a cold start (no sentence vector in the
    process's cache, so every sentence is encoded), then once more after the comments'
    sentiment was read by the embedding model, as the worker does it: the two share the
    sentences' vectors.
    """
    from heedback.orgs.models import Organisation
    from heedback.text import embeddings, services
    from heedback.text.models import TextAnalysis, ThemeAssignment

    organisation = Organisation.objects.get(slug="demo")
    texts = TextAnalysis.objects.filter(organisation=organisation).count()
    rows = []
    representations = ["tfidf", "embedding"] if embeddings.available() else ["tfidf"]
    for representation in representations:
        started = time.perf_counter()
        space = services.discover_themes(organisation, representation=representation)
        discovery = time.perf_counter() - started
        limit = texts if representation == "tfidf" else EMBEDDING_ASSIGNMENTS
        if representation == "embedding":
            embeddings.forget_recent_vectors()
        done, seconds = _assign(space.pk, limit)
        covered = ThemeAssignment.objects.values("analysis_id").distinct().count()
        rows.append(
            (
                f"Themes with {representation}: discovery, then assignment of {done:,} comments",
                f"discovery {discovery:.1f} s ({space.themes.count()} themes); "
                f"assignment {per_second(done, seconds)}",
                f"{covered / done:.0%} of comments get a theme; assignment "
                f"{done / seconds / vader_rate:.3f}× VADER alone",
            )
        )
    if len(representations) == 1:
        rows.append(("Themes with embeddings", "extra not installed", "—"))
    else:
        rows.append(_bench_shared_vectors(space, vader_rate))
    return rows


EMBEDDING_ASSIGNMENTS = 3000


def _assign(space_id: int, limit: int) -> tuple[int, float]:
    """Assign batches of 500 until ``limit`` comments are done; return (done, seconds)."""
    from heedback.text import services

    started = time.perf_counter()
    done = 0
    while done < limit and (moved := services.assign_next_batch(space_id, batch_size=500)):
        done += moved
    return done, time.perf_counter() - started


def _bench_shared_vectors(space, vader_rate: float) -> tuple[str, str, str]:
    """Read the same comments' sentiment with minilm-reviews, then assign them again."""
    from heedback.text import embeddings, services
    from heedback.text.analysis import MINILM_REVIEWS, analyse_texts
    from heedback.text.models import TextAnalysis

    services._restart_assignment(space)
    embeddings.forget_recent_vectors()
    bodies = list(
        TextAnalysis.objects.filter(organisation_id=space.organisation_id)
        .order_by("pk")
        .values_list("body", flat=True)[:EMBEDDING_ASSIGNMENTS]
    )
    started = time.perf_counter()
    for start in range(0, len(bodies), 500):
        analyse_texts([(body, "") for body in bodies[start : start + 500]], MINILM_REVIEWS)
    reading = time.perf_counter() - started
    done, assigning = _assign(space.pk, EMBEDDING_ASSIGNMENTS)
    return (
        f"Sentiment by minilm-reviews, then themes with embedding, of {done:,} comments "
        "(the sentence vectors shared)",
        f"sentiment {per_second(len(bodies), reading)}; then assignment "
        f"{per_second(done, assigning)}; both {per_second(done, reading + assigning)}",
        f"assignment {done / assigning / vader_rate:.3f}× VADER alone",
    )


def _fill_search_table(rows: int) -> int:
    """Add ``rows`` analysed texts (demo comments, two at a time) straight into the table."""
    from django.db import connection, transaction
    from django.utils import timezone

    from heedback.collect.models import Response
    from heedback.text import search

    generator = random.Random(6)
    comments = _comments()
    responses = list(Response.objects.values_list("pk", "organisation_id"))
    now = timezone.now().isoformat()
    sql = (
        "INSERT INTO text_textanalysis (organisation_id, response_id, question_key, body, "
        "language, status, sentiment_score, sentiment_label, sentences, model, is_urgent, "
        "urgency_reasons, urgency_evidence, submitted_at, analysed_at) VALUES "
        "(%s, %s, %s, %s, 'en', 'analysed', 0.1, 'positive', '[]', 'vader', %s, '[]', '[]', %s, %s)"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, rows, 50_000):
            batch = []
            for number in range(start, min(rows, start + 50_000)):
                response_id, organisation_id = responses[number % len(responses)]
                body = f"{generator.choice(comments)} {generator.choice(comments)}"
                if number % 5000 == 0:
                    body += " My lawyer will hear about the overbooking."
                batch.append(
                    (organisation_id, response_id, f"bench{number}", body, False, now, now)
                )
            cursor.executemany(sql, batch)
        if connection.vendor == "sqlite":
            cursor.execute(
                f"INSERT INTO {search.SQLITE_TABLE}({search.SQLITE_TABLE}) VALUES ('rebuild')"  # noqa: S608
            )
    return rows


def bench_search() -> list[tuple[str, str, str]]:
    """Search a table of SEARCH_ROWS texts: a rare word, a common one, a phrase, a filter."""
    from heedback.collect.models import Response
    from heedback.orgs.models import Organisation
    from heedback.surveys.models import Survey
    from heedback.text import search
    from heedback.text.models import TextAnalysis

    started = time.perf_counter()
    _fill_search_table(SEARCH_ROWS)
    fill_seconds = time.perf_counter() - started
    organisation = Organisation.objects.get(slug="demo")
    survey = max(
        Survey.objects.filter(organisation=organisation),
        key=lambda candidate: candidate.responses.count(),
    )
    total = TextAnalysis.objects.count()
    cases = [
        ("a rare word (lawyer)", "lawyer", None),
        ("a common word (staff)", "staff", None),
        ('a phrase ("the room")', '"the room"', None),
        ("a common word within one survey", "staff", Response.objects.filter(survey=survey)),
    ]
    rows = []
    for label, query, responses in cases:
        samples = []
        for _ in range(7):
            begun = time.perf_counter()
            page = search.search_texts(organisation, query, responses=responses, limit=20)
            samples.append((time.perf_counter() - begun) * 1000)
        shown = f"{page.count:,}{'+' if page.count_capped else ''}"
        rows.append(
            (
                f"Search {total:,} texts for {label}, first page of 20",
                f"{statistics.median(samples):.1f} ms ({shown} matches)",
                "goal < 200 ms",
            )
        )
    rows.append((f"Filling and indexing {SEARCH_ROWS:,} texts", f"{fill_seconds:.0f} s", "—"))
    return rows
