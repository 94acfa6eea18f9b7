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
