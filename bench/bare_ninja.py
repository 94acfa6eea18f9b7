"""The baseline of the ingest benchmark: a Django Ninja endpoint that parses and stores nothing.

It takes the same body as ``POST /api/v1/surveys/{id}/responses`` (the real ``ResponseIn``
schema) and answers 201 with a small JSON body. It is served by granian exactly as
``heedback serve`` serves Heedback, so the difference is what Heedback does per request:
authentication, rate limit, middleware, validation against the survey, the commit.
"""

from __future__ import annotations

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="bare-ninja-benchmark-only",  # noqa: S106 (never deployed)
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["ninja"],
    MIDDLEWARE=[],
    USE_TZ=True,
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.urls import path  # noqa: E402
from ninja import NinjaAPI  # noqa: E402

from heedback.collect.schemas import ResponseIn  # noqa: E402

api = NinjaAPI(urls_namespace="bare")


@api.post("/v1/surveys/{survey_id}/responses", response={201: dict})
def submit(request, survey_id: int, payload: ResponseIn):
    return 201, {"survey": survey_id, "idempotency_key": payload.idempotency_key}


urlpatterns = [path("api/", api.urls)]
application = get_wsgi_application()
