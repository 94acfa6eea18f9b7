"""Ingest: single responses through the real server against a bare Ninja endpoint; batches.

Everything runs as an operator runs it: ``heedback serve`` (granian, WSGI, 2 workers,
bounded concurrency) with production settings, on SQLite (``synchronous=FULL``) and on
PostgreSQL, loaded over loopback by ``wrk`` with unique idempotency keys. The baseline, a
Ninja endpoint that stores nothing (``bare_ninja.py``), is served the same way in the
same run. Then the latency at 80% of the measured rate, sent at a constant rate by wrk
(each connection on a fixed schedule, each latency counted from when its request was
due, so queueing shows in the figure), and batches of 1,000 through the batch endpoint.

The three servers run side by side and are measured in turns, a few rounds each (the
order rotates), so the neighbours' load on a shared machine, which moves minute by
minute, weighs on the baseline and on ours alike: each round gives a ratio, and the
median round is the figure.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

TITLE = "Ingest: single responses through the real server, and batches"

WORKERS = 2
WARM_UP_SECONDS = 1
LOAD_SECONDS = 4
ROUNDS = 3
# Saturation rounds: on a shared machine the neighbours move one round's ratio by ±0.1
# (0.41–0.66 in one run), over seconds: many short rounds, the three targets in turns,
# put each stored round beside a bare one of the same few seconds. Odd: one is the median.
SINGLE_ROUNDS = 11
PACED_SECONDS = 8
CONNECTIONS = 32
RATE_SHARE = 0.8
BATCH_SIZE = 1000
BATCHES = 40
BATCH_CLIENTS = 4
POSTGRES_URL = os.environ.get(
    "HEEDBACK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/heedback_bench_ingest"
)
BENCH_DIR = Path(__file__).resolve().parent

# What both wrk scripts share: each thread's number, the settings, and a request body
# with an idempotency key unique to the run, the thread and the request.
COMMON_LUA = """
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end
function read_settings()
  path = os.getenv("BENCH_PATH")
  prefix = os.getenv("BENCH_PREFIX")
  unit = os.getenv("BENCH_UNIT")
  headers = {["Content-Type"] = "application/json", ["Authorization"] = os.getenv("BENCH_AUTH")}
end
function post(n)
  local body = '{"idempotency_key":"' .. prefix .. '-' .. thread_number .. '-' .. n
    .. '","unit":' .. unit .. ',"answers":{"nps":' .. (n % 11) .. ',"staff":4}}'
  return wrk.format("POST", path, headers, body)
end
"""

LUA = (
    COMMON_LUA
    + """
local counter = 0
function init(args)
  read_settings()
end
function request()
  counter = counter + 1
  return post(counter)
