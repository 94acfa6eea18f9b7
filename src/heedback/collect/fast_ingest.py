"""A WSGI fast path for the busiest write: one new response, ``POST .../responses``, 201.

Answering a single POST through Django cost about five times what a bare Ninja endpoint
costs, and most of the difference was not the work (authenticate, validate, store) but
the machinery around it: the request object, the middleware, URL resolving, Ninja's
parameter handling, the response object and a ``SELECT 1`` health check per request on
PostgreSQL. This wrapper does the work itself for the happy path only, with the same
pieces the view uses: the same key cache and permission, survey-scope and rate-limit
rules (``core.api_support.admit``), the same schema, the same ``collect.api.store_single``
(survey, unit, staff, customer, answers, group commit: answered only after the commit),
the same body (``collect.api.created_body``), and the headers Django's middleware adds
to that answer.

Anything else goes to Django untouched, with the body it read put back: another route or
method, a body that is not ``application/json``, an ``Accept-Language`` or a cookie
(they choose the answer's language), no key, a key refused, a rate limit reached, a body
that does not validate, an unknown survey or unit, a closed survey, a duplicate (200),
any error. So every answer but a new response's 201 comes from Django as before, and
``tests/collect/test_fast_ingest.py`` checks that the 201s are the same bytes.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import close_caches
from django.core.cache.backends.base import BaseCache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import setting_changed
from django.db import connections
from django.dispatch import receiver
from django.http import Http404
from django.utils import translation
from django.utils.module_loading import import_string
from pydantic import ValidationError

from heedback.collect import api
from heedback.collect.schemas import ResponseItem
from heedback.core.api_support import RATE_LIMIT_COUNTED, admit
from heedback.core.errors import ServiceError
from heedback.core.middleware import CONTENT_SECURITY_POLICY
from heedback.orgs.permissions import Permission
from heedback.orgs.services import authenticate_api_key

ROUTE = re.compile(r"/api/v1/surveys/([0-9]+)/responses")
# Headers that change the answer (its language) and so send a request the long way.
LONG_WAY_HEADERS = ("HTTP_ACCEPT_LANGUAGE", "HTTP_COOKIE")

# A connection that answered within this many seconds is trusted without Django's
# health-check query (``CONN_HEALTH_CHECKS``); one idle longer is checked first, so a
# database restart or an idle timeout is noticed before a group commit runs on it.
TRUSTED_IDLE_SECONDS = 1.0

# What a request may be refused for; Django answers it with the error body it always has.
# Anything else is a fault (a broken connection, say): Django answers that request too,
# and the fault is logged, since Django may well succeed and hide it.
REFUSALS = (ServiceError, Http404, ValidationError, ValueError)

logger = logging.getLogger("heedback.collect.fast_ingest")
StartResponse = Callable[..., Any]
_trusted = threading.local()  # per thread, as Django's connections: alias -> trusted until


class FastIngest:
    """Wrap Django's WSGI application; answer a new single response's POST without it."""

    def __init__(self, application: WSGIHandler) -> None:
        self.application = application

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        match = self._match(environ)
        if match is not None:
            answer = self._answer(environ, int(match.group(1)))
            if answer is not None:
                start_response("201 Created", answer_headers(is_secure(environ)))
                return [answer]
        return self.application(environ, start_response)

    @staticmethod
    def _match(environ: dict[str, Any]) -> re.Match | None:
        if environ.get("REQUEST_METHOD") != "POST" or any(
            name in environ for name in LONG_WAY_HEADERS
        ):
            return None
        content_type = environ.get("CONTENT_TYPE", "")
        if content_type != "application/json" or not environ.get("HTTP_AUTHORIZATION"):
            return None
        if settings.SECURE_SSL_REDIRECT and not is_secure(environ):
            return None  # Django redirects it
        return ROUTE.fullmatch(environ.get("PATH_INFO", ""))

    def _answer(self, environ: dict[str, Any], survey_id: int) -> bytes | None:
        """Store the posted response and return the 201 body, or None for the long way."""
        body = _read_body(environ)
        if body is None:
            return None
        _check_idle_connections()
        try:
            return _store(environ, survey_id, body)
        except REFUSALS:
            return None
        except Exception:
            logger.warning("fast ingest failed; Django answers the request", exc_info=True)
            return None
        finally:
            environ["wsgi.input"] = io.BytesIO(body)
            _after_request()


def _read_body(environ: dict[str, Any]) -> bytes | None:
    """Read the body as Django would, or None when Django must refuse it (no length, too big)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    max_size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if length <= 0 or (max_size is not None and length > max_size):
        return None
    return environ["wsgi.input"].read(length)


