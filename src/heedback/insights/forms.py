from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from heedback.orgs.forms import UnitChoiceField

PERIODS = [
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("365", _("Last 12 months")),
    ("all", _("All time")),
    ("custom", _("Custom dates")),
]


class ResultsFilterForm(forms.Form):
    """The period and unit subtree of a results page; every field is optional."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False, initial="365")
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, units, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitChoiceField(
            queryset=units, required=False, label=_("Unit"), empty_label=_("All my units")
        )

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
