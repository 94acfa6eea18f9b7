"""Run a benchmark's measurement in a child process per database, on fresh data.

SQLite always; PostgreSQL when ``HEEDBACK_DATABASE_URL`` names a PostgreSQL server, or
when the benchmark's own variable (``HEEDBACK_BENCH_<NAME>_DATABASES=sqlite,postgresql``)
asks. PostgreSQL runs on a scratch database of that server, created before and dropped
after, so a benchmark never touches the database the URL names.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def databases(variable: str) -> list[str]:
    """Return the databases to measure: those ``variable`` lists, else SQLite (and PG)."""
    asked = os.environ.get(variable)
    if asked:
        return [name.strip() for name in asked.split(",") if name.strip()]
    url = os.environ.get("HEEDBACK_DATABASE_URL", "")
    return ["sqlite", "postgresql"] if url.startswith("postgres") else ["sqlite"]


def postgres_server() -> str:
    """Return the PostgreSQL server to use: HEEDBACK_DATABASE_URL's, without its database."""
    url = os.environ.get("HEEDBACK_DATABASE_URL", "")
    if url.startswith("postgres"):
        scheme, rest = url.split("://", 1)
        return f"{scheme}://{rest.split('/', 1)[0]}"
    return os.environ.get("HEEDBACK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


def _scratch(name: str, *, create: bool) -> None:
    import psycopg

    with psycopg.connect(f"{postgres_server()}/postgres", autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if create:
            db.execute(f"CREATE DATABASE {name}")


def measure_in_child(script: str, database: str, *, marker: str, scratch: str) -> dict:
    """Run ``script --measure`` on ``database``; return the JSON it prints after ``marker``."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="heedback.settings")
    env["HEEDBACK_DATA_DIR"] = tempfile.mkdtemp(prefix=f"heedback-{scratch}-{database}-")
    if database == "postgresql":
        _scratch(scratch, create=True)
        env["HEEDBACK_DATABASE_URL"] = f"{postgres_server()}/{scratch}"
    else:
        env.pop("HEEDBACK_DATABASE_URL", None)
    try:
        child = subprocess.run(
            [sys.executable, script, "--measure"], env=env, capture_output=True, text=True
        )
    finally:
        if database == "postgresql":
            _scratch(scratch, create=False)
    sys.stderr.write(child.stderr[-3000:])
    line = next((x for x in child.stdout.splitlines() if x.startswith(f"{marker} ")), None)
    if child.returncode != 0 or line is None:
        raise RuntimeError(f"the {database} measurement failed")
    return json.loads(line.removeprefix(f"{marker} "))


def main(measure, marker: str) -> None:
    """Be the child: set Django up on the prepared data (migrated, static files), measure."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"{marker} " + json.dumps(measure()))