def _store(environ: dict[str, Any], survey_id: int, body: bytes) -> bytes | None:
    # Ninja's HttpBearer reads the header this way.
    scheme, _, token = environ["HTTP_AUTHORIZATION"].partition(" ")
    if scheme.lower() != "bearer":
        return None
    api_key = authenticate_api_key(token)
    if api_key is None:
        return None
    admit(api_key, Permission.WRITE_API, survey_keys=True, survey_id=survey_id)
    # Counted once, here: a request that goes on to Django is not counted again there.
    # (Refused, it was not marked, so Django counts it and refuses it again.)
    environ[RATE_LIMIT_COUNTED] = True
    # Parsed by pydantic itself, not by ``json.loads`` and then validated as Ninja does:
    # the same model for a third of the cost. What it refuses (not UTF-8, not an object,
    # ``NaN``, a lone surrogate) Django answers, parsing it its own way.
    payload = ResponseItem.model_validate_json(body)
    translation.activate(_language())  # what LocaleMiddleware does for such a request
    result = api.store_single(api_key.organisation, survey_id, payload)
    if not result.created:
        return None  # a duplicate: Django answers 200 with the stored response
    return json.dumps(api.created_body(result)).encode()


def _after_request() -> None:
    """Do what Django does when a request finishes, less the next request's health check.

    ``request_finished`` closes a connection past its age or left broken. Django then
    checks every kept PostgreSQL connection with a query at its next request
    (``CONN_HEALTH_CHECKS``), a round trip per request; here a connection that worked is
    trusted for ``TRUSTED_IDLE_SECONDS``. One that breaks meanwhile fails the next
    request's first query, and that request then goes to Django, which reconnects.
    """
    trusted_until = time.monotonic() + TRUSTED_IDLE_SECONDS
    _trusted.until = {}
    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
        if connection.connection is not None:
            connection.health_check_done = True
            _trusted.until[connection.alias] = trusted_until
    if _caches_to_close():
        close_caches()


@functools.cache
def _caches_to_close() -> bool:
    """Return whether a configured cache has anything to close when a request finishes.

    Only memcached's backends do; asking every cache (Django's ``close_caches``) cost
    more than a tenth of what is left of a request's own work once it was stored.
    """
    return any(
        import_string(cache["BACKEND"]).close is not BaseCache.close
        for cache in settings.CACHES.values()
    )


def _check_idle_connections() -> None:
    """Have a connection idle for longer than ``TRUSTED_IDLE_SECONDS`` checked at its next use.

    Only the connections this thread's last fast request trusted can be marked checked:
    Django marks its own to be checked when its requests finish, and a new connection
    is checked by being made.
    """
    trusted = getattr(_trusted, "until", None)
    if trusted:
        now = time.monotonic()
        for alias, until in trusted.items():
            if now > until:
                connections[alias].health_check_done = False


def _language() -> str:
    return translation.get_supported_language_variant(settings.LANGUAGE_CODE)


def is_secure(environ: dict[str, Any]) -> bool:
    """Return whether Django's ``request.is_secure()`` is true for this request."""
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = environ.get(header)
        if value is not None:
            value, *_ = value.split(",", 1)
            return value.strip() == secure_value
    return environ.get("wsgi.url_scheme") == "https"


def answer_headers(secure: bool) -> list[tuple[str, str]]:
    """Return the headers, in Django's order, of the API's JSON answer to such a request.

    Content type (JsonResponse), then what each middleware adds on the way out: frame
    options, the language (``Vary`` and ``Content-Language``), the content security
    policy, and ``SecurityMiddleware``'s headers. Built from the settings once per
    process (and again when a test changes a setting): a list of its own for each answer.
    """
    return list(_answer_headers(secure))


@functools.cache
def _answer_headers(secure: bool) -> tuple[tuple[str, str], ...]:
    headers = [
        ("Content-Type", "application/json"),
        ("X-Frame-Options", getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()),
        ("Vary", "Accept-Language"),
        ("Content-Language", _language()),
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ]
    if secure and settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        headers.append(("Strict-Transport-Security", hsts))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("X-Content-Type-Options", "nosniff"))
    policy = settings.SECURE_REFERRER_POLICY
    if policy:
        values = (
            [value.strip() for value in policy.split(",")] if isinstance(policy, str) else policy
        )
        headers.append(("Referrer-Policy", ",".join(values)))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    return tuple(headers)


@receiver(setting_changed)
def _forget_settings(**_kwargs) -> None:
    """Build the answer's headers and the caches to close again after a test changes settings.

    Django itself clears what it derived from a setting this way; nothing in production
    changes settings once the process runs.
    """
    _answer_headers.cache_clear()
    _caches_to_close.cache_clear()
