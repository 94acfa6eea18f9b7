"""Rules, cases and their follow-up log; business hours; the evaluation ledger."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heedback.collect.models import Response
from heedback.loop.choices import (
    OPEN_STATUSES,
    CasePriority,
    CaseSource,
    CaseStatus,
    CodeKind,
    DigestFrequency,
    EventKind,
)
from heedback.orgs.models import Membership, OrgOwned, Unit
from heedback.surveys.models import Survey


def default_weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]


def default_gesture_limits() -> dict[str, str]:
    # Empowerment with a ceiling: the front line settles most complaints on the spot.
    return {"frontline": "50", "manager": "500", "admin": "", "owner": ""}


class LoopSettings(OrgOwned):
    """An organisation's settings for following up feedback.

    ``gesture_limits`` maps a role to the largest gesture (a refund, a voucher) a member
    with that role may make on a case on their own; an empty value means no limit and a
    role that is missing may make none.
    """

    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    gesture_limits = models.JSONField(_("gesture limits"), default=default_gesture_limits)
    escalation_step_hours = models.PositiveIntegerField(
        _("hours between escalation steps"),
        default=24,
        help_text=_("After the first escalation, how long each manager has before the next."),
    )
    resurvey_on_resolution = models.BooleanField(
        _("re-survey on resolution"),
        default=True,
        help_text=_('Email the customer "Is your problem solved?" when a case is resolved.'),
    )
    # The campaign the re-surveys are sent from, made with its survey on first use.
    resurvey_campaign = models.ForeignKey(
        "collect.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation"], name="loop_settings_unique_org")
        ]

    def __str__(self) -> str:
        return f"Loop settings of {self.organisation_id}"


class BusinessHours(OrgOwned):
    """Opening hours that deadlines count in: the organisation's (no unit) or a unit subtree's."""

    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, help_text=_("Empty: the organisation's.")
    )
    weekdays = models.JSONField(_("working days"), default=default_weekdays)
    opens = models.TimeField(_("opens"), default=time(9))
    closes = models.TimeField(_("closes"), default=time(17))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "unit"], name="business_hours_unique_unit"
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(unit__isnull=True),
                name="business_hours_unique_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opens:%H:%M}–{self.closes:%H:%M}"


class Rule(OrgOwned):
    """Turn matching feedback into action: open a case, alert people, tag the response.

    ``conditions`` is a list validated by ``loop.conditions`` (all must hold). A rule acts
    on responses that arrive while it is enabled, never on older ones: try it against the
    last 30 days first to see what it would have done.
    """

    name = models.CharField(_("name"), max_length=200)
    description = models.CharField(_("description"), max_length=500, blank=True)
    is_enabled = models.BooleanField(_("enabled"), default=False)
    # Set on the rules every organisation gets, so that they are added once only.
    system_key = models.CharField(max_length=50, blank=True)
    survey = models.ForeignKey(
        Survey, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channels = models.JSONField(_("channels"), default=list, blank=True)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    opens_case = models.BooleanField(_("opens a case"), default=True)
    case_priority = models.CharField(
        _("priority"), max_length=10, choices=CasePriority, default=CasePriority.NORMAL
    )
    case_due_hours = models.PositiveIntegerField(_("due in (hours)"), default=48)
    alert = models.JSONField(
        _("alert"), default=list, blank=True, help_text=_("owner, managers or email addresses")
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    calls_webhooks = models.BooleanField(
        _("call the webhooks"),
        default=False,
        help_text=_('Send a "rule.matched" event to the webhooks that want it.'),
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "system_key"],
                condition=~Q(system_key=""),
                name="rule_unique_system_key",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CaseCode(OrgOwned):
    """An entry of the organisation's list of resolutions or root causes (counted, so listed)."""

    kind = models.CharField(_("kind"), max_length=20, choices=CodeKind)
    key = models.SlugField(_("key"), max_length=63)
    label = models.CharField(_("label"), max_length=100)
    position = models.PositiveIntegerField(default=0)
    is_retired = models.BooleanField(_("retired"), default=False)

    class Meta:
        ordering = ["kind", "position", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "key"], name="case_code_unique_key"
            )
        ]

    def __str__(self) -> str:
        return self.label


