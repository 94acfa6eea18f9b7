from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Webhook")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Gave up")


class WebhookFormat(models.TextChoices):
    STANDARD = "standard", _("Standard Webhooks (signed JSON)")
    SLACK = "slack", _("Slack-compatible message")