end
"""
)

SETUP_SCRIPT = """
import json
from heedback.collect.services import publish_and_open_links
from heedback.onboarding import create_organisation
from heedback.orgs import services as org_services
from heedback.orgs.models import Unit
from heedback.surveys import services as survey_services
organisation = create_organisation(name="Bench Hotels", slug="bench")
root = Unit.objects.get(organisation=organisation, parent__isnull=True)
unit = org_services.create_unit(organisation, name="Harbour Hotel", parent=root)
key = org_services.create_api_key(organisation, name="bench")
survey = survey_services.create_survey_from_template(
    organisation, template_key="hotel_stay", name="Stay card"
)
publish_and_open_links(survey)
print(json.dumps({"key": key.secret, "survey": survey.pk, "unit": unit.pk}))
"""


def run() -> tuple[list[tuple[str, str, str]], list[str]]:
    """Return the rows of this section and its notes (called in a prepared Django process)."""
    load_at_start = os.getloadavg()[0]
    wrk, wrk_note = find_wrk()
    if wrk is None:
        return [("Ingest", "not measured", "—")], [wrk_note]
    data_dir = Path(os.environ["HEEDBACK_DATA_DIR"])
    databases = {"SQLite (synchronous=FULL)": f"sqlite:///{data_dir / 'ingest.sqlite3'}"}
    postgres_note = ensure_postgres_database(POSTGRES_URL)
    if postgres_note is None:
        databases["PostgreSQL"] = POSTGRES_URL
    notes = [wrk_note] if wrk_note else []
    if postgres_note:
        notes.append(postgres_note)
    with contextlib.ExitStack() as stack:
        bare_env = {**os.environ, "PYTHONPATH": str(BENCH_DIR)}
        targets = [Target("bare", stack.enter_context(serving(bare_command(), bare_env)))]
        for label, url in databases.items():
            env = server_env(url, data_dir)
            setup = prepare(env)
            base = stack.enter_context(serving(heedback_serve_command(), env))
            targets.append(Target(label, base, url, setup))
        measure_in_turns(wrk, targets)
    bare, stored = targets[0], targets[1:]
    rows = [
        (
            "Bare Ninja endpoint (stores nothing), baseline",
            f"{median(r['rate'] for r in bare.single):,.0f} requests/s, "
            f"p99 {median(r['p99'] for r in bare.single):.1f} ms, server CPU "
            f"{median(r['cpu_us'] for r in bare.single):,.0f} µs a request",
            "1.00×",
        )
    ]
    rows.append(paced_row(bare, f"Bare Ninja endpoint: at {RATE_SHARE:.0%} of its rate, constant"))
    for target in stored:
        rows += target_rows(target, bare)
    rows += writers_queue_rows(data_dir)
    notes += [
        f"Server: `heedback serve --workers {WORKERS}` with its default threads and",
        "backpressure, `HEEDBACK_ENV=production`, the API key's rate limit switched off",
        "(`HEEDBACK_RATE_LIMIT_API_KEY=0/60`) because the benchmark is one key at full speed.",
        "The three servers run side by side and are measured in turns:",
        f"{SINGLE_ROUNDS} rounds, each `wrk -t1 -c{CONNECTIONS} -d{LOAD_SECONDS}s` on the bare",
        "endpoint, SQLite and PostgreSQL (the order rotating), after every connection had",
        f"five answers and before each run a {WARM_UP_SECONDS} s wrk warm-up; a Lua script",
        "POSTs JSON with a unique idempotency key per request; stored responses/s is rows",
        "counted in the database after the run over its duration. Each round's ratio",
        "divides its stored rate by the bare endpoint's rate in the same round; the figures",
        "are the median round's, with the middle half of the rounds' ratios and all of them.",
        f"The constant-rate line: `wrk -t{PACED_THREADS} -c{CONNECTIONS}` with a Lua script",
        "(wrk2 is not packaged in Debian): each wrk thread sends its share of the rate on a",
        f"fixed schedule of slots (one due every {PACED_THREADS}/rate seconds, the threads",
        "staggered) over its connections; a connection that gets its answer takes the next",
        "slot, a late slot is sent at once, and each latency counts from when its slot was",
        "due (the slot travels in the idempotency key and comes back in the answer), so a",
        "stall is charged to every request it delayed. Requests still unanswered when the run",
        f"ends are not counted. {ROUNDS} runs of {PACED_SECONDS} s on each server, in turns;",
        "the figures are the median run's (by p99), then every run's p99 and the p99 of",
        "all their latencies pooled. When the machine's capacity dips (a neighbour's",
        "burst), 80% of the median rate can exceed it for the dip's length; the requests",
        "of that second queue, and they show in that run's p99. The bare endpoint is",
        "paced the same way at 80% of its own rate, in the same turns: its tail is the",
        "machine's noise with nothing stored.",
        f"Batches: {ROUNDS} rounds of {BATCHES} batches on each database, in turns; the",
        "median round and the range. The clients' bodies are encoded before the clock",
        "starts and the answers decoded after it stops (load generator's work, not the",
        "server's); the rows counted in the database must equal the items answered created.",
        "The load generator shares the 2 cores with the server (and, on this machine, with",
        "other work): the absolute figures are lower bounds, the ratios the point.",
        f"Load average when this run began: {load_at_start:.1f} on {os.cpu_count()} cores,",
        f"{os.getloadavg()[0]:.1f} when it ended. Server CPU per request (from /proc, during",
        "the measured wrk run) moves less with other load than rates do, but not",
        "nothing: neighbours on shared cores raise it too (the bare endpoint has taken 150–280",
        "µs a request on quiet machines and up to 480 µs on busy ones), so only ratios measured",
        "in one run compare. A quiet machine does not favour the stored targets: the bare",
        "endpoint gains more from it (on 2026-12-07, 6,600 requests/s quiet against 3,700 busy,",
        "while the stored rates barely moved).",
        f"Writers' queue: {QUEUE_PROCESSES} processes committing one-row transactions to one",
        "SQLite file (WAL, synchronous=FULL) for a few seconds, waiting in SQLite's busy",
        "handler (it polls with sleeps growing to 100 ms) against queueing on an `flock` first",
        "(`collect.storage.writers_queue`, what the group committer and batches do).",
    ]
    return rows, notes


def measure_in_turns(wrk: str, targets: list[Target]) -> None:
    """Measure the bare endpoint (first) and the stored targets round by round, in turns."""
    for target in targets:
        warm_up(target)
    for round_number in range(SINGLE_ROUNDS):
        turn = round_number % len(targets)
        for target in targets[turn:] + targets[:turn]:
            target.single.append(measure_single(wrk, target))
    bare, stored = targets[0], targets[1:]
    for target in stored:
        target.ratios = [
            mine["stored"] / baseline["rate"]
            for mine, baseline in zip(target.single, bare.single, strict=True)
        ]
    # The bare endpoint is paced too, at the same share of its own rate: how long its
    # tail is in the same minutes says what the machine's noise does to a server that
    # stores nothing.
    for _round in range(ROUNDS):
        for target in targets:
            rate = RATE_SHARE * median(served_rate(result) for result in target.single)
            target.paced.append(constant_rate(wrk, target, rate, PACED_SECONDS))
    # wrk stops with requests in flight; the server still stores them. Let them land
    # before the batches count what they stored.
    time.sleep(2)
    for round_number in range(ROUNDS):
        for target in stored:
            target.batches.append(measure_batches(target, f"batch-{round_number}"))


@dataclass
class Target:
    """A server under test and what was measured on it, round by round."""

    label: str
    base: str
    database_url: str = ""
    setup: dict = field(default_factory=lambda: {"unit": 1, "key": "", "survey": 1})
    single: list[dict] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    paced: list[dict] = field(default_factory=list)
    batches: list[dict] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"/api/v1/surveys/{self.setup['survey']}/responses"

    @property
    def auth(self) -> str:
        return f"Bearer {self.setup['key']}" if self.setup["key"] else ""

    def wrk_env(self, prefix: str) -> dict[str, str]:
        """Return the environment the wrk scripts read their settings from (``COMMON_LUA``)."""
        return {
            **os.environ,
            "BENCH_PATH": self.path,
            "BENCH_AUTH": self.auth,
            "BENCH_UNIT": str(self.setup["unit"]),
            "BENCH_PREFIX": prefix,
        }


def target_rows(target: Target, bare: Target) -> list[tuple[str, str, str]]:
    """Return the rows of one database: single POSTs, their CPU, the paced run, batches."""
    label = target.label
    single = median_round(target.single, target.ratios)
    ratios = sorted(target.ratios)
    cpu_ratios = sorted(
        mine["cpu_us"] / baseline["cpu_us"]
        for mine, baseline in zip(target.single, bare.single, strict=True)
    )
    batch_rates = sorted(batch["rate"] for batch in target.batches)
    batch_rate = median(batch_rates)
    return [
        (
            f"{label}: single `POST`s, stored",
            f"{single['stored']:,.0f} responses/s ({single['errors']} errors), "
            f"p99 {single['p99']:.1f} ms under saturation",
            f"{median(ratios):.2f}× the bare endpoint (middle half of the rounds "
            f"{quartiles(ratios)}, all {ratios[0]:.2f}–{ratios[-1]:.2f}; goal ≥ 0.50)",
        ),
        (
            f"{label}: single `POST`s, server CPU per stored response",
            f"{median(run['cpu_us'] for run in target.single):,.0f} µs "
            "(user + system, all server processes)",
            f"{median(cpu_ratios):.1f}× the bare endpoint's CPU a request",
        ),
        paced_row(target, f"{label}: at {RATE_SHARE:.0%} of that rate, constant"),
        (
            f"{label}: batches of {BATCH_SIZE:,}, {BATCH_CLIENTS} clients",
            f"{batch_rate:,.0f} responses/s (rounds {batch_rates[0]:,.0f}–{batch_rates[-1]:,.0f})",
            f"{batch_rate / 20000:.2f}× the 20,000/s goal" if "PostgreSQL" in label else "—",
        ),
    ]


def paced_row(target: Target, what: str) -> tuple[str, str, str]:
    """Return the row of a target's constant-rate runs: the median run's (by p99), and all."""
    runs = sorted(
        (sorted(run["latencies"]) for run in target.paced),
        key=lambda latencies: percentile(latencies, 0.99),
    )
    latencies = runs[len(runs) // 2]  # the median run's
    pooled = sorted(value for run in runs for value in run)
    answered = sum(run["answered"] for run in target.paced)
    sent = answered / sum(run["seconds"] for run in target.paced)
    errors = sum(run["errors"] for run in target.paced)
    p99 = percentile(latencies, 0.99)
    p99_range = f"{percentile(runs[0], 0.99):.0f}–{percentile(runs[-1], 0.99):.0f}"
    verdict = f"p99 {'under' if p99 < 100 else 'OVER'} the 100 ms goal"
    return (
        what,
        f"{sent:,.0f} requests/s sent, p50 {percentile(latencies, 0.5):.1f} ms, "
        f"p99 {p99:.1f} ms (runs {p99_range} ms; all runs pooled "
        f"{percentile(pooled, 0.99):.0f} ms), {errors} errors",
        verdict if target.database_url else f"reference: {verdict.removeprefix('p99 ')}",
    )


def served_rate(result: dict) -> float:
    """Return a saturation round's rate: responses stored, or the bare endpoint's requests."""
    return result.get("stored", result["rate"])


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def median_round(results: list[dict], ratios: list[float]) -> dict:
    """Return the round whose ratio is the median one (the middle of an odd count)."""
    order = sorted(range(len(ratios)), key=ratios.__getitem__)
    return results[order[len(order) // 2]]


def quartiles(sorted_values: list[float]) -> str:
    """Return the first and third quartiles of ``sorted_values``, as a range."""
    first, _median, third = statistics.quantiles(sorted_values, n=4)
    return f"{first:.2f}–{third:.2f}"


def percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[max(0, math.ceil(len(sorted_values) * share) - 1)]


QUEUE_PROCESSES = 4
QUEUE_SECONDS = 4


def _commit_in_a_loop(path: str, use_file_lock: bool, results) -> None:
    """Commit one-row transactions for QUEUE_SECONDS; put each commit's wait (s) in results."""
    import fcntl

    connection = sqlite3.connect(path, timeout=20, isolation_level=None)
    connection.execute("PRAGMA synchronous=FULL")
    waits = []
    stop_at = time.monotonic() + QUEUE_SECONDS
    while time.monotonic() < stop_at:
        started = time.perf_counter()
        handle = open(f"{path}-writers.lock", "a") if use_file_lock else None  # noqa: SIM115
        if handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO row VALUES (1)")
        connection.execute("COMMIT")
        if handle:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
        waits.append(time.perf_counter() - started)
    results.put(waits)


