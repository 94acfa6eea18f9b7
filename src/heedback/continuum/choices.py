"""Display names of the continuum's levels and factors, and the states of an assessment.

The values match ``instrument.Level`` and ``instrument.Factor`` (a test keeps them in step);
these classes add the translated labels the pages and forms show.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LevelChoice(models.IntegerChoices):
    HOSTILE = 1, _("Hostile")
    AWARE = 2, _("Aware")
    FRIENDLY = 3, _("Friendly")
    FOCUSED = 4, _("Focused")
    CENTRIC = 5, _("Centric")


class FactorChoice(models.TextChoices):
    CUSTOMER_FOCUS = "customer_focus", _("Customer focus")
    MEASUREMENT = "measurement", _("Measurement")
    ENVIRONMENT = "environment", _("Environment")


FACTOR_DESCRIPTIONS = {
    FactorChoice.CUSTOMER_FOCUS: _("How the organisation thinks about and treats customers."),
    FactorChoice.MEASUREMENT: _("What it measures, and what it does with the results."),
    FactorChoice.ENVIRONMENT: _("People, training, authority, culture and systems."),
}

LEVEL_DESCRIPTIONS = {
    LevelChoice.HOSTILE: _("Customers are a nuisance; nothing is measured; staff are blamed."),
    LevelChoice.AWARE: _("Customers matter in words; occasional surveys; ad-hoc training."),
    LevelChoice.FRIENDLY: _("Courteous service; regular surveys reviewed; basic training."),
    LevelChoice.FOCUSED: _(
        "Services built around target customers; feedback at every touchpoint reaches the "
        "front line within days; staff coached and empowered."
    ),
    LevelChoice.CENTRIC: _(
        "Every function judged on customer outcomes; the loop closed within two days; "
        "employees treated as internal customers."
    ),
}


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class Agreement(models.IntegerChoices):
    STRONGLY_DISAGREE = 1, _("Strongly disagree")
    DISAGREE = 2, _("Disagree")
    NEITHER = 3, _("Neither agree nor disagree")
    AGREE = 4, _("Agree")
    STRONGLY_AGREE = 5, _("Strongly agree")


class PlanMetricChoice(models.TextChoices):
    """What a service-plan target measures (the values of ``plan.PlanMetric``)."""

    NPS = "nps", _("NPS")
    CSAT = "csat", _("CSAT (share at 4-5)")
    RESPONSE_HOURS = "response_hours", _("Response time (hours to first action on a case)")
    CLOSED_IN_TIME = "closed_in_time", _("Cases closed in time (%)")


class StandingChoice(models.TextChoices):
    """How an actual stands against its target (the values of ``plan.Standing``)."""

    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    MISSED = "missed", _("Missed")
    NO_DATA = "no_data", _("No data yet")
