"""The Heedback pages that help with a next step, named by key in the instrument and indicators.

A feature without a route is one Heedback does not have yet: the step is shown without a
link and says so. When the app that brings it lands, giving its page's route name here
turns the link on everywhere.

A link is offered to a member only when their role may open the page: the permission is
read from the page itself (``member_view`` marks it), so this module holds no policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, resolve, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Feature:
    key: str
    label: str
    route: str | None = None
    anchor: str = ""


FEATURES: dict[str, Feature] = {
    feature.key: feature
    for feature in (
        Feature("survey_builder", _("Survey builder"), "survey-create"),
        Feature(
            "customer_survey",
            _("Survey builder: after a service visit"),
            "survey-create",
            "template-post_service",
        ),
        Feature(
            "business_review",
            _("Survey builder: business review"),
            "survey-create",
            "template-business_review",
        ),
        Feature(
            "employee_pulse",
            _("Survey builder: employee pulse"),
            "survey-create",
            "template-employee_pulse",
        ),
        Feature(
            "self_assessment_survey",
            _("Survey builder: staff self-assessment"),
            "survey-create",
            "template-self_assessment",
        ),
        Feature("links", _("Links and cards (open a survey)"), "survey-list"),
        Feature("results", _("Results and comments (open a survey)"), "survey-list"),
        Feature("members", _("Members: give front-line staff access"), "member-list"),
        Feature("units", _("Units"), "unit-list"),
        Feature("continuum_units", _("Continuum by unit"), "continuum-units"),
        Feature("detractor_rule", _("Rules: the detractor rule"), "rule-list"),
        Feature("service_plan", _("Service plans"), "continuum-plans"),
        Feature("internal_customers", _("Internal customers"), "continuum-internal"),
        Feature(
            "driver_analysis", _("Driver analysis (open a survey, then Drivers)"), "survey-list"
        ),
        Feature("lapse_detection", _("Lapse detection (customer settings)"), "customer-settings"),
    )
}


@dataclass(frozen=True)
class FeatureLink:
    label: str
    url: str | None


def feature_link(key: str | None, organisation_slug: str, membership=None) -> FeatureLink | None:
    """Return the label and URL of feature ``key`` in an organisation (no URL if none yet).

    With ``membership``, the URL is left out when the member's role may not open the page.
    """
    feature = FEATURES.get(key or "")
    if feature is None:
        return None
    if feature.route is None:
        return FeatureLink(str(feature.label), None)
    try:
        url = reverse(feature.route, args=[organisation_slug])
    except NoReverseMatch:
        return FeatureLink(str(feature.label), None)
    needed = getattr(resolve(url).func, "required_permission", None)
    if membership is not None and needed is not None and not membership.has(needed):
        return FeatureLink(str(feature.label), None)
    return FeatureLink(str(feature.label), f"{url}#{feature.anchor}" if feature.anchor else url)
