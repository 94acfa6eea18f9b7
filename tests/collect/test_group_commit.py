"""Group commit: threads of one process share a transaction, and nobody pays for a neighbour.

These run outside a test transaction (``transactional_db``), because the point is what
commits: the leader's commit must hold the followers' rows.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from heedback.collect import group_commit, services, storage
from heedback.collect.models import Answer, Response
from heedback.core.errors import Conflict
from heedback.surveys.choices import SurveyStatus

pytestmark = pytest.mark.django_db(transaction=True)


def submission(survey, unit, key: str, nps: int = 9) -> services.Submission:
    return services.Submission(
        survey=survey, unit=unit, answers={"nps": nps, "staff": 4}, idempotency_key=key
    )


@pytest.fixture
def committer(monkeypatch):
    """A fresh committer in place of the process's, which waits up to 5 s for a full group.

    Telling it the last group held ``size`` items makes the next leader wait for that
    many, so a test decides exactly which items share a transaction.
    """
    fresh = group_commit.GroupCommitter(max_wait=5.0)
    monkeypatch.setattr(group_commit, "_committer", fresh)
    return fresh


def run_together(function, arguments: list) -> list:
    """Call ``function`` on every argument at once, each in its own thread, closing connections."""

    def call(argument):
        try:
            return function(argument)
        except Exception as error:  # the outcome under test, returned to compare exactly
            return error
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(arguments)) as pool:
        return list(pool.map(call, arguments))


def submit_counting_statements(submissions: list) -> tuple[list, list[str]]:
    """Submit each in its own thread, grouped; return the results and every thread's SQL."""
    statements: list[str] = []

    def submit(one):
        with CaptureQueriesContext(connection) as captured:
            result = services.submit_response(one, grouped=True)
        statements.extend(query["sql"] for query in captured.captured_queries)
        return result

    return run_together(submit, submissions), statements


def expect_group(committer, size: int) -> None:
    committer._last_group_size = size


def test_concurrent_submissions_share_one_commit(committer, published_survey, hotel):
    expect_group(committer, 8)
    keys = [f"k{number}" for number in range(8)]
    results = run_together(
        lambda key: services.submit_response(
            submission(published_survey, hotel, key), grouped=True
        ),
        keys,
    )
    assert [result.created for result in results] == [True] * 8
    assert (committer.groups_committed, committer.items_committed) == (1, 8)
    stored = dict(Response.objects.values_list("idempotency_key", "pk"))
    assert {result.response.idempotency_key: result.response.pk for result in results} == stored
    assert Answer.objects.count() == 16


def test_a_lone_submission_is_committed_at_once(committer, published_survey, hotel):
    result = services.submit_response(submission(published_survey, hotel, "alone"), grouped=True)
    assert result.created
    assert (committer.groups_committed, committer.items_committed) == (1, 1)
    assert Response.objects.get().pk == result.response.pk


def test_one_key_sent_by_many_threads_in_one_group_is_stored_once(
    committer, published_survey, hotel
):
    expect_group(committer, 10)
    results = run_together(
        lambda _n: services.submit_response(
            submission(published_survey, hotel, "same"), grouped=True
        ),
        range(10),
    )
    assert sorted(result.created for result in results) == [False] * 9 + [True]
    assert len({result.response.pk for result in results}) == 1
    assert Response.objects.count() == 1
    assert committer.groups_committed == 1


def test_a_key_stored_earlier_comes_back_as_the_first_response(committer, published_survey, hotel):
    first = services.submit_response(submission(published_survey, hotel, "again", nps=2))
    expect_group(committer, 3)
    results = run_together(
        lambda key: services.submit_response(
            submission(published_survey, hotel, key, nps=10), grouped=True
        ),
        ["again", "fresh-1", "fresh-2"],
    )
    assert [result.created for result in results] == [False, True, True]
    assert results[0].response.pk == first.response.pk
    assert Answer.objects.get(response=first.response, question_key="nps").number == 2


def test_a_failing_item_never_fails_its_neighbours(committer, published_survey, hotel):
    """A row the database refuses at commit fails the group, which is then stored one by one."""
    expect_group(committer, 4)
    built = [services.build_row(submission(published_survey, hotel, f"n{n}")) for n in range(4)]
    built[2].unit_id = 987654  # no such unit: the foreign key fails at commit
    results = run_together(committer.store, built)
    assert isinstance(results[2], IntegrityError)
    assert [results[n].created for n in (0, 1, 3)] == [True, True, True]
    assert sorted(Response.objects.values_list("idempotency_key", flat=True)) == ["n0", "n1", "n3"]
    assert Answer.objects.count() == 6
    assert committer.groups_committed == 0  # the group's transaction never committed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement on PostgreSQL")
