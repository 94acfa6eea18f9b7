"""Surveys, their frozen versions and the organisation's domain taxonomy."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heedback.orgs.models import OrgOwned
from heedback.surveys import confidentiality
from heedback.surveys.choices import SurveyKind, SurveyStatus
from heedback.surveys.definition import SurveyDefinition


class Domain(OrgOwned):
    """A domain of satisfaction (quality, value, …) that questions can be bound to."""

    key = models.SlugField(_("key"), max_length=63)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    position = models.PositiveIntegerField(default=0)
    is_retired = models.BooleanField(_("retired"), default=False)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="domain_unique_key")
        ]

    def __str__(self) -> str:
        return self.name


class Survey(OrgOwned):
    """A questionnaire; its questions live in versions, the latest unpublished one is the draft."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=SurveyKind, default=SurveyKind.CUSTOMER
    )
    template_key = models.CharField(max_length=50, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=SurveyStatus, default=SurveyStatus.DRAFT, db_index=True
    )
    published_version = models.ForeignKey(
        "SurveyVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return self.status == SurveyStatus.PUBLISHED

    @property
    def is_confidential(self) -> bool:
        """Return whether responses are shown in aggregate only (see confidentiality.py)."""
        return confidentiality.is_confidential(self)


class SurveyVersion(OrgOwned):
    """One version of a survey's definition; frozen once ``published_at`` is set.

    The definition is stored as the JSON of a validated ``SurveyDefinition`` and every
    response points at the version it answered, so editing a survey never changes the
    meaning of answers already given.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["survey", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "number"], name="survey_version_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey} v{self.number}"

    @property
    def is_frozen(self) -> bool:
        return self.published_at is not None

    def parsed(self) -> SurveyDefinition:
        """Return the definition as a typed object (it was validated when stored)."""
        cached = getattr(self, "_parsed", None)
        if cached is None:
            cached = SurveyDefinition.model_validate(self.definition)
            self._parsed = cached
        return cached
