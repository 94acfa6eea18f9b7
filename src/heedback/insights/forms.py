from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from heedback.collect.choices import Channel
from heedback.customers.choices import InteractionKind
from heedback.orgs.forms import UnitChoiceField
from heedback.text.models import Theme

PERIODS = [
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("365", _("Last 12 months")),
    ("all", _("All time")),
    ("custom", _("Custom dates")),
]


class ResultsFilterForm(forms.Form):
    """The period, unit subtree and segment of a results page; every field is optional.

    The segment fields (channel, theme, customer value tier, interaction kind) become the
    query's ``filters`` (``segments``): "the results of gold customers who mention parking".
    """

    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False, initial="365")
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, units, *args, themes=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitChoiceField(
            queryset=units, required=False, label=_("Unit"), empty_label=_("All my units")
        )
        self.fields["channel"] = forms.ChoiceField(
            label=_("Channel"), choices=[("", _("All channels")), *Channel.choices], required=False
        )
        self.fields["theme"] = forms.ModelChoiceField(
            label=_("Mentions the theme"),
            queryset=themes if themes is not None else Theme.objects.none(),
            required=False,
            empty_label=_("Any theme"),
        )
        self.fields["value_tier"] = forms.CharField(
            label=_("Customer value tier"), max_length=40, required=False
        )
        self.fields["interaction_kind"] = forms.ChoiceField(
            label=_("Interaction"),
            choices=[("", _("Any interaction")), *InteractionKind.choices],
            required=False,
        )

    def segment_filters(self) -> tuple[tuple[str, str], ...]:
        """Return the chosen segment as the metric query's ``filters``."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        chosen = {
            "channel": data.get("channel") or "",
            "theme": str(data["theme"].pk) if data.get("theme") else "",
            "customer.value_tier": (data.get("value_tier") or "").strip(),
            "interaction.kind": data.get("interaction_kind") or "",
        }
        return tuple(sorted((name, value) for name, value in chosen.items() if value))

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end comes before the start."))
        return data

    def period_bounds(self, today: date) -> tuple[date | None, date | None]:
        """Return the first and last day the filters ask for (None for open ends)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        period = data.get("period") or "365"
        if period == "custom" or data.get("date_from") or data.get("date_to"):
            return data.get("date_from"), data.get("date_to")
        if period == "all":
            return None, None
        return today - timedelta(days=int(period) - 1), today
