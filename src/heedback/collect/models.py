"""Public survey links and the responses they collect."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heedback.collect.choices import Channel, InvitationStatus
from heedback.core.import_jobs import ImportJobFields
from heedback.customers.models import Customer, Interaction
from heedback.orgs.models import Organisation, OrgOwned, Unit
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

    # The organisation and the version have no database constraint (ADR 0003): the survey's
    # implies them, since a response's organisation and version are its survey's, and
    # whatever deletes an organisation or a version deletes its surveys in the same
    # transaction, which the survey's constraint refuses while a response names one.
    # Each check is a query per stored row, a sixth of PostgreSQL's CPU for a response.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    # Not indexed alone: the (survey, submitted_at) index and the unique (survey,
    # idempotency_key) one both lead with the survey, and every index costs each insert.
    survey = models.ForeignKey(
        Survey, on_delete=models.PROTECT, related_name="responses", db_index=False
    )
    version = models.ForeignKey(
        SurveyVersion, on_delete=models.PROTECT, related_name="responses", db_constraint=False
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="responses")
    # The link and the staff member are indexed only where set (see Meta): API batches and
    # imports name neither, and an index entry for every NULL costs each insert.
    link = models.ForeignKey(
        SurveyLink,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel, default=Channel.WEB)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="served_responses",
        help_text=_("The staff member who served the customer."),
        db_index=False,
    )
    # Who answered, when known (an invitation, an integration naming them); most responses
    # from links and cards are anonymous. Indexed only where set (see Meta).
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
        db_index=False,
    )
    # The visit, order or call the response is about, when the sender knows it.
    interaction = models.ForeignKey(
        Interaction,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
        db_index=False,
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
        indexes = [
            models.Index(fields=["survey", "submitted_at"], name="response_survey_time"),
            # A customer's responses, newest first (timeline, churn); anonymous rows skipped.
            models.Index(
                fields=["customer", "submitted_at"],
                name="response_customer_time",
                condition=models.Q(customer__isnull=False),
            ),
            models.Index(
                fields=["interaction"],
                name="response_interaction",
                condition=models.Q(interaction__isnull=False),
            ),
            models.Index(
                fields=["link"], name="response_link", condition=models.Q(link__isnull=False)
            ),
            models.Index(
                fields=["staff"], name="response_staff", condition=models.Q(staff__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"Response {self.pk} to {self.survey_id}"


class Answer(models.Model):
    """One answer of a response: a number (scales, yes/no as 1/0), a text or chosen options.

    Answers are rows, not a JSON blob, so that a metric is a GROUP BY inside the database.
    """

    # Not indexed alone: the unique (response, question_key) index leads with the response.
    # No database constraint either: answers are written only by the statement or the
    # transaction that writes their response (``storage``) and deleted only through its
    # cascade, so the check could never fail, yet on PostgreSQL it was the dearest part of
    # a stored response (ADR 0003).
    response = models.ForeignKey(
        Response,
        on_delete=models.CASCADE,
        related_name="answers",
        db_index=False,
        db_constraint=False,
    )
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
        return self.value_of(self.number, self.text, self.choices)

    @staticmethod
    def value_of(number: int | None, text: str, choices: list | None) -> object:
        """Return the value stored in an answer's columns, whatever its question."""
        if choices is not None:
            return choices
        if number is not None:
            return number
        return text


class ImportJob(ImportJobFields, OrgOwned):
    """A file of responses uploaded for import into one survey (see ``ImportJobFields``)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="import_jobs")
    create_units = models.BooleanField(_("create missing units"), default=False)
    units_planned = models.JSONField(default=list, blank=True)
    units_created = models.JSONField(default=list, blank=True)

    class Meta(ImportJobFields.Meta):
        pass

    def __str__(self) -> str:
        return f"Import of {self.file_name} into {self.survey_id}"


class ImportMapping(OrgOwned):
    """A column mapping saved under a name, to import the next file of the same shape."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="import_mappings")
    name = models.CharField(_("name"), max_length=100)
    mapping = models.JSONField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "name"], name="import_mapping_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class InvitationPolicy(OrgOwned):
    """How often an organisation lets itself invite the same person, across all surveys.

    One row per organisation, created on first use with the default below.
    """

    DEFAULT_DAYS_BETWEEN = 30

    organisation = models.OneToOneField(
        "orgs.Organisation", on_delete=models.CASCADE, related_name="invitation_policy"
    )
    days_between_invitations = models.PositiveIntegerField(
        _("days between two invitations"),
        default=DEFAULT_DAYS_BETWEEN,
        help_text=_("A contact invited less than this many days ago is not invited again."),
    )
    # What a new campaign starts with; each campaign may still change them.
    default_reminder_count = models.PositiveSmallIntegerField(_("reminders"), default=1)
    default_reminder_interval_days = models.PositiveSmallIntegerField(
        _("days between reminders"), default=3
    )
    # No invitation email leaves between these times of the organisation's day (both
    # empty: any time). A start after the end spans midnight (21:00–08:00).
    quiet_hours_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_hours_end = models.TimeField(_("quiet hours until"), null=True, blank=True)

    def __str__(self) -> str:
        return f"Invitation policy of {self.organisation_id}"