def test_a_group_is_one_statement_in_autocommit_on_postgresql(committer, published_survey, hotel):
    """No BEGIN, look-up, ids or COMMIT of their own: one round trip stores the group."""
    services.submit_response(submission(published_survey, hotel, "before"))
    expect_group(committer, 3)
    results, statements = submit_counting_statements(
        [submission(published_survey, hotel, key) for key in ["g1", "g2", "g3"]]
    )
    assert [result.created for result in results] == [True, True, True]
    assert len(statements) == 1
    assert statements[0].startswith("WITH new AS (INSERT INTO collect_response")
    assert (committer.groups_committed, committer.items_committed) == (1, 3)
    assert Answer.objects.filter(response__idempotency_key__in=["g1", "g2", "g3"]).count() == 6


@pytest.mark.skipif(connection.vendor != "sqlite", reason="answers staged on SQLite")
def test_a_group_writes_the_database_with_one_statement_on_sqlite(
    committer, published_survey, hotel
):
    """The look-up and the staging of answers come first; one INSERT writes and commits."""
    services.submit_response(submission(published_survey, hotel, "before"))
    expect_group(committer, 3)
    results, statements = submit_counting_statements(
        [submission(published_survey, hotel, key) for key in ["before", "g2", "g3"]]
    )
    assert [result.created for result in results] == [False, True, True]
    writes = [sql for sql in statements if sql.startswith(("INSERT", "UPDATE", "DELETE", "BEGIN"))]
    main_writes = [sql for sql in writes if storage.STAGED_ANSWERS not in sql]
    assert len(main_writes) == 1
    assert main_writes[0].startswith(f"INSERT INTO {storage.NEW_RESPONSES} ")
    assert (committer.groups_committed, committer.items_committed) == (1, 3)
    assert Answer.objects.filter(response__idempotency_key__in=["g2", "g3"]).count() == 4
    stored = dict(Response.objects.values_list("idempotency_key", "pk"))
    assert {result.response.idempotency_key: result.response.pk for result in results} == stored


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement on PostgreSQL")
def test_a_repeat_in_a_group_costs_one_look_up_after_the_statement(
    committer, published_survey, hotel
):
    first = services.submit_response(submission(published_survey, hotel, "seen", nps=1))
    expect_group(committer, 2)
    results, statements = submit_counting_statements(
        [submission(published_survey, hotel, key, nps=10) for key in ["seen", "unseen"]]
    )
    assert [(result.created, result.response.pk == first.response.pk) for result in results] == [
        (False, True),
        (True, False),
    ]
    # The statement, the repeat's id, then the repeat's stored response read back.
    assert len(statements) == 3
    assert Answer.objects.get(response=first.response, question_key="nps").number == 1


def test_a_replay_to_a_closed_survey_still_returns_the_stored_response(
    committer, published_survey, hotel
):
    first = services.submit_response(submission(published_survey, hotel, "kept"), grouped=True)
    published_survey.status = SurveyStatus.CLOSED
    published_survey.save(update_fields=["status"])
    again = services.submit_response(submission(published_survey, hotel, "kept"), grouped=True)
    assert (again.created, again.response.pk) == (False, first.response.pk)
    with pytest.raises(Conflict):
        services.submit_response(submission(published_survey, hotel, "new"), grouped=True)
    assert Response.objects.count() == 1


def test_inside_a_transaction_the_rows_belong_to_the_callers_transaction(
    committer, published_survey, hotel
):
    seen_inside = []

    def submit_then_roll_back() -> None:
        with transaction.atomic():
            result = services.submit_response(
                submission(published_survey, hotel, "t"), grouped=True
            )
            seen_inside.append(Response.objects.filter(pk=result.response.pk).exists())
            raise RuntimeError("the caller rolls back")

    with pytest.raises(RuntimeError):
        submit_then_roll_back()
    assert seen_inside == [True]
    assert Response.objects.count() == 0
    assert committer.groups_committed == 0


