"""Customers, their interactions, merges of duplicate records, and the lapse rule.

A customer's interactions are facts; the lapse fields of ``Customer`` are derived from them
(``services.refresh_lapse`` keeps them current, ``heedback recompute-lapse`` rebuilds them).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heedback.core.import_jobs import ImportJobFields
from heedback.customers import economics, lapse
from heedback.customers.choices import (
    InteractionKind,
    LapseBasis,
    Temperament,
    TemperamentSource,
)
from heedback.orgs.models import Organisation, OrgOwned, Unit


class Customer(OrgOwned):
    """A person (or a business client) the organisation serves.

    Known by an ``external_id`` from the organisation's own systems and/or an email. When
    two records turn out to be one person, one is merged into the other: it stays as a
    *tombstone* (``merged_into`` set) so that its identifiers still lead to the survivor.
    An erased customer keeps its anonymous interactions, so figures stay whole.
    """

    # Every index costs each write of the lapse fields (a rebuild rewrites every row), so
    # the organisation has none of its own: the composite indexes below start with it.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    value_tier = models.CharField(
        _("value tier"),
        max_length=40,
        blank=True,
        help_text=_("The organisation's own segment, such as gold, silver or key account."),
    )
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    temperament = models.CharField(_("temperament"), max_length=10, choices=Temperament, blank=True)
    temperament_source = models.CharField(max_length=10, choices=TemperamentSource, blank=True)
    temperament_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # a partial index below: most customers have none
    )
    temperament_set_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_records",
        db_index=False,  # a partial index below: few records are merged
    )
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    # Derived from the interactions (see lapse.py); rebuilt by `heedback recompute-lapse`.
    visit_count = models.PositiveIntegerField(default=0)
    gap_count = models.PositiveIntegerField(default=0)
    first_interaction_at = models.DateTimeField(null=True, blank=True)
    last_interaction_at = models.DateTimeField(null=True, blank=True)
    lapse_basis = models.CharField(max_length=10, choices=LapseBasis, default=LapseBasis.TOO_FEW)
    typical_gap_seconds = models.FloatField(null=True, blank=True)
    at_risk_gap_seconds = models.FloatField(null=True, blank=True)
    lapse_gap_seconds = models.FloatField(null=True, blank=True)
    at_risk_at = models.DateTimeField(null=True, blank=True)
    lapse_at = models.DateTimeField(null=True, blank=True)
    # Set in the transaction that adds, moves or removes an interaction, cleared by the
    # refresh that recomputes the fields above.
    lapse_stale = models.BooleanField(default=False)
    lapse_computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_interaction_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=~Q(external_id=""),
                name="customer_unique_external_id",
            ),
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=~Q(email="") & Q(merged_into__isnull=True),
                name="customer_unique_active_email",
            ),
        ]
        indexes = [
            # With the id, so that lists ordered by lapse (and id) read the index in order.
            models.Index(fields=["organisation", "lapse_at", "id"], name="customer_lapse_at_id"),
            models.Index(fields=["organisation", "at_risk_at"], name="customer_at_risk_at"),
            models.Index(
                fields=["organisation", "last_interaction_at"], name="customer_last_interaction"
            ),
            models.Index(
                fields=["organisation"], condition=Q(lapse_stale=True), name="customer_lapse_stale"
            ),
            models.Index(
                fields=["organisation", "value_tier"],
                condition=~Q(value_tier=""),
                name="customer_value_tier",
            ),
            models.Index(
                fields=["merged_into"],
                condition=Q(merged_into__isnull=False),
                name="customer_merged_into",
            ),
            models.Index(
                fields=["temperament_set_by"],
                condition=Q(temperament_set_by__isnull=False),
                name="customer_temperament_set_by",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """Return what staff see as the customer's name: name, email, external id or number."""
        if self.erased_at is not None:
            return str(_("Erased customer #%(id)s") % {"id": self.pk})
        return self.name or self.email or self.external_id or str(_("Customer #%s") % self.pk)

    @property
    def is_active(self) -> bool:
        """Return whether this is a live record (neither merged away nor erased)."""
        return self.merged_into_id is None and self.erased_at is None

    def rhythm(self) -> lapse.Rhythm:
        """Return the stored rhythm (derived fields) as the pure module's value."""
        return lapse.Rhythm(
            visits=self.visit_count,
            first_at=self.first_interaction_at,
            last_at=self.last_interaction_at,
            basis=lapse.Basis(self.lapse_basis),
            gap_count=self.gap_count,
            typical_gap=self.typical_gap_seconds,
            at_risk_gap=self.at_risk_gap_seconds,
            lapse_gap=self.lapse_gap_seconds,
        )