class Campaign(OrgOwned):
    """An email campaign of a survey: its text, send time, reminders, and its contacts.

    With ``trigger_kind`` set it is an automatic campaign: each new interaction of that kind
    invites its customer ``trigger_delay_minutes`` after it happened.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("name"), max_length=200)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    send_at = models.DateTimeField(_("send at"), default=timezone.now)
    reminder_count = models.PositiveSmallIntegerField(_("reminders"), default=1)
    reminder_interval_days = models.PositiveSmallIntegerField(
        _("days between reminders"), default=3
    )
    trigger_kind = models.CharField(_("interaction kind"), max_length=24, blank=True)
    trigger_delay_minutes = models.PositiveIntegerField(_("delay in minutes"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["trigger_kind"],
                name="campaign_trigger",
                condition=~models.Q(trigger_kind=""),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Invitation(OrgOwned):
    """One contact of a campaign: the emailed link, its reminders, the draft and the answer.

    The link's token is never stored: it is derived from ``nonce`` and the secret key
    (so reminders repeat the same link), and looked up by its SHA-256 (``token_hash``).
    ``draft`` holds the answers given so far; ``draft_revision`` grows with each save and
    a save naming an older revision is refused (an old tab cannot overwrite newer answers).
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    # What invited this contact: "customer:<id>" for an uploaded contact, "interaction:<id>"
    # for a trigger; unique per campaign so a repeated upload or a re-read interaction
    # invites nobody twice.
    source_key = models.CharField(max_length=64)
    nonce = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="invitations", db_index=False
    )
    email = models.EmailField(max_length=254)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=InvitationStatus, default=InvitationStatus.SCHEDULED
    )
    skip_reason = models.CharField(max_length=20, blank=True)
    send_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    response = models.ForeignKey(
        Response, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    draft = models.JSONField(default=dict, blank=True)
    draft_revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "source_key"], name="invitation_unique_source"
            )
        ]
        indexes = [
            # The sender's two queues: first sends, then reminders.
            models.Index(
                fields=["send_at"],
                name="invitation_due",
                condition=models.Q(status="scheduled"),
            ),
            models.Index(
                fields=["next_reminder_at"],
                name="invitation_reminder_due",
                condition=models.Q(status="sent", next_reminder_at__isnull=False),
            ),
            # The throttle: when was this address last invited in the organisation.
            models.Index(fields=["organisation", "email", "sent_at"], name="invitation_recent"),
        ]

    def __str__(self) -> str:
        return f"Invitation {self.pk} of campaign {self.campaign_id}"


class Suppression(OrgOwned):
    """An address the organisation must not email again (unsubscribed or bounced)."""

    email = models.EmailField(max_length=254)
    reason = models.CharField(max_length=20)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"], name="suppression_unique_email"
            )
        ]

    def __str__(self) -> str:
        return self.email


class InteractionWatermark(models.Model):
    """How far the trigger job has read the interactions (by id), with a lease."""

    name = models.CharField(max_length=50, unique=True)
    position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.position}"


class MentionInbox(OrgOwned):
    """The survey that holds an organisation's public reviews and social mentions.

    Created on the first mention, so that mentions are responses like any other: the
    results page, metrics, text enrichment and loop rules see them without knowing them.
    """

    organisation = models.OneToOneField(
        "orgs.Organisation", on_delete=models.CASCADE, related_name="mention_inbox"
    )
    survey = models.OneToOneField(Survey, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"Mention inbox of {self.organisation_id}"


class Mention(OrgOwned):
    """Where a review or social post came from: the site, its author, the public post.

    The response holds the rating (on 1–5) and the text; this row keeps what a connector
    sent as it was, and makes a repeat idempotent by the site's id or the post's address.
    """

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="mention")
    site = models.CharField(_("site"), max_length=60)
    author_handle = models.CharField(_("author"), max_length=200, blank=True)
    public_url = models.URLField(_("public address"), max_length=2000, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    rating = models.FloatField(null=True, blank=True)
    rating_worst = models.SmallIntegerField(null=True, blank=True)
    rating_best = models.SmallIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "site", "external_id"],
                name="mention_unique_external_id",
                condition=~models.Q(external_id=""),
            ),
            models.UniqueConstraint(
                fields=["organisation", "public_url"],
                name="mention_unique_public_url",
                condition=~models.Q(public_url=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} mention {self.external_id or self.public_url}"
