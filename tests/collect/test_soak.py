"""Nothing lost, nothing doubled: thousands of submissions while the server is SIGKILLed.

The real server (``heedback serve``: granian, two workers, group commit) and the real
worker run in their own processes on their own database; client threads send single
responses and batches, replay what they already sent (with other scores, to catch an
overwrite) and retry whatever got no answer, while the server is killed with SIGKILL at
seeded moments of the load and started again. Then the database, every reply and a real
SMTP server's inbox must agree: each acknowledged submission is stored once, under the
id its replies named, with the answers first sent; each detractor's alert arrived once.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import SmtpInbox
from tests.servers import Server, clean_env, free_port, heedback, request

SEED = 20261204
CLIENTS = 6
NEW_SINGLES_PER_CLIENT = 260
BATCHES_PER_CLIENT = 12
BATCH_SIZE = 50
KILLS = 4
PATIENCE_SECONDS = 600  # how long a client keeps sending one batch while the server is down
ALERT_ADDRESS = "soak@example.com"
DETRACTOR_EVERY = 25  # keys whose number is a multiple of this score 3, the others 9 or 10


def score_of(number: int) -> int:
    return 3 if number % DETRACTOR_EVERY == 0 else 9 + number % 2


def answers(score: int) -> dict:
    return {"nps": score, "satisfaction": 4, "problem_resolved": True}


@dataclass
class Ledger:
    """What the clients sent and what the server told them, shared by all client threads."""

    scores: dict[str, int] = field(default_factory=dict)
    acknowledged: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    submissions: int = 0  # answered by the server (attempts that got no reply not counted)
    replays: int = 0
    failures: int = 0
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acknowledge(self, key: str, response_id: int) -> None:
        with self.lock:
            self.acknowledged[key].add(response_id)


class Client:
    """One integration: a keep-alive connection that follows the server across restarts."""

    def __init__(self, number: int, server: Server, target: dict, ledger: Ledger) -> None:
        self.number = number
        self.server = server
        self.target = target
        self.ledger = ledger
        self.random = random.Random(SEED * 100 + number)
        self.connection: http.client.HTTPConnection | None = None
        self.retry: list[tuple[str, int]] = []  # (key, score) sent without a reply
        self.done: list[str] = []  # keys acknowledged at least once
        self.next_number = 0

    def run(self) -> None:
        singles, batches = NEW_SINGLES_PER_CLIENT, BATCHES_PER_CLIENT
        while singles or batches or self.retry:
            choice = self.random.random()
            if self.retry:
                key, score = self.retry.pop(0)
                self.single(key, score)
            elif self.done and choice < 0.15:
                self.replay()
            elif batches and (choice < 0.3 or not singles):
                batches -= 1
                self.batch()
            elif singles:
                singles -= 1
                self.single(*self.new_key())
        if self.connection is not None:
            self.connection.close()

    def new_key(self) -> tuple[str, int]:
        key = f"c{self.number}-{self.next_number}"
        score = score_of(self.next_number)
        self.next_number += 1
        with self.ledger.lock:
            self.ledger.scores[key] = score
        return key, score

    def replay(self) -> None:
        """Send an acknowledged key again with another score: it must change nothing."""
        key = self.random.choice(self.done)
        with self.ledger.lock:
            self.ledger.replays += 1
        self.single(key, (self.ledger.scores[key] + 5) % 11, is_replay=True)

    def single(self, key: str, score: int, *, is_replay: bool = False) -> None:
        body = {"idempotency_key": key, "unit": self.target["unit"], "answers": answers(score)}
        status, reply = self.post(f"/api/v1/surveys/{self.target['survey']}/responses", body)
        if status in (200, 201):
            self.ledger.acknowledge(key, reply["id"])
            if status == 201 and is_replay:
                self.ledger.unexpected.append(f"replay of {key} created a response")
            self.done.append(key)
        elif status in (0, 429):  # no answer, or slowed down: the client sends it again
            if not is_replay:
                self.retry.append((key, score))
        else:
            self.ledger.unexpected.append(f"{key}: {status} {reply}")

    def batch(self) -> None:
        """Send new keys mixed with replays and one key twice; retry the whole on no reply."""
        items = []
        for _ in range(BATCH_SIZE - 1):
            if self.done and self.random.random() < 0.1:
                key = self.random.choice(self.done)
                items.append((key, (self.ledger.scores[key] + 5) % 11))
            else:
                items.append(self.new_key())
        items.append(items[self.random.randrange(len(items))])
        bodies = [
            {"idempotency_key": key, "unit": self.target["unit"], "answers": answers(score)}
            for key, score in items
        ]
        path = f"/api/v1/surveys/{self.target['survey']}/responses/batch"
        deadline = time.monotonic() + PATIENCE_SECONDS
        status, reply = self.post(path, {"items": bodies})
        while status != 200:
            if status not in (0, 429) or time.monotonic() > deadline:
                self.ledger.unexpected.append(f"batch: {status} {reply}")
                return
            status, reply = self.post(path, {"items": bodies})
        for (key, _score), result in zip(items, reply["results"], strict=True):
            if result["status"] == "invalid":
                self.ledger.unexpected.append(f"{key}: {result['errors']}")
                continue
            self.ledger.acknowledge(key, result["id"])
            self.done.append(key)

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        """POST once; a refused connection, a reset or a 5xx is status 0 after a short pause."""
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.server.port, timeout=60
                )
            self.connection.request(
                "POST",
                path,
                body=json.dumps(body),
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {self.target['key']}",
                },
            )
            reply = self.connection.getresponse()
            content = reply.read()
            if reply.status < 500:
                with self.ledger.lock:
                    self.ledger.submissions += len(body["items"]) if "items" in body else 1
                return reply.status, json.loads(content)
        except (OSError, http.client.HTTPException):
            if self.connection is not None:
                self.connection.close()
            self.connection = None
        with self.ledger.lock:
            self.ledger.failures += 1
        time.sleep(0.05 + self.random.random() * 0.1)
        return 0, {}


def kill_at_seeded_moments(server: Server, ledger: Ledger, clients_done: threading.Event) -> int:
    """SIGKILL the server when the load passes seeded points, start it again; return kills."""
    planned = CLIENTS * (NEW_SINGLES_PER_CLIENT + BATCHES_PER_CLIENT * BATCH_SIZE)
    moments = sorted(random.Random(SEED).uniform(0.1, 0.85) * planned for _ in range(KILLS))
    kills = 0
    for moment in moments:
        while ledger.submissions < moment and not clients_done.is_set():
            time.sleep(0.005)
        if clients_done.is_set():
            break
        server.kill()
        kills += 1
        server.start()
    return kills


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """Yield this test's own database: a SQLite file, or a PostgreSQL database dropped after."""
    configured = os.environ.get("HEEDBACK_DATABASE_URL", "")
    if not configured.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'soak.sqlite3'}"
        return
    import psycopg

    parsed = urlparse(configured)
    name = (parsed.path.lstrip("/") or "heedback") + "_soak"
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield parsed._replace(path=f"/{name}").geturl()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(url: str, sql: str, parameters: tuple = ()) -> list[tuple]:
    if url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            return db.execute(sql.replace("%s", "?"), parameters).fetchall()
    import psycopg

    with psycopg.connect(url) as db:
        return db.execute(sql, parameters).fetchall()


