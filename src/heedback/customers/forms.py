from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from heedback.customers import economics, lapse
from heedback.customers.choices import Temperament
from heedback.customers.selectors import CustomerFilters
from heedback.orgs.forms import UnitChoiceField
from heedback.orgs.models import Unit

STATUS_CHOICES = [
    ("", _("Everyone")),
    ("at_risk", _("At risk")),
    ("lapsed", _("Lapsed")),
]


class CustomerFilterForm(forms.Form):
    """The customer list's search and filters (a GET form)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    temperament = forms.ChoiceField(
        label=_("Temperament"),
        choices=[("", _("Any")), *Temperament.choices],
        required=False,
    )
    value_tier = forms.ChoiceField(label=_("Value tier"), required=False)
    unit = UnitChoiceField(label=_("Served at"), queryset=Unit.objects.none(), required=False)

    def __init__(self, units: QuerySet[Unit], tiers: list[str], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].empty_label = _("Any unit")
        self.fields["value_tier"].choices = [("", _("Any")), *((tier, tier) for tier in tiers)]
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})

    def filters(self) -> CustomerFilters:
        """Return the filters the form asks for (none when it is invalid)."""
        if not self.is_bound or not self.is_valid():
            return CustomerFilters()
        data = self.cleaned_data
        return CustomerFilters(
            text=data["q"],
            lapsed=True if data["status"] == "lapsed" else None,
            at_risk=True if data["status"] == "at_risk" else None,
            temperament=data["temperament"],
            value_tier=data["value_tier"],
            unit=data["unit"],
        )


class TemperamentForm(forms.Form):
    temperament = forms.ChoiceField(
        label=_("Temperament"),
        choices=[("", _("Not known")), *Temperament.choices],
        required=False,
    )


class MergeForm(forms.Form):
    """Name the duplicate record to merge into the customer on the page."""

    other = forms.CharField(
        label=_("Duplicate record"),
        max_length=254,
        help_text=_("Its number, external id or email."),
    )
    reason = forms.CharField(
        label=_("Why they are the same person"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(
        label=_("Merge the duplicate into this customer. This cannot be undone."),
        required=False,
    )


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "Erase this person's name, email, phone and identifiers everywhere. "
            "This cannot be undone."
        ),
        required=True,
    )


class LapseRuleForm(forms.Form):
    """The lapse rule, with quantiles as percentages, as people think of them."""

    lapse_percent = forms.IntegerField(
        label=_("Lapsed beyond this share of their own gaps (%)"), min_value=50, max_value=99
    )
    at_risk_percent = forms.IntegerField(
        label=_("At risk beyond this share of their own gaps (%)"), min_value=1, max_value=98
    )
    minimum_visits = forms.IntegerField(
        label=_("Visits needed for a rhythm"), min_value=3, max_value=100
    )
    own_history_gaps = forms.IntegerField(
        label=_("Gaps needed to trust a customer's own rhythm"), min_value=2, max_value=100
    )
    fallback_gap_days = forms.FloatField(
        label=_("Fallback: the shortest lapse for a short history (days)"),
        min_value=1,
        max_value=3650,
    )

    @classmethod
    def initial_from(cls, rule: lapse.LapseRule) -> dict[str, object]:
        return {
            "lapse_percent": round(rule.lapse_quantile * 100),
            "at_risk_percent": round(rule.at_risk_quantile * 100),
            "minimum_visits": rule.minimum_visits,
            "own_history_gaps": rule.own_history_gaps,
            "fallback_gap_days": rule.fallback_gap_days,
        }

    def rule(self) -> lapse.LapseRule:
        data = self.cleaned_data
        return lapse.LapseRule(
            lapse_quantile=data["lapse_percent"] / 100,
            at_risk_quantile=data["at_risk_percent"] / 100,
            minimum_visits=data["minimum_visits"],
            own_history_gaps=data["own_history_gaps"],
            fallback_gap_days=data["fallback_gap_days"],
        )


class GuidanceForm(forms.Form):
    temperament = forms.ChoiceField(choices=Temperament.choices, widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("How to serve this temperament"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Leave empty to go back to Heedback's paragraph."),
    )


class LoyaltyForm(forms.Form):
    """The assumptions of the loyalty page (a GET form; an empty field keeps its default)."""

    period_months = forms.TypedChoiceField(
        label=_("Period"),
        coerce=int,
        choices=[(12, _("Year")), (6, _("Half-year")), (3, _("Quarter")), (1, _("Month"))],
        required=False,
    )
    discount_percent = forms.FloatField(
        label=_("Discount rate per year (%)"), min_value=0, max_value=100, required=False
    )
    margin_percent = forms.FloatField(
        label=_("Margin on revenue (%)"), min_value=1, max_value=100, required=False
    )
    retention_points = forms.FloatField(
        label=_("What if retention rose by (points)"),
        min_value=0.5,
        max_value=50,
        required=False,
    )

    moved_detractors = forms.IntegerField(
        label=_("What if this many detractors"), min_value=0, max_value=10_000_000, required=False
    )
    moved_to = forms.ChoiceField(
        label=_("became"),
        choices=[("promoter", _("promoters")), ("passive", _("passives"))],
        required=False,
    )

    @staticmethod
    def initial_for(assumptions: economics.Assumptions) -> dict[str, object]:
        return {
            "period_months": assumptions.period_months,
            "discount_percent": round(assumptions.discount_rate * 100, 2),
            "margin_percent": round(assumptions.margin * 100, 2),
            "retention_points": assumptions.retention_points,
            "moved_detractors": assumptions.moved_detractors,
            "moved_to": assumptions.moved_to,
        }

    def assumptions(self) -> economics.Assumptions:
        """Return the assumptions asked for, the defaults where a field is empty or wrong."""
        defaults = economics.Assumptions()
        if not self.is_bound or not self.is_valid():
            return defaults
        data = self.cleaned_data

        def given(name: str, default: float, scale: float = 1.0) -> float:
            value = data.get(name)
            return default if value in (None, "") else value / scale

        return economics.Assumptions(
            period_months=data.get("period_months") or defaults.period_months,
            discount_rate=given("discount_percent", defaults.discount_rate, 100),
            margin=given("margin_percent", defaults.margin, 100),
            retention_points=given("retention_points", defaults.retention_points),
            moved_detractors=defaults.moved_detractors
            if data.get("moved_detractors") is None
            else data["moved_detractors"],
            moved_to=data.get("moved_to") or defaults.moved_to,
        )
