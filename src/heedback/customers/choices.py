"""Choices of the customers app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InteractionKind(models.TextChoices):
    """What happened between the customer and the organisation."""

    VISIT = "visit", _("Visit")
    ORDER = "order", _("Order")
    STAY = "stay", _("Stay")
    SERVICE_CALL = "service_call", _("Service call")
    APPOINTMENT = "appointment", _("Appointment")
    PURCHASE = "purchase", _("Purchase")
    SUBSCRIPTION_RENEWAL = "subscription_renewal", _("Subscription renewal")
    OTHER = "other", _("Other")


class Temperament(models.TextChoices):
    """The four True Colors temperaments (what good service feels like to the customer)."""

    BLUE = "blue", _("Blue")
    GOLD = "gold", _("Gold")
    GREEN = "green", _("Green")
    ORANGE = "orange", _("Orange")


class TemperamentSource(models.TextChoices):
    """Who said what the customer's temperament is."""

    STAFF = "staff", _("Set by staff")
    QUIZ = "quiz", _("From the customer's quiz")
    API = "api", _("From an integration")


class LapseBasis(models.TextChoices):
    """Which history a customer's lapse threshold comes from."""

    OWN = "own", _("Own rhythm")
    FALLBACK = "fallback", _("Short history: the organisation's fallback applies")
    TOO_FEW = "too_few", _("Too few visits for a rhythm")
