"""The foundation: seeding, the metric query and the results page on the demo data."""

from __future__ import annotations

import statistics
import time
from collections import defaultdict

RESPONSES = 20000
REPEATS = 7


def timed(function, repeats: int = REPEATS) -> float:
    """Return the median wall time of ``function`` in milliseconds."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


TITLE = "Foundation: demo data, metric query, results page"


def run() -> tuple[list[tuple[str, str, str]], list[str]]:
    """Return the rows of this section and its notes (called in a prepared Django process)."""
    seed_start = time.perf_counter()
    from heedback.demo.seed import seed_demo

    seed_demo(responses=RESPONSES)
    seed_seconds = time.perf_counter() - seed_start
    rows = [
        ("Seeding the demo data", f"{RESPONSES:,} responses in {seed_seconds:.1f} s", "—"),
        *bench_metric_query(),
        *bench_results_page(),
    ]
    notes = [
        "The metric query groups answers inside the database, but on SQLite the month in",
        "the organisation's time zone is computed by a Python function that Django registers",
        "with SQLite and calls once per row, so it is no faster than reading the rows. The",
        "additive daily rollups of the insights issue remove that per-row work; this line is",
        "the baseline they must beat.",
    ]
    return rows, notes


def bench_metric_query() -> list[tuple[str, str, str]]:
    """NPS by month from database histograms against fetching every answer into Python."""
    from heedback.collect.models import Answer
    from heedback.insights.metrics import nps
    from heedback.insights.selectors import MetricQuery, compute_metric
    from heedback.orgs.models import Organisation
    from heedback.surveys.models import Survey

    organisation = Organisation.objects.get(slug="demo")
    survey = max(
        Survey.objects.filter(organisation=organisation, status="published"),
        key=lambda candidate: candidate.responses.count(),
    )
    query = MetricQuery(organisation=organisation, survey=survey, metric="nps", group_by="month")

    def ours() -> None:
        compute_metric(query)

    def baseline() -> None:
        # What a first version would do: read every answer, bucket it in Python.
        by_month: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for number, when in Answer.objects.filter(
            response__survey=survey, question_key="nps"
        ).values_list("number", "response__submitted_at"):
            by_month[when.strftime("%Y-%m")][number] += 1
        for histogram in by_month.values():
            nps(histogram)

    ours_ms, baseline_ms = timed(ours), timed(baseline)
    answers = Answer.objects.filter(response__survey=survey, question_key="nps").count()
    return [
        (
            f"NPS by month, {answers:,} answers (`compute_metric`)",
            f"{ours_ms:.1f} ms vs {baseline_ms:.1f} ms reading rows into Python",
            f"{baseline_ms / ours_ms:.2f}× the baseline's speed",
        )
    ]


def bench_results_page() -> list[tuple[str, str, str]]:
    """The results page of the busiest survey for a year, for an owner, through Django."""
    from django.test import Client

    from heedback.orgs.models import Membership
    from heedback.surveys.models import Survey

    owner = Membership.objects.filter(organisation__slug="demo", role="owner").first()
    survey = max(
        Survey.objects.filter(organisation=owner.organisation, status="published"),
        key=lambda candidate: candidate.responses.count(),
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner.user)
    url = f"/o/demo/surveys/{survey.pk}/results/"
    assert client.get(url).status_code == 200
    page_ms = timed(lambda: client.get(url))
    health_ms = timed(lambda: client.get("/healthz"), repeats=21)
    return [
        (
            f"Results page, {survey.responses.count():,} responses, last 12 months",
            f"{page_ms:.0f} ms vs {health_ms:.1f} ms for the health check",
            f"{page_ms / health_ms:.0f}× a bare request",
        )
    ]
