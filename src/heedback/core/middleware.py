"""Security headers that Django's own middleware does not set, and the API's short chain."""

from collections.abc import Callable

from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.urls import get_resolver
from django.utils.module_loading import import_string

# No inline scripts or styles anywhere: every page's behaviour and look come from files
# under /static/, so an injected <script> cannot run.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Swagger UI sets inline styles on its elements; it is a developer page behind /api/docs.
API_DOCS_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


class ContentSecurityPolicyMiddleware:
    """Send a Content-Security-Policy on every response that does not set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            policy = (
                API_DOCS_POLICY
                if request.path.startswith("/api/docs")
                else (CONTENT_SECURITY_POLICY)
            )
            response["Content-Security-Policy"] = policy
        return response


# Middleware the API keeps: it answers in the language the client asks for, and its
# responses may not be framed. What it does not need: sessions, CSRF tokens, the logged-in
# user, messages, htmx and static files; an API call authenticates with its key alone.
API_MIDDLEWARE = (
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)


class ApiMiddleware:
    """Send requests under ``/api/`` through a short middleware chain of their own.

    Placed after the security headers' middleware and before the pages' middleware:
    every request gets the security headers, and an API request then skips the session
    read, the CSRF cookie, the user and message look-ups and htmx, which together cost
    as much as the bare work of answering an API call. The chain is built once, from
    ``API_MIDDLEWARE``, around the URL resolver and the view, as Django builds its own.
    """

    prefix = "/api/"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        handler: Callable[[HttpRequest], HttpResponse] = convert_exception_to_response(self._view)
        for path in reversed(API_MIDDLEWARE):
            handler = convert_exception_to_response(import_string(path)(handler))
        self._api_chain = handler

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(self.prefix):
            return self._api_chain(request)
        return self.get_response(request)

    @staticmethod
    def _view(request: HttpRequest) -> HttpResponse:
        """Resolve and call the view (what ``BaseHandler._get_response`` does, less hooks)."""
        match = get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
        request.resolver_match = match
        response = match.func(request, *match.args, **match.kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        return response
