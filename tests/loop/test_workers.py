"""Real worker processes on an SQLite file: two at once, and one killed half-way (SIGKILL).

Every detractor must end with exactly one case and one alert in the outbox, whatever the
workers did. (On PostgreSQL, test_evaluation.py races two threads on the test database.)
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("HEEDBACK_DATABASE_URL", "").startswith("postgres"),
    reason="worker processes run on their own SQLite file; the PostgreSQL race is a thread test",
)

DETRACTORS = 240

SETUP = f"""
from heedback.collect.services import Submission, publish_and_open_links, submit_response
from heedback.onboarding import create_organisation
from heedback.orgs import services as orgs
from heedback.orgs.models import Unit
from heedback.surveys.services import create_survey_from_template

organisation = create_organisation(name="Acme", slug="acme")
root = Unit.objects.get(organisation=organisation, parent__isnull=True)
hotel = orgs.create_unit(organisation, name="Hotel", parent=root)
manager = orgs.create_user(email="manager@example.com", password="a long password 1")
orgs.add_member(organisation, manager, role="manager", unit=hotel)
survey = create_survey_from_template(organisation, template_key="hotel_stay", name="Stay")
publish_and_open_links(survey)
survey.refresh_from_db()
for number in range({DETRACTORS}):
    answers, key = {{"nps": number % 7}}, f"k{{number}}"
    submit_response(Submission(survey=survey, unit=hotel, answers=answers, idempotency_key=key))
"""


def environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEEDBACK_", "DJANGO_"))}
    env["HEEDBACK_DATA_DIR"] = str(data_dir)
    return env


def heedback(data_dir: Path, *arguments: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "heedback.cli", *arguments],
        env=environment(data_dir),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result


def worker(data_dir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "heedback.cli", "worker", "--once"],
        env=environment(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def count(database: Path, table: str) -> int:
    with sqlite3.connect(database, timeout=20) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608


def test_workers_killed_and_racing_leave_one_case_and_one_alert_per_detractor(tmp_path):
    heedback(tmp_path, "migrate", "-v", "0")
    heedback(tmp_path, "shell", "-c", SETUP)
    database = tmp_path / "heedback.sqlite3"

    doomed = worker(tmp_path)
    deadline = time.monotonic() + 60
    while count(database, "loop_evaluatedresponse") == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    killed_after = count(database, "loop_evaluatedresponse")
    assert 0 < killed_after < DETRACTORS, "the kill should land half-way"
    assert count(database, "loop_case") == killed_after

    racers = [worker(tmp_path), worker(tmp_path)]
    for racer in racers:
        racer.wait(timeout=300)
        assert racer.returncode == 0, racer.stderr.read()
    # A round stops at its time budget; on a loaded machine the racers may leave some
    # responses for later rounds, which is allowed: what must hold is "exactly once".
    for _round in range(10):
        if count(database, "loop_evaluatedresponse") == DETRACTORS:
            break
        finisher = worker(tmp_path)
        finisher.wait(timeout=300)
        assert finisher.returncode == 0, finisher.stderr.read()

    checks = (
        "from heedback.loop.models import Case, EvaluatedResponse;"
        "from heedback.notify.models import OutboxMessage;"
        "cases = list(Case.objects.values_list('response_id', flat=True));"
        "alerts = OutboxMessage.objects.filter(idempotency_key__contains='-opened-').count();"
        "print(len(cases), len(set(cases)), EvaluatedResponse.objects.count(), alerts)"
    )
    output = heedback(tmp_path, "shell", "-c", checks).stdout.strip().splitlines()[-1].split()
    assert output == [str(DETRACTORS)] * 4
