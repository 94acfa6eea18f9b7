from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    WEB = "web", _("Web link")
    EMAIL = "email", _("Email invitation")
    QR = "qr", _("QR card")
    KIOSK = "kiosk", _("Kiosk")
    PAPER = "paper", _("Paper card")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    PHONE = "phone", _("Phone call")
    REVIEW = "review", _("Public review")
    SOCIAL = "social", _("Social media")


class InvitationStatus(models.TextChoices):
    """Where an emailed invitation stands; reminders follow ``sent`` until it is answered."""

    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Not sent")
    COMPLETED = "completed", _("Answered")


class SkipReason(models.TextChoices):
    """Why an invitation was not sent: counted per campaign."""

    THROTTLED = "throttled", _("Invited too recently")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Address bounced")
    NO_EMAIL = "no_email", _("No email address")
    SURVEY_CLOSED = "survey_closed", _("Survey closed")


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Bounced")
