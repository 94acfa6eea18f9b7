"""From a detractor's commit to the alert email accepted and the webhook received.

A real worker process (`heedback worker`) runs beside this one on the same SQLite file,
sending through aiosmtpd on loopback and to an HTTP receiver on loopback. Detractors are
submitted at a steady rate; each latency is the time from `submit_response` returning
(committed) to the SMTP server accepting the alert, or the receiver reading the
webhook. The baseline, measured in the same run, is an email written straight to the
outbox (no rule, no case): the delivery path alone.

Each database is measured in a child process on fresh data: SQLite always, PostgreSQL
when ``HEEDBACK_DATABASE_URL`` names a PostgreSQL server or
``HEEDBACK_BENCH_LOOP_DATABASES`` asks for it (``sqlite,postgresql``); PostgreSQL runs on
a scratch database of that server (``heedback_bench_loop``), created and dropped here.
The verdict against the goal (p95 under 5 s) is computed from the figures.
"""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import child_databases  # bench/child_databases.py

RATE = 50  # detractors per second
SECONDS = 20
BASELINE = 200
GOAL_SECONDS = 5.0
TITLE = f"Loop latency: detractor committed → alert email and webhook, {RATE}/s"
SCRATCH_DATABASE = "heedback_bench_loop"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Arrivals:
    """When each message arrived, by its idempotency key (emails) or case id (webhooks)."""

    def __init__(self) -> None:
        self.emails: dict[str, float] = {}
        self.webhooks: dict[int, float] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler
        arrived = time.time()
        found = re.search(rb"X-Heedback-Idempotency-Key: (\S+)", envelope.content)
        if found:
            with self.lock:
                self.emails.setdefault(found.group(1).decode(), arrived)
        return "250 Message accepted for delivery"


def receiver(arrivals: Arrivals) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            arrived = time.time()
            case_id = json.loads(body)["data"]["case"]["id"]
            with arrivals.lock:
                arrivals.webhooks.setdefault(case_id, arrived)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            return

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def setup(webhook_url: str):
    from django.conf import settings

    from heedback.collect.services import publish_and_open_links
    from heedback.notify.services import WebhookInput, create_webhook
    from heedback.onboarding import create_organisation
    from heedback.orgs import services as orgs
    from heedback.orgs.models import Unit
    from heedback.surveys.services import create_survey_from_template

    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    organisation = create_organisation(name="Bench", slug="bench")
    root = Unit.objects.get(organisation=organisation, parent__isnull=True)
    hotel = orgs.create_unit(organisation, name="Hotel", parent=root)
    manager = orgs.create_user(email="manager@example.com", password="a long password 1")  # noqa: S106
    orgs.add_member(organisation, manager, role="manager", unit=hotel)
    survey = create_survey_from_template(organisation, template_key="hotel_stay", name="Stay")
    publish_and_open_links(survey)
    survey.refresh_from_db()
    create_webhook(organisation, WebhookInput(url=webhook_url, events=["case.opened"]))
    return organisation, survey, hotel