def writers_queue_rows(data_dir: Path) -> list[tuple[str, str, str]]:
    """SQLite writers of several processes: the busy handler's polling against an flock queue."""
    import multiprocessing

    figures = {}
    for use_file_lock in (False, True):
        path = str(data_dir / f"queue-{int(use_file_lock)}.sqlite3")
        with contextlib.closing(sqlite3.connect(path)) as setup:
            setup.execute("PRAGMA journal_mode=WAL")
            setup.execute("CREATE TABLE row (value)")
        results = multiprocessing.Queue()
        processes = [
            multiprocessing.Process(target=_commit_in_a_loop, args=(path, use_file_lock, results))
            for _ in range(QUEUE_PROCESSES)
        ]
        for process in processes:
            process.start()
        per_process = [results.get() for _ in processes]
        for process in processes:
            process.join()
        waits = sorted(wait for waits in per_process for wait in waits)
        figures[use_file_lock] = {
            "rate": len(waits) / QUEUE_SECONDS,
            "p99": waits[int(len(waits) * 0.99)] * 1000,
            "max": waits[-1] * 1000,
            "fewest": min(len(waits) for waits in per_process),
            "most": max(len(waits) for waits in per_process),
        }
    busy, queued = figures[False], figures[True]

    def describe(figure: dict) -> str:
        return (
            f"{figure['rate']:,.0f} commits/s, p99 wait {figure['p99']:.0f} ms, "
            f"longest {figure['max']:,.0f} ms, {figure['fewest']:,}–{figure['most']:,} "
            "commits per process"
        )

    return [
        (f"SQLite, {QUEUE_PROCESSES} writer processes, busy handler", describe(busy), "—"),
        (
            f"SQLite, {QUEUE_PROCESSES} writer processes, queued on a file lock",
            describe(queued),
            f"longest wait {busy['max'] / queued['max']:.0f}× shorter",
        ),
    ]


