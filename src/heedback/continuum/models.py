"""Assessments of the continuum, their answers, and an organisation's own statements.

Answers are the facts; placements are derived from them by ``scoring.score`` whenever they
are read, so a placement can always be rebuilt and never drifts from its answers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heedback.continuum.choices import (
    AssessmentStatus,
    FactorChoice,
    LevelChoice,
    PlanMetricChoice,
)
from heedback.continuum.instrument import CUSTOM_PREFIX, Factor, Level, Statement
from heedback.orgs.models import OrgOwned, Unit


class CustomStatement(OrgOwned):
    """A statement an organisation adds to the instrument for its own practices.

    Its text is never edited once created (answers must keep their meaning); retiring it
    stops asking it while old answers keep counting in the assessments that gave them.
    """

    factor = models.CharField(_("factor"), max_length=20, choices=FactorChoice)
    level = models.PositiveSmallIntegerField(_("level"), choices=LevelChoice)
    text = models.CharField(_("statement"), max_length=300)
    is_retired = models.BooleanField(_("retired"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["factor", "level", "pk"]

    def __str__(self) -> str:
        return self.text

    @property
    def statement_id(self) -> str:
        return f"{CUSTOM_PREFIX}{self.pk}"

    def as_statement(self) -> Statement:
        """Return the statement as the instrument and scoring read it."""
        return Statement(
            id=self.statement_id,
            factor=Factor(self.factor),
            level=Level(self.level),
            text=self.text,
            is_custom=True,
        )


class Assessment(OrgOwned):
    """One person's answers for the organisation (``unit`` None) or one unit.

    A draft is resumed until it is submitted; each respondent has at most one draft per
    scope. ``instrument_version`` fixes what the answers mean.
    """

    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    respondent_label = models.CharField(max_length=200, blank=True)
    respondent_role = models.CharField(max_length=20, blank=True)
    instrument_version = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=20, choices=AssessmentStatus, default=AssessmentStatus.DRAFT, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["respondent", "unit"],
                condition=Q(status=AssessmentStatus.DRAFT, unit__isnull=False),
                name="assessment_one_draft_per_unit",
            ),
            models.UniqueConstraint(
                fields=["organisation", "respondent"],
                condition=Q(status=AssessmentStatus.DRAFT, unit__isnull=True),
                name="assessment_one_draft_for_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"Assessment {self.pk} ({self.status})"

    @property
    def is_draft(self) -> bool:
        return self.status == AssessmentStatus.DRAFT


class AssessmentAnswer(OrgOwned):
    """One answer: agreement from 1 to 5 with a statement, or None for "don't know"."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    statement_id = models.CharField(max_length=63)
    agreement = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "statement_id"], name="assessment_answer_unique_statement"
            ),
            models.CheckConstraint(
                condition=Q(agreement__isnull=True) | Q(agreement__gte=1, agreement__lte=5),
                name="assessment_answer_on_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}={self.agreement}"


class ServicePlan(OrgOwned):
    """Customer service planned like the business: targets for a period, against actuals.

    ``survey`` is the customer survey whose NPS and CSAT the targets read; response time
    and closure in time come from cases. Actuals are derived on every read, never stored.
    """

    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    survey = models.ForeignKey(
        "surveys.Survey",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("customer survey"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="service_plan_period_order"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ServiceTarget(OrgOwned):
    """One target of a plan: a metric for a unit's subtree (None: everywhere), a channel and
    a customer segment.

    ``segment`` is a customer's ``value_tier`` ("gold", "key account"); empty means every
    customer, and responses or cases without a customer count only there.
    """

    plan = models.ForeignKey(ServicePlan, on_delete=models.CASCADE, related_name="targets")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    segment = models.CharField(
        _("customer segment"),
        max_length=40,
        blank=True,
        help_text=_("The value tier of the customers it covers, such as gold; empty for all."),
    )
    metric = models.CharField(_("metric"), max_length=20, choices=PlanMetricChoice)
    target = models.FloatField(_("target"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # The organisation-wide targets first, then by unit in tree order, on every database.
        ordering = [
            "plan",
            models.F("unit__path").asc(nulls_first=True),
            "channel",
            "segment",
            "metric",
            "pk",
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "unit", "channel", "segment", "metric"],
                condition=Q(unit__isnull=False),
                name="service_target_unique_in_unit_segment",
            ),
            models.UniqueConstraint(
                fields=["plan", "channel", "segment", "metric"],
                condition=Q(unit__isnull=True),
                name="service_target_unique_everywhere_segment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.target}"


class EvidenceRecord(OrgOwned):
    """A scope's evidence placement in one month, kept so that its history can be drawn.

    Evidence is measured from data as of a moment, and old data changes little, but the
    windows move: the placement of a past month is the one its data supported then. A
    periodic job measures every scope once a day and keeps the last measurement of each
    month (``evidence_history.record_evidence``); levels are 1-5, None when not placed.
    """

    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField()  # the first day of the month, in the organisation's zone
    overall = models.PositiveSmallIntegerField(null=True, blank=True, choices=LevelChoice)
    customer_focus = models.PositiveSmallIntegerField(null=True, blank=True, choices=LevelChoice)
    measurement = models.PositiveSmallIntegerField(null=True, blank=True, choices=LevelChoice)
    environment = models.PositiveSmallIntegerField(null=True, blank=True, choices=LevelChoice)
    measured_on = models.DateField()  # the organisation's local day of the measurement

    class Meta:
        ordering = ["month"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "month"],
                condition=Q(unit__isnull=False),
                name="evidence_record_one_per_unit_month",
            ),
            models.UniqueConstraint(
                fields=["organisation", "month"],
                condition=Q(unit__isnull=True),
                name="evidence_record_one_per_organisation_month",
            ),
        ]

    def __str__(self) -> str:
        return f"Evidence {self.month:%Y-%m}: {self.overall}"
