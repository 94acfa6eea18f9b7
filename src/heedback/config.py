"""Read Heedback's configuration from the environment, with typed parsing.

Settings must not be read anywhere else: this module is the one place that knows the
variable names, their defaults and what counts as a valid value, so that a typo in a
deployment fails at start-up with a message naming the variable.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}
SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name)
MINIMUM_SECRET_KEY_LENGTH = 50


class ConfigurationError(Exception):
    """A variable of the environment holds a value Heedback cannot use."""


def env_bool(name: str, default: bool = False) -> bool:
    """Return the boolean held by ``name``, refusing anything that is not clearly yes or no."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigurationError(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def env_list(name: str, default: list[str]) -> list[str]:
    """Return the comma-separated list held by ``name``."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def data_dir() -> Path:
    """Return the directory holding the embedded database, the secret key and the outbox."""
    raw = os.environ.get("HEEDBACK_DATA_DIR")
    if raw:
        path = Path(raw).expanduser()
    else:
        base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
        path = Path(base) / "heedback"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def secret_key(directory: Path, is_production: bool) -> str:
    """Return the secret key: from the environment, or generated once and kept on disk.

    Production refuses the generated key: a key that lives beside the database is lost or
    leaked with it, and several web servers behind a load balancer must share one key.
    """
    configured = os.environ.get("HEEDBACK_SECRET_KEY", "")
    if configured:
        if is_production and len(configured) < MINIMUM_SECRET_KEY_LENGTH:
            raise ConfigurationError(
                f"HEEDBACK_SECRET_KEY must be at least {MINIMUM_SECRET_KEY_LENGTH} characters"
            )
        return configured
    if is_production:
        raise ConfigurationError("HEEDBACK_SECRET_KEY must be set when HEEDBACK_ENV=production")
    path = directory / SECRET_KEY_FILE
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


def database(directory: Path) -> dict:
    """Return Django's database settings from ``HEEDBACK_DATABASE_URL``.

    The embedded SQLite database runs in WAL mode with ``synchronous=FULL`` so that an
    acknowledged response survives a power cut, and opens write transactions with
    ``BEGIN IMMEDIATE`` so that two writers wait for each other instead of failing with
    "database is locked" half-way through a transaction. Connections are kept between
    requests on both databases, sparing each request the connect and the pragmas.

    PostgreSQL's just-in-time compiler is off unless the URL sets ``options``: it compiles
    any statement the planner guesses to be costly, and the reads of a dashboard (a
    bounded look at the responses above the watermark, whose value the planner cannot
    see) were guessed so and paid 9–17 ms of compiling for a statement that ran in
    microseconds. Nothing Heedback runs on a request is long enough to win it back.
    """
    url = os.environ.get("HEEDBACK_DATABASE_URL") or f"sqlite:///{directory / 'heedback.sqlite3'}"
    parsed = urlparse(url)
    scheme = parsed.scheme
    if scheme == "sqlite":
        name = unquote(parsed.path)
        if url.startswith("sqlite:////"):
            name = "/" + name.lstrip("/")
        elif url.startswith("sqlite:///"):
            name = name[1:] if name.startswith("/") else name
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "CONN_MAX_AGE": 60,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                ),
            },
        }
    if scheme in {"postgres", "postgresql"}:
        options: dict = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        options.setdefault("options", "-c jit=off")
        if "prepare_threshold" in options:
            options["prepare_threshold"] = _prepare_threshold(options["prepare_threshold"])
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "heedback",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ConfigurationError(
        f"HEEDBACK_DATABASE_URL: unsupported scheme {scheme!r} (use sqlite:/// or postgresql://)"
    )


def _prepare_threshold(raw: str) -> int | None:
    """Return psycopg's ``prepare_threshold`` written in the database URL: a count, or none.

    ``none`` (or ``off``) turns prepared statements off, for a pooler that cannot keep
    them; a count lets psycopg prepare any statement run that many times.
    """
    if raw.strip().lower() in {"none", "off"}:
        return None
    try:
        threshold = int(raw)
    except ValueError:
        threshold = -1
    if threshold < 0:
        raise ConfigurationError(
            f"HEEDBACK_DATABASE_URL: prepare_threshold={raw!r}: expected a whole number or none"
        )
    return threshold


def cache() -> dict:
    """Return the cache settings: Redis from ``HEEDBACK_CACHE_URL``, else in-process memory."""
    url = os.environ.get("HEEDBACK_CACHE_URL", "")
    if not url:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if urlparse(url).scheme not in {"redis", "rediss"}:
        raise ConfigurationError("HEEDBACK_CACHE_URL: use redis://host:port/db")
    return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}


def env_limit(name: str, default: tuple[int, int]) -> tuple[int, int]:
    """Return a rate limit written as ``REQUESTS/SECONDS`` (e.g. ``600/60``)."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    requests, _slash, seconds = raw.partition("/")
    try:
        parsed = int(requests), int(seconds or 60)
    except ValueError:
        parsed = (-1, -1)
    if parsed[0] < 0 or parsed[1] <= 0:
        raise ConfigurationError(f"{name}={raw!r}: expected REQUESTS/SECONDS, such as 600/60")
    return parsed


@dataclass(frozen=True)
class EmailSettings:
    """Django's email backend and its options, from ``HEEDBACK_EMAIL_URL``."""

    backend: str
    file_path: str = ""
    host: str = ""
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False


def email(directory: Path) -> EmailSettings:
    """Return the email settings: ``smtp://user:pass@host:port?tls=1``, ``file:///dir``."""
    url = os.environ.get("HEEDBACK_EMAIL_URL") or f"file://{directory / 'outbox'}"
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return EmailSettings(
            backend="django.core.mail.backends.filebased.EmailBackend",
            file_path=unquote(parsed.path),
        )
    if parsed.scheme == "console":
        return EmailSettings(backend="django.core.mail.backends.console.EmailBackend")
    if parsed.scheme in {"smtp", "smtps"}:
        query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        use_ssl = parsed.scheme == "smtps"
        return EmailSettings(
            backend="django.core.mail.backends.smtp.EmailBackend",
            host=parsed.hostname or "localhost",
            port=parsed.port or (465 if use_ssl else 25),
            user=unquote(parsed.username or ""),
            password=unquote(parsed.password or ""),
            use_tls=query.get("tls", "0").lower() in TRUE_WORDS,
            use_ssl=use_ssl,
        )
    raise ConfigurationError(
        f"HEEDBACK_EMAIL_URL: unsupported scheme {parsed.scheme!r} (use smtp://, smtps:// or file://)"
    )