def find_wrk() -> tuple[str | None, str]:
    """Return the path of wrk, installing Debian's package when root may; else a reason."""
    found = shutil.which("wrk")
    if found:
        return found, ""
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "wrk"], capture_output=True, check=False)
        found = shutil.which("wrk")
        if found:
            return found, "wrk was installed from Debian's package for this run."
    return None, "Not measured: wrk is missing and could not be installed (apt-get install wrk)."


def ensure_postgres_database(url: str) -> str | None:
    """Create the benchmark's own PostgreSQL database afresh; return why not, if it fails."""
    try:
        import psycopg
    except ImportError:
        return "PostgreSQL not measured: psycopg is not installed."
    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        return f"PostgreSQL not measured: {error}".strip()
    return None


def server_env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEEDBACK_", "DJANGO_"))}
    env.update(
        {
            "HEEDBACK_DATA_DIR": str(data_dir),
            "HEEDBACK_DATABASE_URL": database_url,
            "HEEDBACK_ENV": "production",
            "HEEDBACK_SECRET_KEY": "ingest-benchmark-" + "x" * 60,
            "HEEDBACK_ALLOWED_HOSTS": "127.0.0.1",
            "HEEDBACK_SSL_REDIRECT": "0",
            "HEEDBACK_RATE_LIMIT_API_KEY": "0/60",
        }
    )
    return env


