"""What every API router shares: key authentication, permission marks and error bodies."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest
from ninja.security import HttpBearer

from heedback.core import ratelimit
from heedback.core.errors import Forbidden
from heedback.orgs.models import ApiKey
from heedback.orgs.permissions import Permission, api_key_allows
from heedback.orgs.services import authenticate_api_key


class ApiKeyAuth(HttpBearer):
    """Authenticate ``Authorization: Bearer KEY`` against the organisation's hashed keys."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        api_key = authenticate_api_key(token)
        if api_key is not None:
            request.organisation = api_key.organisation
            request.api_key = api_key
        return api_key


def requires(permission: Permission, *, survey_keys: bool = False) -> Callable:
    """Mark an operation with the permission it needs and check it on every call.

    The mark (``required_permission``) is what the access-policy test reads to check every
    operation against the policy table. ``survey_keys`` lets a key scoped to one survey
    use the operation on that survey (its ``survey_id`` path parameter); to such a key
    every other operation, and this one on another survey, is a 404, like a missing object.
    An operation naming no survey in its path (a response by id) that allows survey keys
    narrows what it reads to ``survey_scope(request)`` itself.
    """

    def decorator(operation: Callable) -> Callable:
        @wraps(operation)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            admit(
                request.api_key,
                permission,
                survey_keys=survey_keys,
                survey_id=kwargs.get("survey_id"),
                count=not request.META.get(RATE_LIMIT_COUNTED),
            )
            return operation(request, *args, **kwargs)

        checked.required_permission = permission
        checked.allows_survey_keys = survey_keys
        return checked

    return decorator


# Set in the WSGI environ by a fast path (``collect.fast_ingest``) that has counted the
# request against the key's rate limit before handing it to Django: counted once, not
# twice. No header can set it: the environ names headers ``HTTP_*``.
RATE_LIMIT_COUNTED = "heedback.rate_limit_counted"


def admit(
    api_key: ApiKey,
    permission: Permission,
    *,
    survey_keys: bool,
    survey_id: int | None,
    count: bool = True,
) -> None:
    """Let ``api_key`` call an operation needing ``permission``, or raise as ``requires`` says.

    ``survey_id``: the operation's survey path parameter, None when it names none.
    ``count``: count the call against the key's rate limit (raise RateLimited past it).
    """
    scope = api_key.survey_id
    if scope is not None and (
        not survey_keys or (survey_id if survey_id is not None else scope) != scope
    ):
        raise Http404("Not found")
    if not api_key_allows(api_key.role, permission):
        raise Forbidden("This API key may not do this (it is read-only).")
    if count:
        ratelimit.check("api_key", str(api_key.pk))


def survey_scope(request: HttpRequest) -> int | None:
    """Return the one survey the request's API key may see, or None for every survey."""
    return request.api_key.survey_id


def error_body(message: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Return the one JSON shape of every API error: a message and messages per field."""
    return {"detail": message, "errors": errors or {}}
