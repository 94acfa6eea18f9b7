"""Churn analysis and the at-risk list on generated customers who answer surveys.

The customers and their answers come from ``bench/customers.py`` (``generate`` and
``answers_of``); lapse is judged by the worker's refresh, then each figure is timed. The
baseline is what the analysis would be without set-based SQL: a loop over the customers
reading each one's answers, measured on a sample in the same run.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

from customers import answers_of, generate, load, timed

TITLE = "Churn: lapse after each answer, themes before lapse, the at-risk list"
CUSTOMERS = int(os.environ.get("HEEDBACK_BENCH_CHURN_CUSTOMERS", "20000"))
SAMPLE = 500


def _load_answers(organisation, survey, unit, answers) -> None:
    from heedback.collect.models import Answer, Response
    from heedback.collect.services import answer_row
    from heedback.customers.models import Customer

    ids = dict(Customer.objects.for_org(organisation).values_list("external_id", "pk"))
    version = survey.published_version
    [nps] = [q for q in version.parsed().questions if q.key == "nps"]
    for start in range(0, len(answers), 20_000):
        chunk = answers[start : start + 20_000]
        responses = Response.objects.bulk_create(
            Response(
                organisation=organisation,
                survey=survey,
                version=version,
                unit=unit,
                idempotency_key=f"bench-{start + index}",
                submitted_at=when,
                local_date=when.date(),
                customer_id=ids[external_id],
            )
            for index, (external_id, when, _score) in enumerate(chunk)
        )
        Answer.objects.bulk_create(
            answer_row(response, nps, score)
            for response, (_id, _when, score) in zip(responses, chunk, strict=True)
        )


def _baseline_rate(organisation, window) -> float:
    """Return customers/s of a per-customer loop computing the same bands (on a sample)."""
    from heedback.collect.models import Answer
    from heedback.insights import churn

    nps = churn.nps_answers(organisation)
    customers = list(churn.judged_customers(organisation_customers(organisation))[:SAMPLE])
    started = time.perf_counter()
    counts: dict[str, list[int]] = {}
    for customer in customers:
        last = (
            Answer.objects.filter(nps, response__customer=customer)
            .filter(
                response__submitted_at__lte=window.answers_until,
                response__submitted_at__lt=customer.lapse_at,
            )
            .order_by("-response__submitted_at")
            .values_list("number", flat=True)
            .first()
        )
        if last is None:
            continue
        band = "detractor" if last <= 6 else "passive" if last <= 8 else "promoter"
        pair = counts.setdefault(band, [0, 0])
        pair[0] += customer.lapse_at < window.as_of
        pair[1] += 1
    return len(customers) / (time.perf_counter() - started)


def organisation_customers(organisation):
    from heedback.customers.models import Customer

    return Customer.objects.for_org(organisation)


def run() -> tuple[list[tuple[str, str, str]], list[str]]:
    from django.db import connection

    from heedback.collect.services import publish_and_open_links
    from heedback.customers import at_risk, services
    from heedback.insights import churn
    from heedback.onboarding import create_organisation
    from heedback.orgs.models import Unit
    from heedback.surveys import services as survey_services

    vendor = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}[connection.vendor]
    now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    generated = generate(CUSTOMERS, now=now)
    answers = list(answers_of(generated))
    organisation = create_organisation(name="Bench Churn", slug="bench-churn", time_zone="UTC")
    unit = Unit.objects.filter(organisation=organisation).first()
    survey = survey_services.create_survey_from_template(
        organisation, template_key="hotel_stay", name="Stay card"
    )
    publish_and_open_links(survey)
    survey.refresh_from_db()
    started = time.perf_counter()
    load(organisation, generated)
    _load_answers(organisation, survey, unit, answers)
    loaded = time.perf_counter() - started
    services.recompute_lapse(organisation)
    customers = organisation_customers(organisation)
    window = churn.ChurnWindow(as_of=now, follow_days=90)
    figures = churn.churn_figures(organisation, customers, window)
    judged = figures.judged
    figures_ms = timed(lambda: churn.churn_figures(organisation, customers, window), repeats=3)
    baseline = _baseline_rate(organisation, window)
    ours = judged / (figures_ms / 1000)
    themes_ms = timed(lambda: churn.themes_before_lapse(organisation, customers, window), 3)
    feedback_ms = timed(
        lambda: churn.lapsed_with_last_feedback(organisation, customers, window), repeats=3
    )
    at_risk_ms = timed(lambda: at_risk.at_risk_list(organisation, customers, now), repeats=3)
    bands = ", ".join(
        f"{band.key} {band.lapsed}/{band.n} ({band.rate:.1%})" for band in figures.nps if band.n
    )
    rows = [
        (
            f"[{vendor}] Loading {CUSTOMERS:,} customers and {len(answers):,} answers",
            f"{loaded:.1f} s",
            "—",
        ),
        (
            f"[{vendor}] Lapse after each NPS band and each domain ({judged:,} judged)",
            f"{figures_ms:.0f} ms: {ours:,.0f} customers/s",
            f"{ours / baseline:.0f}× a per-customer ORM loop ({baseline:,.0f} customers/s)",
        ),
        (
            f"[{vendor}] Themes before lapse (no themes discovered: the query alone)",
            f"{themes_ms:.0f} ms",
            "—",
        ),
        (f"[{vendor}] Last feedback before lapse, one page of 50", f"{feedback_ms:.0f} ms", "—"),
        (f"[{vendor}] At-risk list (three sources, 200 shown)", f"{at_risk_ms:.0f} ms", "—"),
    ]
    notes = [
        f"Bands found (lapsed/customers): {bands}. The generator makes churners answer lower,",
        "so detractors lapse more often, as these figures show.",
        f"The baseline loops over {SAMPLE} customers, one query each; its rate is extrapolated.",
    ]
    return rows, notes


if __name__ == "__main__":
    raise SystemExit("run through bench/run.py churn")
