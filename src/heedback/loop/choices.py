from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting on customer")
    REOPENED = "reopened", _("Reopened")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# A case is open while someone still has to act on it: its deadline counts and escalates.
OPEN_STATUSES = frozenset(
    {CaseStatus.NEW, CaseStatus.IN_PROGRESS, CaseStatus.WAITING, CaseStatus.REOPENED}
)

# Where a case may go from each state by an explicit change (resolve and reopen included).
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.NEW: frozenset(
        {CaseStatus.IN_PROGRESS, CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CLOSED}
    ),
    CaseStatus.IN_PROGRESS: frozenset({CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.WAITING: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.REOPENED: frozenset(
        {CaseStatus.IN_PROGRESS, CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CLOSED}
    ),
    CaseStatus.RESOLVED: frozenset({CaseStatus.CLOSED, CaseStatus.REOPENED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.REOPENED}),
}


class CasePriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK = {
    CasePriority.LOW: 0,
    CasePriority.NORMAL: 1,
    CasePriority.HIGH: 2,
    CasePriority.URGENT: 3,
}


class CaseSource(models.TextChoices):
    RULE = "rule", _("A rule")
    STAFF = "staff", _("A member of staff")
    API = "api", _("The API")
    CUSTOMER = "customer", _("The customer")


class EventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    NOTE = "note", _("Note")
    CALL = "call", _("Call")
    REPLY = "reply", _("Reply to the customer")
    GESTURE = "gesture", _("Gesture")
    STATUS = "status", _("Status change")
    ASSIGNED = "assigned", _("Assigned")
    PRIORITY = "priority", _("Priority change")
    RESOLVED = "resolved", _("Resolved")
    REOPENED = "reopened", _("Reopened")
    ESCALATED = "escalated", _("Escalated")
    ALERTED = "alerted", _("Alert sent")
    # The customer's answer to "Is your problem solved?" after the case was resolved.
    RESURVEY = "resurvey", _("Re-survey answer")
    # "Is your problem solved?" was emailed to the customer on resolution.
    RESURVEY_SENT = "resurvey_sent", _("Re-survey sent")


class CodeKind(models.TextChoices):
    RESOLUTION = "resolution", _("Resolution")
    ROOT_CAUSE = "root_cause", _("Root cause")


class AlertTarget(models.TextChoices):
    """Who a rule's alert goes to, besides any addresses it names."""

    OWNER = "owner", _("The case owner")
    MANAGERS = "managers", _("The unit's managers")


class DigestFrequency(models.TextChoices):
    OFF = "off", _("Never")
    DAILY = "daily", _("Every day")
    WEEKLY = "weekly", _("Every week")
