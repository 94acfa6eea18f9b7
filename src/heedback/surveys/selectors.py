"""Reads of the surveys app."""

from __future__ import annotations

from django.db.models import Max, QuerySet

from heedback.orgs.models import Organisation
from heedback.surveys.models import Domain, Survey


def surveys_of(organisation: Organisation) -> QuerySet[Survey]:
    return Survey.objects.for_org(organisation).select_related("published_version")


def survey_listing(organisation: Organisation) -> QuerySet[Survey]:
    """Return the surveys for the list page, newest first, with their latest version number."""
    return (
        surveys_of(organisation)
        .annotate(latest_version_number=Max("versions__number"))
        .order_by("-created_at", "-pk")
    )


def domains_of(organisation: Organisation, *, include_retired: bool = True) -> QuerySet[Domain]:
    domains = Domain.objects.for_org(organisation)
    return domains if include_retired else domains.filter(is_retired=False)


def survey_summary(survey: Survey) -> dict:
    """Return the fields every survey listing shows, for the API and the pages."""
    version = survey.published_version
    return {
        "id": survey.pk,
        "name": survey.name,
        "kind": survey.kind,
        "status": survey.status,
        "template": survey.template_key,
        "version": version.number if version else None,
        "created_at": survey.created_at,
        "updated_at": survey.updated_at,
    }