def heedback(env: dict[str, str], *arguments: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "heedback.cli", *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"heedback {arguments[0]} failed: {result.stderr[-2000:]}")
    return result.stdout


def prepare(env: dict[str, str]) -> dict:
    """Migrate the database and make an organisation, a key and a published survey."""
    heedback(env, "migrate", "-v", "0")
    return json.loads(heedback(env, "shell", "-c", SETUP_SCRIPT).strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def heedback_serve_command() -> list[str]:
    return [sys.executable, "-m", "heedback.cli", "serve", "--workers", str(WORKERS)]


def bare_command() -> list[str]:
    """The granian command line of ``heedback serve``, pointed at the bare endpoint."""
    from heedback.ops.management.commands.serve import granian_arguments

    arguments = granian_arguments("127.0.0.1", 0, WORKERS, *serve_defaults())
    arguments[arguments.index("heedback.wsgi:application")] = "bare_ninja:application"
    return arguments[: arguments.index("--port")] + arguments[arguments.index("--port") + 2 :]


def serve_defaults() -> tuple[int, int]:
    """Return the threads and backpressure ``heedback serve`` uses when not told otherwise."""
    from heedback.ops.management.commands.serve import Command

    parser = Command().create_parser("heedback", "serve")
    defaults = parser.parse_args([])
    return defaults.threads, defaults.backpressure


@contextlib.contextmanager
def serving(command: list[str], env: dict[str, str]) -> Iterator[str]:
    """Run a server on a free port until the block ends; yield its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        cwd=BENCH_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[:4]} did not start") from None
                time.sleep(0.3)
        time.sleep(1.5)  # every worker up, not only the first
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run_wrk(wrk: str, target: Target, prefix: str, seconds: int) -> dict:
    """Run wrk with the POST script; return its rate, latencies (ms) and error count."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    env = target.wrk_env(prefix)
    command = [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    command += ["-s", script.name]
    completed = subprocess.run(
        [*command, target.base + target.path], env=env, capture_output=True, text=True, check=True
    )
    output = completed.stdout
    if os.environ.get("BENCH_VERBOSE"):
        print(output, completed.stderr, file=sys.stderr)
    os.unlink(script.name)
    total = re.search(r"(\d+) requests in", output).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "total": int(total),
        "errors": int(errors.group(1)) if errors else 0,
        "p50": wrk_milliseconds(output, "50%"),
        "p99": wrk_milliseconds(output, "99%"),
    }


def wrk_milliseconds(output: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)\b", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def warm_up(target: Target, requests_each: int = 5) -> None:
    """Make every worker thread answer a few requests: the first ones import and compile.

    Warming for a fixed time is not enough on a busy machine, where the first answers
    of a fresh worker can take longer than the whole warm-up.
    """
    host, port = target.base.removeprefix("http://").split(":")

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=120)
        for index in range(requests_each):
            body = {
                "idempotency_key": f"warm-{number}-{index}",
                "unit": target.setup["unit"],
                "answers": {"nps": 9, "staff": 4},
            }
            post(connection, target.path, target.setup["key"], body)
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def server_cpu_seconds(base: str) -> float:
    """Return the CPU time (user + system) used so far by the server listening at ``base``.

    Counted per request it is robust to other load on a shared machine, unlike rates.
    """
    port = base.rsplit(":", 1)[1]
    found = subprocess.run(["pgrep", "-f", "--", f"--port {port}"], capture_output=True, text=True)
    total = 0
    for pid in found.stdout.split():
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def measure_single(wrk: str, target: Target) -> dict:
    """Saturate the target with single POSTs for a while; return rates, latencies and CPU."""
    run_wrk(wrk, target, f"warm-{time.time_ns()}", WARM_UP_SECONDS)
    before = count_responses(target.database_url)
    cpu_before = server_cpu_seconds(target.base)
    started = time.monotonic()
    result = run_wrk(wrk, target, f"load-{time.time_ns()}", LOAD_SECONDS)
    elapsed = time.monotonic() - started
    cpu = server_cpu_seconds(target.base) - cpu_before
    if target.database_url:
        stored = count_responses(target.database_url) - before
        result["stored"] = stored / elapsed
        result["cpu_us"] = cpu * 1e6 / max(stored, 1)
    else:
        result["cpu_us"] = cpu * 1e6 / result["total"]
    return result


