"""Configuration from the environment: defaults, parsing and refusals."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from heedback import config


def test_the_default_database_is_sqlite_in_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("HEEDBACK_DATABASE_URL", raising=False)
    sqlite = config.database(tmp_path)
    assert sqlite["ENGINE"] == "django.db.backends.sqlite3"
    assert sqlite["NAME"] == str(tmp_path / "heedback.sqlite3")
    assert sqlite["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in sqlite["OPTIONS"]["init_command"]
    assert "synchronous=FULL" in sqlite["OPTIONS"]["init_command"]


def test_postgres_url(monkeypatch, tmp_path):
    monkeypatch.setenv(
        "HEEDBACK_DATABASE_URL",
        "postgresql://app:s%40cret@db.internal:6543/feedback?sslmode=require",
    )
    parsed = config.database(tmp_path)
    assert (parsed["NAME"], parsed["USER"], parsed["PASSWORD"], parsed["HOST"], parsed["PORT"]) == (
        "feedback",
        "app",
        "s@cret",
        "db.internal",
        "6543",
    )
    assert parsed["OPTIONS"] == {"sslmode": "require", "options": "-c jit=off"}


def test_postgresql_options_in_the_url_replace_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv(
        "HEEDBACK_DATABASE_URL", "postgresql://db.internal/feedback?options=-c%20jit%3Don"
    )
    assert config.database(tmp_path)["OPTIONS"] == {"options": "-c jit=on"}


@pytest.mark.parametrize(("written", "threshold"), [("none", None), ("OFF", None), ("5", 5)])
def test_a_prepare_threshold_in_the_url_is_given_to_psycopg_as_a_number_or_none(
    monkeypatch, tmp_path, written, threshold
):
    monkeypatch.setenv(
        "HEEDBACK_DATABASE_URL", f"postgresql://db.internal/feedback?prepare_threshold={written}"
    )
    options = config.database(tmp_path)["OPTIONS"]
    assert options == {"options": "-c jit=off", "prepare_threshold": threshold}


@pytest.mark.parametrize("written", ["many", "-1", "2.5"])
def test_a_prepare_threshold_that_is_not_a_count_is_refused(monkeypatch, tmp_path, written):
    monkeypatch.setenv(
        "HEEDBACK_DATABASE_URL", f"postgresql://db.internal/feedback?prepare_threshold={written}"
    )
    with pytest.raises(config.ConfigurationError, match="expected a whole number or none"):
        config.database(tmp_path)


def test_unknown_database_scheme_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("HEEDBACK_DATABASE_URL", "mysql://x")
    with pytest.raises(config.ConfigurationError, match="HEEDBACK_DATABASE_URL"):
        config.database(tmp_path)


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("yes", True), ("off", False), ("", False)]
)
def test_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("HEEDBACK_DEBUG", raw)
    assert config.env_bool("HEEDBACK_DEBUG") is expected


def test_an_unclear_boolean_is_refused(monkeypatch):
    monkeypatch.setenv("HEEDBACK_DEBUG", "maybe")
    with pytest.raises(config.ConfigurationError, match="HEEDBACK_DEBUG='maybe'"):
        config.env_bool("HEEDBACK_DEBUG")


def test_the_generated_secret_key_is_made_once_and_private(monkeypatch, tmp_path):
    monkeypatch.delenv("HEEDBACK_SECRET_KEY", raising=False)
    first = config.secret_key(tmp_path, is_production=False)
    assert first == config.secret_key(tmp_path, is_production=False)
    assert len(first) >= 50
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_production_refuses_a_missing_or_short_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("HEEDBACK_SECRET_KEY", raising=False)
    with pytest.raises(config.ConfigurationError, match="HEEDBACK_SECRET_KEY must be set"):
        config.secret_key(tmp_path, is_production=True)
    monkeypatch.setenv("HEEDBACK_SECRET_KEY", "short")
    with pytest.raises(config.ConfigurationError, match="at least 50"):
        config.secret_key(tmp_path, is_production=True)


def test_email_urls(monkeypatch, tmp_path):
    assert config.email(tmp_path).file_path == str(tmp_path / "outbox")
    monkeypatch.setenv("HEEDBACK_EMAIL_URL", "smtp://mailer:pw@127.0.0.1:2525?tls=1")
    smtp = config.email(tmp_path)
    assert (smtp.host, smtp.port, smtp.user, smtp.password, smtp.use_tls) == (
        "127.0.0.1",
        2525,
        "mailer",
        "pw",
        True,
    )


def heedback(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HEEDBACK_", "DJANGO_"))
    }
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-m", "heedback.cli", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret_and_hosts(tmp_path):
    result = heedback("check", HEEDBACK_ENV="production", HEEDBACK_DATA_DIR=str(tmp_path))
    assert result.returncode == 2
    assert "HEEDBACK_SECRET_KEY must be set" in result.stderr
    result = heedback(
        "check",
        HEEDBACK_ENV="production",
        HEEDBACK_DATA_DIR=str(tmp_path),
        HEEDBACK_SECRET_KEY="k" * 64,
    )
    assert result.returncode == 2
    assert "HEEDBACK_ALLOWED_HOSTS" in result.stderr


def test_deploy_checks_pass_with_production_settings(tmp_path):
    result = heedback(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        HEEDBACK_ENV="production",
        HEEDBACK_DATA_DIR=str(tmp_path),
        HEEDBACK_SECRET_KEY="a-long-and-random-production-secret-" + "x9Y" * 12,
        HEEDBACK_ALLOWED_HOSTS="feedback.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_served_application_loads_every_app_and_freezes_what_start_up_made(tmp_path):
    """The WSGI module must leave start-up's objects out of the collector (batches pay)."""
    probe = (
        "import gc, sys; import heedback.wsgi; "
        "print(gc.get_freeze_count(), 'heedback.collect.api' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "HEEDBACK_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    frozen, loaded = result.stdout.split()
    assert int(frozen) > 50_000
    assert loaded == "True"


def test_the_postgresql_connection_runs_without_the_jit_compiler(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no JIT compiler")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
