"""The `heedback` command and the production server, as an operator runs them: real processes,
a real database file and real HTTP on loopback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.servers import Server, clean_env, heedback, request

pytestmark = pytest.mark.skipif(
    os.environ.get("HEEDBACK_DATABASE_URL", "").startswith("postgres"),
    reason="the command-line tests run on their own SQLite file; the rest covers PostgreSQL",
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("heedback-data")
    heedback(data_dir, "migrate", "-v", "0")
    heedback(
        data_dir,
        "createadmin",
        "--email",
        "ops@example.com",
        "--org",
        "acme",
        "--org-name",
        "Acme Hotels",
        "--password",
        "a long operator passphrase",
    )
    return data_dir


def test_createadmin_makes_an_owner_of_a_new_organisation(installed):
    result = heedback(
        installed,
        "shell",
        "-c",
        (
            "from heedback.orgs.models import Membership;"
            "m = Membership.objects.select_related('organisation', 'user').get();"
            "print(m.organisation.slug, m.role, m.user.is_superuser)"
        ),
    )
    assert result.stdout.strip().splitlines()[-1].split() == ["acme", "owner", "True"]


def test_create_api_key_prints_the_key_alone_on_the_last_line(installed):
    result = heedback(installed, "create-api-key", "--org", "acme", "--name", "ci")
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("hb_")
    assert " " not in last


def test_create_api_key_for_an_unknown_organisation_fails_clearly(installed):
    result = heedback(installed, "create-api-key", "--org", "nope", "--name", "x", check=False)
    assert result.returncode == 1
    assert "--org: no organisation with slug 'nope'" in result.stderr


def test_seed_demo_refuses_a_database_with_other_organisations(installed):
    result = heedback(installed, "seed-demo", "--responses", "10", check=False)
    assert result.returncode == 1
    assert "--force" in result.stderr


@pytest.fixture(scope="module")
def server(installed):
    """Run `heedback serve` (granian, production settings but for TLS) on a free port."""
    running = Server(clean_env(installed))
    running.start()
    yield running.base
    running.stop()


@pytest.fixture(scope="module")
def http_survey(installed, server):
    """An API key and a published survey of the served organisation."""
    key = heedback(installed, "create-api-key", "--org", "acme", "--name", "http").stdout
    key = key.strip().splitlines()[-1]
    status, body = request(f"{server}/api/v1/surveys", key=key, body={"template": "post_service"})
    assert status == 201, body
    survey = json.loads(body)
    status, _body = request(f"{server}/api/v1/surveys/{survey['id']}/publish", key=key, body={})
    assert status == 200
    units = json.loads(request(f"{server}/api/v1/units", key=key)[1])
    return {"key": key, "survey": survey["id"], "unit": units[0]["id"]}


def test_serve_answers_pages_static_files_and_the_api_over_http(server, http_survey):
    base, key, survey = server, http_survey["key"], http_survey["survey"]
    status, body = request(f"{base}/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    status, css = request(f"{base}/static/heedback/app.css")
    assert status == 200
    assert b"--brand" in css
    answer = {
        "idempotency_key": "http-1",
        "unit": http_survey["unit"],
        "answers": {"nps": 10, "satisfaction": 5, "problem_resolved": True},
    }
    first = request(f"{base}/api/v1/surveys/{survey}/responses", key=key, body=answer)
    again = request(f"{base}/api/v1/surveys/{survey}/responses", key=key, body=answer)
    assert (first[0], again[0]) == (201, 200)
    assert json.loads(first[1])["id"] == json.loads(again[1])["id"]
    status, body = request(f"{base}/api/v1/metrics?survey={survey}&metric=nps", key=key)
    assert json.loads(body)["results"][0]["value"] == 100.0
    assert request(f"{base}/api/v1/surveys")[0] == 401


def test_fifty_clients_posting_one_key_store_one_response_every_round(server, http_survey):
    from concurrent.futures import ThreadPoolExecutor

    url = f"{server}/api/v1/surveys/{http_survey['survey']}/responses"
    rounds, clients = 12, 50

    def post(target: str, body: dict) -> tuple[int, bytes]:
        return request(target, key=http_survey["key"], body=body)

    for round_number in range(rounds):
        answer = {
            "idempotency_key": f"race-{round_number}",
            "unit": http_survey["unit"],
            "answers": {"nps": round_number % 11, "satisfaction": 3, "problem_resolved": False},
        }
        with ThreadPoolExecutor(max_workers=clients) as pool:
            replies = list(pool.map(lambda _n, body=answer: post(url, body), range(clients)))
        statuses = sorted(status for status, _body in replies)
        assert statuses == [200] * (clients - 1) + [201], (round_number, statuses)
        assert len({json.loads(body)["id"] for _status, body in replies}) == 1
    _status, body = request(f"{url}?limit=500", key=http_survey["key"])
    keys = [item["idempotency_key"] for item in json.loads(body)["results"]]
    assert sorted(key for key in keys if key.startswith("race-")) == sorted(
        f"race-{number}" for number in range(rounds)
    )