def count_responses(database_url: str) -> int:
    if not database_url:
        return 0
    if database_url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as db:
            return db.execute("SELECT count(*) FROM collect_response").fetchone()[0]
    import psycopg

    with psycopg.connect(database_url) as db:
        return db.execute("SELECT count(*) FROM collect_response").fetchone()[0]


def post(connection: http.client.HTTPConnection, path: str, key: str, body: dict) -> int:
    connection.request(
        "POST",
        path,
        body=json.dumps(body),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )
    reply = connection.getresponse()
    reply.read()
    return reply.status


# The constant-rate load: a few wrk threads, each sending its share of the rate on a fixed
# schedule of slots (slot k of a thread is due at its start + k periods) over its
# connections. A connection that gets its answer takes the thread's next slot and waits
# for it; a late slot is sent at once. The slot's number travels in the idempotency key
# and comes back in the answer, so each latency counts from when its slot was due: a
# stall is charged to every request it delayed (no coordinated omission). A few threads,
# not one per connection: thirty-two wrk threads cost the 2 cores three times the CPU a
# request of one thread does, taken from the server whose latency is measured.
PACED_THREADS = 4
PACED_LUA = (
    COMMON_LUA
    + """
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } timespec_t;
int clock_gettime(int clock_id, timespec_t *tp);
]]
local clock = ffi.new("timespec_t")
local function now_ms()
  ffi.C.clock_gettime(0, clock)  -- CLOCK_REALTIME: the threads share the start time
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

function init(args)
  read_settings()
  local rate = tonumber(os.getenv("BENCH_RATE"))
  local thread_count = tonumber(os.getenv("BENCH_THREADS"))
  period = 1000 * thread_count / rate
  first_due = tonumber(os.getenv("BENCH_START_MS"))
    + (thread_number - 1) * period / thread_count
  scheduled = 0  -- the last slot a connection waits for (or was sent)
  sent = 0  -- the last slot sent; slots are sent in order, as their waits end in order
  latencies = {}
  errors = 0
end

local function due(slot)
  return first_due + (slot - 1) * period
end

function delay()
  scheduled = scheduled + 1
  local wait = due(scheduled) - now_ms()
  if wait < 0 then
    return 0  -- late: send at once, and its latency still counts from when it was due
  end
  return wait
end

function request()
  sent = sent + 1
  if scheduled < sent then
    scheduled = sent  -- a connection's first request, sent without a delay
  end
  return post(sent)
end

function response(status, headers, body)
  local slot = tonumber(string.match(body, '"idempotency_key": "[^"]*%-(%d+)"') or sent)
  latencies[#latencies + 1] = math.max(0, now_ms() - due(slot))
  if status ~= 201 then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local all = {}
  local failed = 0
  for _, thread in ipairs(threads) do
    for _, value in ipairs(thread:get("latencies")) do
      all[#all + 1] = value
    end
    failed = failed + thread:get("errors")
  end
  local out = io.open(os.getenv("BENCH_LATENCIES"), "w")
  for _, value in ipairs(all) do
    out:write(string.format("%.3f\\n", value))
  end
  out:close()
  io.write(string.format("PACED %d %d\\n", #all, failed))
end
"""
)