class Interaction(OrgOwned):
    """One visit, order, stay or service call of a customer: a fact, never edited.

    ``external_id`` is the organisation's own id of the event (order number, booking,
    ticket), unique in the organisation: a repeat of it is recognised and not stored twice.
    """

    # Indexed by (customer, occurred_at) below, which serves lookups by customer as well.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="interactions", db_index=False
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # a partial index below
    )
    kind = models.CharField(_("kind"), max_length=24, choices=InteractionKind)
    occurred_at = models.DateTimeField(_("when"))
    value = models.DecimalField(
        _("value"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Revenue of the interaction in the organisation's currency."),
    )
    external_id = models.CharField(_("external id"), max_length=200)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"], name="interaction_unique_external_id"
            )
        ]
        indexes = [
            models.Index(fields=["customer", "occurred_at"], name="interaction_customer_time"),
            # With the customer, so that counting active customers in a period (loyalty
            # figures) reads the index alone.
            models.Index(
                fields=["organisation", "occurred_at", "customer"], name="interaction_org_time"
            ),
            models.Index(
                fields=["staff"], condition=Q(staff__isnull=False), name="interaction_staff"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id}"


class CustomerMerge(OrgOwned):
    """The audit of one merge: which record went into which, who did it, what moved.

    ``merged_external_id`` and ``reason`` may hold personal data and are blanked when either
    customer is erased; the rest is ids and counts.
    """

    survivor = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges_kept")
    merged = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges_absorbed")
    merged_external_id = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    interactions_moved = models.PositiveIntegerField(default=0)
    fields_taken = models.JSONField(default=list, blank=True)
    moved_elsewhere = models.JSONField(
        default=dict, blank=True, help_text=_("Rows other apps moved, by app.")
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"#{self.merged_id} → #{self.survivor_id}"


class LapseSettings(OrgOwned):
    """An organisation's lapse rule; organisations without a row use the defaults."""

    lapse_quantile = models.FloatField(
        _("lapse quantile"),
        default=lapse.LapseRule.lapse_quantile,
        help_text=_("Lapsed once absent longer than this share of the customer's own gaps."),
    )
    at_risk_quantile = models.FloatField(
        _("at-risk quantile"),
        default=lapse.LapseRule.at_risk_quantile,
        help_text=_("At risk once absent longer than this share of the customer's own gaps."),
    )
    minimum_visits = models.PositiveIntegerField(
        _("minimum visits"),
        default=lapse.LapseRule.minimum_visits,
        help_text=_("Customers with fewer visits have no rhythm and are never flagged."),
    )
    own_history_gaps = models.PositiveIntegerField(
        _("gaps for an own rhythm"),
        default=lapse.LapseRule.own_history_gaps,
        help_text=_("With fewer gaps between visits, the fallback gap is the least threshold."),
    )
    fallback_gap_days = models.FloatField(
        _("fallback gap (days)"),
        default=lapse.LapseRule.fallback_gap_days,
        help_text=_("The shortest absence that counts as a lapse for a short history."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    # A change of the rule bumps ``version``; the worker then re-judges every customer of the
    # organisation in id order from ``rebuild_after_id`` and sets ``rebuilt_version`` when done.
    version = models.PositiveIntegerField(default=0)
    rebuilt_version = models.PositiveIntegerField(default=0)
    rebuild_after_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation"], name="lapse_settings_one_per_org")
        ]

    def __str__(self) -> str:
        return f"lapse rule of {self.organisation_id}"

    def rule(self) -> lapse.LapseRule:
        """Return the settings as the pure module's rule."""
        return lapse.LapseRule(
            lapse_quantile=self.lapse_quantile,
            at_risk_quantile=self.at_risk_quantile,
            minimum_visits=self.minimum_visits,
            own_history_gaps=self.own_history_gaps,
            fallback_gap_days=self.fallback_gap_days,
        )


class TemperamentGuidance(OrgOwned):
    """The organisation's own paragraph on how to serve one temperament (defaults in code)."""

    temperament = models.CharField(_("temperament"), max_length=10, choices=Temperament)
    text = models.TextField(_("guidance"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "temperament"], name="temperament_guidance_unique"
            )
        ]

    def __str__(self) -> str:
        return self.temperament


class LoyaltySnapshot(OrgOwned):
    """The activity behind the loyalty page for two periods ending on one day (derived).

    Counting the active customers of two years of interactions reads every interaction of
    the period, too much for a page view; the worker counts once a day per period length
    (``services.refresh_loyalty``), and the page reads the row.
    """

    period_months = models.PositiveSmallIntegerField()
    end_day = models.DateField()
    previous_customers = models.PositiveIntegerField()
    retained_customers = models.PositiveIntegerField()
    current_customers = models.PositiveIntegerField()
    current_revenue = models.DecimalField(max_digits=18, decimal_places=2)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "period_months", "end_day"], name="loyalty_snapshot_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period_months} months to {self.end_day}"

    def activity(self) -> economics.Activity:
        """Return the counts as the pure module's value."""
        return economics.Activity(
            previous_customers=self.previous_customers,
            retained_customers=self.retained_customers,
            current_customers=self.current_customers,
            current_revenue=float(self.current_revenue),
        )


class InteractionImport(ImportJobFields, OrgOwned):
    """A file of interactions uploaded on the web: its dry run, then the import, by the worker.

    The collect app's importer runs it (``collect.interaction_import``) and writes the
    counts as it goes, so the page shows progress; the fields it shares with
    the responses' imports are ``core.import_jobs.ImportJobFields``.
    """

    duplicate_rows = models.JSONField(default=list, blank=True)

    class Meta(ImportJobFields.Meta):
        pass

    def __str__(self) -> str:
        return f"Import of {self.file_name}"
