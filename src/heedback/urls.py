"""Routing: staff pages under /o/<org_slug>/, public survey pages under /s/, the API under /api/."""

from django.contrib import admin
from django.urls import include, path

from heedback.api import api
from heedback.collect import urls as collect_urls
from heedback.continuum import urls as continuum_urls
from heedback.customers import urls as customers_urls
from heedback.insights import urls as insights_urls
from heedback.loop import urls as loop_urls
from heedback.orgs import urls as orgs_urls
from heedback.surveys import urls as survey_urls
from heedback.text import urls as text_urls

organisation_patterns = [
    *survey_urls.organisation_patterns,
    *insights_urls.organisation_patterns,
    *orgs_urls.organisation_patterns,
    *collect_urls.organisation_patterns,
    *customers_urls.organisation_patterns,
    *continuum_urls.organisation_patterns,
    *loop_urls.organisation_patterns,
    *text_urls.organisation_patterns,
]

urlpatterns = [
    *orgs_urls.urlpatterns,
    *collect_urls.urlpatterns,
    *customers_urls.urlpatterns,
    *loop_urls.urlpatterns,
    path("o/<slug:org_slug>/", include(organisation_patterns)),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