class CaseQuerySet(models.QuerySet):
    def for_org(self, organisation) -> CaseQuerySet:
        return self.filter(organisation=organisation)

    def open(self) -> CaseQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Case(OrgOwned):
    """Someone must act on a piece of feedback: an owner, a deadline, a log, a resolution.

    ``next_escalation_at`` is when the deadline (then each escalation step) runs out; the
    escalation job moves the case up the unit tree from there, one recorded step at a time.
    """

    title = models.CharField(_("title"), max_length=300)
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus, default=CaseStatus.NEW, db_index=True
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=CasePriority, default=CasePriority.NORMAL
    )
    source = models.CharField(max_length=20, choices=CaseSource, default=CaseSource.RULE)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    response = models.ForeignKey(
        Response, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rules = models.ManyToManyField(Rule, blank=True, related_name="cases")
    owner = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_hours = models.PositiveIntegerField(default=48)
    due_at = models.DateTimeField(_("due"), db_index=True)
    next_escalation_at = models.DateTimeField(null=True, blank=True, db_index=True)
    escalation_level = models.PositiveIntegerField(default=0)
    escalated_to = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalation_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    breached_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    first_seen_at = models.DateTimeField(null=True, blank=True)
    first_action_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveIntegerField(default=0)
    resolution_code = models.ForeignKey(
        CaseCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    root_cause = models.ForeignKey(
        CaseCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.TextField(_("resolution"), blank=True)
    gesture_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    tags = models.JSONField(default=list, blank=True)
    # Makes a repeated opening from outside (a customer's contact form posted twice) one case.
    external_key = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            # A response opens at most one case by rule, whatever the number of workers
            # evaluating it or of rules it matches.
            models.UniqueConstraint(
                fields=["response"],
                condition=Q(source=CaseSource.RULE),
                name="case_unique_rule_response",
            ),
            models.UniqueConstraint(
                fields=["organisation", "external_key"],
                condition=~Q(external_key=""),
                name="case_unique_external_key",
            ),
        ]
        indexes = [
            # The case list's orders: open cases by deadline, others newest first.
            models.Index(fields=["organisation", "status", "due_at"], name="case_org_status_due"),
            models.Index(
                fields=["organisation", "status", "-opened_at"], name="case_org_status_opened"
            ),
            # All cases newest first, paged deep: read in the index's order, ties included.
            models.Index(fields=["organisation", "-opened_at", "-id"], name="case_org_opened_id"),
            # A unit (subtree) filter: with the organisation first, the planner takes it for
            # "organisation = ? AND unit IN (…) AND status IN (…)" (SQLite scanned the
            # organisation's cases by status instead: 100 ms against 4 at 100,000 cases).
            models.Index(
                fields=["organisation", "unit", "status", "due_at"], name="case_org_unit_status_due"
            ),
            models.Index(fields=["organisation", "owner", "status"], name="case_org_owner"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now=None) -> bool:
        """Tell whether the case is open and past its deadline."""
        return self.is_open and self.due_at < (now or timezone.now())


class CaseEvent(OrgOwned):
    """One entry of a case's log: a note, a call and its outcome, a reply, a change, a step up."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind)
    actor = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)
    body = models.TextField(blank=True)
    reached = models.BooleanField(null=True, blank=True)
    solved = models.BooleanField(null=True, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"


class RuleMatch(OrgOwned):
    """A rule held for a response and acted: kept once per (rule, response)."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="matches")
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "response"], name="rule_match_unique")
        ]

    def __str__(self) -> str:
        return f"rule {self.rule_id} × response {self.response_id}"


class ResponseTag(OrgOwned):
    """A tag a rule put on a response ("public", "billing"), to filter and count by."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+")
    tag = models.SlugField(max_length=50)
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "tag"], name="response_tag_unique")
        ]
        indexes = [models.Index(fields=["organisation", "tag"], name="response_tag_org_tag")]

    def __str__(self) -> str:
        return self.tag


class EvaluatedResponse(models.Model):
    """The ledger of the evaluation job: a response is checked against the rules once.

    The row is written in the same transaction as what the rules did, so a worker killed
    half-way leaves neither, and two workers cannot both act on one response (the second
    insert fails on the primary key).
    """

    response = models.OneToOneField(
        Response, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    matched = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # The response's texts were not read in time (services.TEXT_WAIT): its rules on
    # sentiment, theme or urgency were judged false.
    without_text = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"response {self.response_id} evaluated"


class EvaluationCursor(models.Model):
    """The watermark of the evaluation job: every response up to ``position`` is evaluated.

    Above it, the ledger says which responses are done. The watermark moves only over
    responses received long enough ago (``services.SETTLE``) that no transaction storing
    one of them can still be open, so a response committed late is never skipped.
    """

    position = models.BigIntegerField(default=0)
    moved_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"evaluated up to response {self.position}"


class DigestSubscription(OrgOwned):
    """A member's choice of digest, and when the next one is due.

    Every member gets one (the digest job adds the missing ones): weekly for people who
    work cases, off for the others. ``next_digest_at`` is the next sending moment in the
    member's time zone (theirs, else the organisation's); the job takes the rows whose
    moment has come.
    """

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="digest_subscription"
    )
    frequency = models.CharField(
        _("digest"), max_length=10, choices=DigestFrequency, default=DigestFrequency.WEEKLY
    )
    hour = models.PositiveSmallIntegerField(_("at (hour)"), default=7)
    weekday = models.PositiveSmallIntegerField(
        _("on (weekly)"),
        default=0,
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ],
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, help_text=_("Empty: the organisation's.")
    )
    next_digest_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_period = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        return f"{self.frequency} digest of {self.membership_id}"