def test_groups_follow_one_another_without_losing_anyone(published_survey, hotel, monkeypatch):
    """Many threads, many rounds, the real waiting time: every response stored exactly once."""
    fresh = group_commit.GroupCommitter(max_group=5)
    monkeypatch.setattr(group_commit, "_committer", fresh)
    keys = [f"r{number}" for number in range(60)]
    barrier = threading.Barrier(12)

    def send(key: str):
        if int(key[1:]) < 12:
            barrier.wait()  # the first dozen arrive at once
        return services.submit_response(submission(published_survey, hotel, key), grouped=True)

    results = run_together(send, keys)
    assert all(result.created for result in results)
    assert fresh.items_committed == 60
    assert Response.objects.count() == 60
    assert len({result.response.pk for result in results}) == 60


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL has row locks, no queue")
def test_sqlite_writers_of_all_processes_queue_on_a_file_lock(tmp_path, monkeypatch):
    """While one writer holds the queue, another process cannot take it; inside a caller's
    transaction no queue is taken at all (it may hold SQLite's lock already)."""
    database = tmp_path / "heedback.sqlite3"
    monkeypatch.setitem(connection.settings_dict, "NAME", str(database))
    probe = (
        "import fcntl, sys\n"
        "handle = open(sys.argv[1], 'a')\n"
        "try:\n    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "except BlockingIOError:\n    print('taken')\nelse:\n    print('free')\n"
    )
    lock_file = f"{database}-writers.lock"

    def other_process_sees() -> str:
        result = subprocess.run(
            [sys.executable, "-c", probe, lock_file], capture_output=True, text=True, check=True
        )
        return result.stdout.strip()

    with storage.writers_queue():
        assert other_process_sees() == "taken"
    assert other_process_sees() == "free"
    Path(lock_file).unlink()
    with transaction.atomic(), storage.writers_queue():
        assert not Path(lock_file).exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL has row locks, no queue")
def test_sqlite_threads_of_one_process_queue_too_on_the_lock_file_kept_open(tmp_path, monkeypatch):
    """Each thread keeps its own open lock file, so a thread still waits for its neighbour."""
    monkeypatch.setitem(connection.settings_dict, "NAME", str(tmp_path / "heedback.sqlite3"))
    lock_path = f"{tmp_path / 'heedback.sqlite3'}-writers.lock"
    order = []
    holding, other_started = threading.Event(), threading.Event()

    def hold() -> None:
        with storage.writers_queue():
            holding.set()
            other_started.wait(5)
            time.sleep(0.2)  # time enough for the other thread to get in, were it let in
            order.append("first done")

    def wait_then_take() -> None:
        holding.wait(5)
        other_started.set()
        with storage.writers_queue():
            order.append("second in")

    threads = [threading.Thread(target=hold), threading.Thread(target=wait_then_take)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert order == ["first done", "second in"]
    assert storage._lock_file(lock_path) is storage._lock_file(lock_path)


def test_a_leader_waits_for_a_request_on_its_way_and_not_for_one_that_gives_up(
    committer, published_survey, hotel
):
    validated = threading.Event()

    def on_its_way(key: str):
        with committer.expecting():
            validated.wait(10)  # still validating when the leader takes its group
            if key == "refused":
                return None  # refused: it never reaches the committer
            return services.submit_response(submission(published_survey, hotel, key), grouped=True)

    def leader(key: str):
        time.sleep(0.2)  # the other is announced first
        threading.Timer(0.3, validated.set).start()
        started = time.monotonic()
        result = services.submit_response(submission(published_survey, hotel, key), grouped=True)
        return result, time.monotonic() - started

    results = run_together(lambda job: job[0](job[1]), [(on_its_way, "late"), (leader, "lead")])
    assert [results[0].created, results[1][0].created] == [True, True]
    assert (committer.groups_committed, committer.items_committed) == (1, 2)  # one commit
    assert results[1][1] >= 0.1  # the leader waited for it

    validated.clear()
    expect_group(committer, 1)  # only the announced thread may hold the leader back
    results = run_together(lambda job: job[0](job[1]), [(on_its_way, "refused"), (leader, "alone")])
    assert results[0] is None
    assert results[1][0].created
    assert results[1][1] < 4  # released when the other gave up, not at max_wait (5 s)
    assert (committer.groups_committed, committer.items_committed) == (2, 3)