def constant_rate(wrk: str, target: Target, rate: float, seconds: int) -> dict:
    """Send requests due at a constant rate; return each one's latency from when it was due."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(PACED_LUA)
    with tempfile.NamedTemporaryFile("r", suffix=".txt", delete=False) as latencies:
        pass
    env = {
        **target.wrk_env(f"paced-{time.time_ns()}"),
        "BENCH_RATE": str(rate),
        "BENCH_THREADS": str(PACED_THREADS),
        "BENCH_START_MS": str(int(time.time() * 1000) + 500),
        "BENCH_LATENCIES": latencies.name,
    }
    command = [wrk, f"-t{PACED_THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s"]
    completed = subprocess.run(
        [*command, "-s", script.name, target.base + target.path],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    os.unlink(script.name)
    if os.environ.get("BENCH_VERBOSE"):
        print(completed.stdout, completed.stderr, file=sys.stderr)
    answered, errors = re.search(r"PACED (\d+) (\d+)", completed.stdout).groups()
    values = [float(line) for line in Path(latencies.name).read_text().split()]
    os.unlink(latencies.name)
    assert len(values) == int(answered), (len(values), answered)
    return {
        "answered": int(answered),
        "seconds": seconds - 0.5,
        "latencies": values,
        "errors": int(errors),
    }


def measure_batches(target: Target, prefix: str) -> dict:
    """Post BATCHES batches of new responses from BATCH_CLIENTS clients; return responses/s.

    The bodies are written before the clock starts and the answers read after it stops:
    the clients share the 2 cores with the server, and encoding and decoding a thousand
    items in Python is the load generator's work, not the server's.
    """
    host, port = target.base.removeprefix("http://").split(":")
    path = f"{target.path}/batch"
    bodies = iter([batch_body(target, f"{prefix}-{number}") for number in range(BATCHES)])
    lock = threading.Lock()
    replies: list[bytes] = []

    def client() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=120)
        while True:
            with lock:
                body = next(bodies, None)
            if body is None:
                break
            headers = {"Content-Type": "application/json", "Authorization": target.auth}
            connection.request("POST", path, body=body, headers=headers)
            reply = connection.getresponse().read()
            with lock:
                replies.append(reply)
        connection.close()

    before = count_responses(target.database_url)
    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(BATCH_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    stored = count_responses(target.database_url) - before
    created = sum(json.loads(reply).get("created", 0) for reply in replies)
    assert stored == created == BATCHES * BATCH_SIZE, (stored, created)
    return {"rate": stored / elapsed, "created": stored}


def batch_body(target: Target, prefix: str) -> bytes:
    items = [
        {
            "idempotency_key": f"{prefix}-{index}",
            "unit": target.setup["unit"],
            "answers": {"nps": index % 11, "staff": 1 + index % 5},
            "comment": "Breakfast was cold" if index % 7 == 0 else "",
        }
        for index in range(BATCH_SIZE)
    ]
    return json.dumps({"items": items}).encode()
