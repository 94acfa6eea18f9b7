"""Public survey links and the responses they collect."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heedback.collect.choices import Channel
from heedback.orgs.models import OrgOwned, Unit
from heedback.surveys.models import Survey, SurveyVersion


class SurveyLink(OrgOwned):
    """The public, unguessable link of a survey for one unit."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="links")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="survey_links")
    token = models.CharField(max_length=64, unique=True)
    # A code short enough to type from a printed card (heedback.example/c/7KQ4-M2XD).
    short_code = models.CharField(max_length=16, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "unit"], name="survey_link_unique_unit")
        ]

    def __str__(self) -> str:
        return f"{self.survey} @ {self.unit}"


class Response(OrgOwned):
    """A submitted response: an immutable fact, tied to its survey version, unit and channel.

    ``idempotency_key`` makes a submission safe to repeat: a double click, a retried API
    call or a replayed form stores one response, and the repeat gets the first one back.
    """

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="responses")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="responses")
    link = models.ForeignKey(
        SurveyLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel, default=Channel.WEB)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="served_responses",
        help_text=_("The staff member who served the customer."),
    )
    external_id = models.CharField(
        _("external id"),
        max_length=200,
        blank=True,
        help_text=_("The id of this response in the system it came from (import, connector)."),
    )
    idempotency_key = models.CharField(max_length=128)
    submitted_at = models.DateTimeField(_("submitted at"), db_index=True)
    received_at = models.DateTimeField(default=timezone.now)
    # The calendar day of ``submitted_at`` in the organisation's time zone, kept so that
    # rollups group by day with plain SQL on every database (derived: rebuildable).
    local_date = models.DateField(_("local date"))
    language = models.CharField(max_length=16, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "idempotency_key"], name="response_unique_idempotency_key"
            )
        ]
        indexes = [models.Index(fields=["survey", "submitted_at"], name="response_survey_time")]

    def __str__(self) -> str:
        return f"Response {self.pk} to {self.survey_id}"


class Answer(models.Model):
    """One answer of a response: a number (scales, yes/no as 1/0), a text or chosen options.

    Answers are rows, not a JSON blob, so that a metric is a GROUP BY inside the database.
    """

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question_key = models.CharField(max_length=63)
    number = models.IntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    choices = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question_key"], name="answer_unique_question"
            )
        ]
        indexes = [models.Index(fields=["question_key", "number"], name="answer_question_number")]

    def __str__(self) -> str:
        return f"{self.question_key}={self.value!r}"

    @property
    def value(self) -> object:
        if self.choices is not None:
            return self.choices
        if self.number is not None:
            return self.number
        return self.text
