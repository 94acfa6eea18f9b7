"""The one NinjaAPI: mounts every app's router under /api/v1/ and shapes every error."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.errors import HttpError as NinjaHttpError

from heedback import __version__
from heedback.collect.api import router as collect_router
from heedback.collect.campaign_api import router as campaign_router
from heedback.collect.mention_api import router as mention_router
from heedback.continuum.api import router as continuum_router
from heedback.core.api_support import ApiKeyAuth, error_body
from heedback.core.errors import ServiceError
from heedback.core.ratelimit import RateLimited
from heedback.customers.api import router as customers_router
from heedback.insights.api import router as insights_router
from heedback.insights.churn_api import router as churn_router
from heedback.loop.api import router as loop_router
from heedback.orgs.api import router as orgs_router
from heedback.surveys.api import router as surveys_router
from heedback.text.api import router as text_router

api = NinjaAPI(
    title="Heedback API",
    version=__version__,
    urls_namespace="api",
    auth=ApiKeyAuth(),
    openapi_url="/openapi.json",
    docs_url="/docs",
    description=(
        "Authenticate with an organisation's API key: `Authorization: Bearer KEY`. "
        'Errors are JSON: `{"detail": message, "errors": {field: [messages]}}`.'
    ),
)
api.add_router("/v1/", orgs_router)
api.add_router("/v1/", surveys_router)
api.add_router("/v1/", collect_router)
api.add_router("/v1/", campaign_router)
api.add_router("/v1/", mention_router)
# Before the customers router, whose /customers/{customer_id} would take /customers/win-back.
api.add_router("/v1/", churn_router)
api.add_router("/v1/", customers_router)
api.add_router("/v1/", continuum_router)
api.add_router("/v1/", insights_router)
api.add_router("/v1/", loop_router)
api.add_router("/v1/", text_router)


def _location(loc: list | tuple) -> str:
    # Ninja prefixes the part of the request ("body", "query") and the parameter name;
    # an integration wants the path inside its own payload.
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "query", "path"}:
        parts = parts[1:]
    if parts and parts[0] in {"payload", "filters"}:
        parts = parts[1:]
    return ".".join(parts) or "__all__"


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for item in error.errors:
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        errors.setdefault(_location(item.get("loc", ())), []).append(message)
    return api.create_response(request, error_body("The request is not valid.", errors), status=422)


@api.exception_handler(ServiceError)
def on_service_error(request: HttpRequest, error: ServiceError) -> HttpResponse:
    response = api.create_response(
        request, error_body(error.message, error.errors), status=error.status
    )
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(error.retry_after)
    return response


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, error_body("Send a valid API key: Authorization: Bearer KEY."), status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(RequestDataTooBig)
def on_body_too_large(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    message = f"The request body is larger than {limit:,} bytes; send it in smaller batches."
    return api.create_response(request, error_body(message), status=413)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return api.create_response(request, error_body("Not found."), status=404)


@api.exception_handler(NinjaHttpError)
def on_http_error(request: HttpRequest, error: NinjaHttpError) -> HttpResponse:
    return api.create_response(request, error_body(str(error)), status=error.status_code)