def start_worker(smtp_port: int) -> subprocess.Popen:
    env = dict(os.environ)
    env["HEEDBACK_EMAIL_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    env["HEEDBACK_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    return subprocess.Popen(
        [sys.executable, "-m", "heedback.cli", "worker", "--periodic-interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def submit_paced(survey, hotel, count: int, rate: float, make) -> dict:
    """Call ``make(number)`` ``count`` times at ``rate`` a second; return commit times."""
    committed = {}
    start = time.time()
    for number in range(count):
        due = start + number / rate
        pause = due - time.time()
        if pause > 0:
            time.sleep(pause)
        key = make(number)
        committed[key] = time.time()
    return committed


def wait_for(condition, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while not condition() and time.time() < deadline:
        time.sleep(0.2)


def measure() -> dict:
    """Run one measurement on the configured database; return the latencies in seconds."""
    from aiosmtpd.controller import Controller

    from heedback.collect.services import Submission, submit_response
    from heedback.loop.models import Case
    from heedback.notify.services import Email, enqueue_email

    arrivals = Arrivals()
    smtp_port = free_port()
    controller = Controller(arrivals, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    http = receiver(arrivals)
    organisation, survey, hotel = setup(f"http://127.0.0.1:{http.server_address[1]}/hook")
    worker = start_worker(smtp_port)
    try:
        # Time nothing until the worker runs: a first email must come through.
        enqueue_email(Email(to=["b@example.com"], subject="warm-up", body="-"), key="warm-up")
        wait_for(lambda: "warm-up" in arrivals.emails, timeout=300)

        def baseline(number: int) -> str:
            key = f"bench-baseline-{number}"
            enqueue_email(Email(to=["b@example.com"], subject="baseline", body="-"), key=key)
            return key

        base_committed = submit_paced(survey, hotel, BASELINE, RATE, baseline)
        wait_for(lambda: all(key in arrivals.emails for key in base_committed))

        def detractor(number: int) -> int:
            submission = Submission(
                survey=survey,
                unit=hotel,
                answers={"nps": number % 7},
                idempotency_key=f"bench-{number}",
            )
            return submit_response(submission).response.pk

        committed = submit_paced(survey, hotel, RATE * SECONDS, RATE, detractor)
        wait_for(
            lambda: (
                len(arrivals.webhooks) >= len(committed)
                and len(arrivals.emails) >= len(committed) + BASELINE + 1
            )
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        controller.stop()
        http.shutdown()
    cases = dict(Case.objects.filter(organisation=organisation).values_list("pk", "response_id"))
    email_latency, webhook_latency = [], []
    for key, arrived in arrivals.emails.items():
        found = re.match(r"case-(\d+)-opened-", key)
        if found and cases.get(int(found.group(1))) in committed:
            email_latency.append(arrived - committed[cases[int(found.group(1))]])
    for case_id, arrived in arrivals.webhooks.items():
        if cases.get(case_id) in committed:
            webhook_latency.append(arrived - committed[cases[case_id]])
    base_latency = [
        arrivals.emails[key] - at for key, at in base_committed.items() if key in arrivals.emails
    ]
    return {
        "baseline": base_latency,
        "email": email_latency,
        "webhook": webhook_latency,
        "submitted": len(committed),
        "load": [round(value, 2) for value in os.getloadavg()],
    }


# --- the parent: one child per database, then the report ---------------------------------


def verdict(name: str, result: dict) -> str:
    """Say whether the goal is met, from the measured p95 of both paths."""
    worst = max(percentile(result["email"], 0.95), percentile(result["webhook"], 0.95))
    complete = len(result["email"]) == len(result["webhook"]) == result["submitted"]
    if worst < GOAL_SECONDS and complete:
        return (
            f"- {name}: **met** — the slower path's p95 is {worst:.2f} s, under the "
            f"{GOAL_SECONDS:.0f} s goal ({worst / GOAL_SECONDS:.0%} of it)."
        )
    missing = "" if complete else " (some messages never arrived)"
    return (
        f"- {name}: **not met** — the slower path's p95 is {worst:.2f} s, "
        f"{worst / GOAL_SECONDS:.1f}× the {GOAL_SECONDS:.0f} s goal{missing}."
    )


def _rows_of(name: str, result: dict) -> list[tuple[str, str, str]]:
    base_p95 = percentile(result["baseline"], 0.95)

    def row(what: str, values: list[float]) -> tuple[str, str, str]:
        p95 = percentile(values, 0.95)
        measured = (
            f"p50 {statistics.median(values):.2f} s, p95 {p95:.2f} s, max {max(values):.2f} s "
            f"({len(values)} of {result['submitted']})"
        )
        return f"[{name}] {what}", measured, f"{p95 / base_p95:.1f}× the baseline p95"

    return [
        (
            f"[{name}] Baseline: an email written to the outbox → accepted by SMTP",
            f"p50 {statistics.median(result['baseline']):.2f} s, p95 {base_p95:.2f} s "
            f"({len(result['baseline'])} of {BASELINE})",
            "1.0×",
        ),
        row("Detractor committed → alert email accepted by SMTP", result["email"]),
        row("Detractor committed → webhook received", result["webhook"]),
    ]


def run() -> tuple[list[tuple[str, str, str]], list[str]]:
    """Measure each database in a child process; return the rows and the notes."""
    rows: list[tuple[str, str, str]] = []
    verdicts = []
    loads = []
    for database in child_databases.databases("HEEDBACK_BENCH_LOOP_DATABASES"):
        result = child_databases.measure_in_child(
            __file__, database, marker="LOOP", scratch=SCRATCH_DATABASE
        )
        name = child_databases.NAMES[database]
        rows.extend(_rows_of(name, result))
        verdicts.append(verdict(name, result))
        loads.append(f"{name} {result['load'][0]:.1f}")
    notes = [
        f"{RATE * SECONDS} detractors submitted at {RATE} a second from one process while one",
        "`heedback worker` (periodic jobs every 0.2 s) evaluated the rules, opened the cases,",
        "and delivered the alerts and webhooks, on fresh data in each database. The goal of",
        f"the loop issue is a p95 under {GOAL_SECONDS:.0f} seconds on both paths:",
        "",
        *verdicts,
        "",
        f"Load average (1 min) at the end of each measurement: {', '.join(loads)} on "
        f"{os.cpu_count()} cores (the machine is shared; the baseline, measured in the same",
        "run, shows what the delivery path alone costs at that moment). PostgreSQL is measured",
        "when `HEEDBACK_DATABASE_URL` names a PostgreSQL server or",
        "`HEEDBACK_BENCH_LOOP_DATABASES=sqlite,postgresql` asks for it.",
    ]
    return rows, notes


if __name__ == "__main__" and sys.argv[1:] == ["--measure"]:
    child_databases.main(measure, "LOOP")