@contextlib.contextmanager
def smtp_server():
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@contextlib.contextmanager
def worker(env: dict[str, str]):
    """Run ``heedback worker`` (rule evaluation, outbox delivery) until the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "heedback.cli", "worker", "--periodic-interval", "0.3"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def install(env: dict[str, str], data_dir: Path) -> str:
    """Migrate, create the owner and an API key; return the key."""
    heedback(data_dir, "migrate", "-v", "0", env=env)
    heedback(
        data_dir,
        *("createadmin", "--email", "ops@example.com", "--org", "acme"),
        *("--org-name", "Acme Hotels", "--password", "a long operator passphrase"),
        env=env,
    )
    created = heedback(data_dir, "create-api-key", "--org", "acme", "--name", "soak", env=env)
    return created.stdout.strip().splitlines()[-1]


def publish_survey_with_an_alert(base: str, key: str) -> dict:
    """Publish a survey and a rule that emails ALERT_ADDRESS about every detractor."""
    status, body = request(f"{base}/api/v1/surveys", key=key, body={"template": "post_service"})
    assert status == 201, body
    survey = json.loads(body)["id"]
    assert request(f"{base}/api/v1/surveys/{survey}/publish", key=key, body={})[0] == 200
    rule = {
        "name": "Tell the soak inbox about detractors",
        "is_enabled": True,
        "conditions": [{"kind": "nps_band", "band": "detractor"}],
        "survey": survey,
        "opens_case": False,
        "alert": [ALERT_ADDRESS],
    }
    status, body = request(f"{base}/api/v1/rules", key=key, body=rule)
    assert status == 201, body
    unit = json.loads(request(f"{base}/api/v1/units", key=key)[1])[0]["id"]
    return {"key": key, "survey": survey, "unit": unit, "rule": json.loads(body)["id"]}


def wait_for_alerts(inbox: SmtpInbox, expected: int, timeout: float = 180) -> list:
    deadline = time.monotonic() + timeout
    while True:
        alerts = [message for message in inbox.messages if message["To"] == ALERT_ADDRESS]
        if len(alerts) >= expected or time.monotonic() > deadline:
            time.sleep(2)  # a second copy, were one coming, would arrive now
            return [message for message in inbox.messages if message["To"] == ALERT_ADDRESS]
        time.sleep(0.5)


def test_killing_the_server_loses_and_doubles_nothing(tmp_path, database_url):
    url = database_url
    with smtp_server() as (inbox, smtp_port):
        env = clean_env(
            tmp_path,
            HEEDBACK_DATABASE_URL=url,
            HEEDBACK_EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        )
        key = install(env, tmp_path)
        server = Server(env)
        server.start()
        try:
            target = publish_survey_with_an_alert(server.base, key)
            with worker(env):
                ledger = Ledger()
                clients = [Client(n, server, target, ledger) for n in range(CLIENTS)]
                threads = [threading.Thread(target=client.run) for client in clients]
                clients_done = threading.Event()
                for thread in threads:
                    thread.start()
                kills = [0]
                killer = threading.Thread(
                    target=lambda: kills.__setitem__(
                        0, kill_at_seeded_moments(server, ledger, clients_done)
                    )
                )
                killer.start()
                for thread in threads:
                    thread.join(timeout=600)
                clients_done.set()
                killer.join(timeout=300)
                assert not any(thread.is_alive() for thread in [*threads, killer])
                stored_rows = query(
                    url,
                    "SELECT r.idempotency_key, r.id, a.number FROM collect_response r "
                    "JOIN collect_answer a ON a.response_id = r.id AND a.question_key = 'nps' "
                    "WHERE r.survey_id = %s",
                    (target["survey"],),
                )
                stored = {row[0]: (row[1], row[2]) for row in stored_rows}
                detractors = {rid for rid, score in stored.values() if score <= 6}
                alerts = wait_for_alerts(inbox, len(detractors))
        finally:
            server.stop()

    assert kills[0] == KILLS
    assert ledger.submissions >= 5000
    assert ledger.failures > 0  # the kills did cut requests off
    assert ledger.unexpected == []
    # Every key sent was acknowledged in the end, and is stored once, with the first scores.
    assert len(stored_rows) == len(stored) == len(ledger.scores)
    assert set(stored) == set(ledger.scores) == set(ledger.acknowledged)
    assert {key: score for key, (_id, score) in stored.items()} == ledger.scores
    # Every success reply, first or replay, named the one stored response.
    assert {key: ids for key, ids in ledger.acknowledged.items() if len(ids) != 1} == {}
    assert {key: ids.pop() for key, ids in ledger.acknowledged.items()} == {
        key: response_id for key, (response_id, _score) in stored.items()
    }
    # No response was half written: each holds its three answers.
    counts = query(
        url,
        "SELECT count(*) FROM collect_answer a JOIN collect_response r ON a.response_id = r.id "
        "WHERE r.survey_id = %s GROUP BY a.response_id",
        (target["survey"],),
    )
    assert {count for (count,) in counts} == {3}
    assert len(counts) == len(stored)
    # One alert per detractor, none twice.
    alerted = [
        int(re.match(rf"<rule-{target['rule']}-response-(\d+)-", message["Message-ID"]).group(1))
        for message in alerts
    ]
    assert sorted(alerted) == sorted(detractors)
    assert len(detractors) >= CLIENTS * NEW_SINGLES_PER_CLIENT // DETRACTOR_EVERY
    message_ids = [message["Message-ID"] for message in inbox.messages]
    assert len(message_ids) == len(set(message_ids))
