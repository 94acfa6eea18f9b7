"""Forms of the continuum pages: one questionnaire section, and an organisation's statement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django import forms
from django.utils.translation import gettext_lazy as _

from heedback.collect.choices import Channel
from heedback.continuum.choices import Agreement, FactorChoice, LevelChoice, PlanMetricChoice
from heedback.continuum.instrument import Statement
from heedback.insights.forms import ResultsFilterForm
from heedback.orgs.forms import UnitChoiceField
from heedback.orgs.models import Unit

DONT_KNOW = "unknown"


class SectionForm(forms.Form):
    """One factor's statements, each answered on the agreement scale or "don't know".

    A statement left blank is simply not saved, so a half-finished section can be saved as
    a draft and resumed.
    """

    def __init__(
        self,
        statements: Sequence[Statement],
        *args,
        saved: Mapping[str, int | None] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        saved = saved or {}
        self.statements = list(statements)
        choices = [(str(value), label) for value, label in Agreement.choices]
        choices.append((DONT_KNOW, _("Don't know")))
        for statement in self.statements:
            self.fields[statement.id] = forms.ChoiceField(
                choices=choices, required=False, widget=forms.RadioSelect, label=statement.text
            )
            if statement.id in saved:
                value = saved[statement.id]
                self.initial[statement.id] = DONT_KNOW if value is None else str(value)

    def answers(self) -> dict[str, int | None]:
        """Return the answered statements: a number, or None for "don't know"."""
        answers: dict[str, int | None] = {}
        for statement in self.statements:
            value = self.cleaned_data.get(statement.id)
            if value == DONT_KNOW:
                answers[statement.id] = None
            elif value:
                answers[statement.id] = int(value)
        return answers

    def value_of(self, statement_id: str) -> str:
        """Return the choice to show checked: what was just posted, else what was saved."""
        if self.is_bound:
            return self.data.get(statement_id, "")
        return self.initial.get(statement_id, "")


class CustomStatementForm(forms.Form):
    factor = forms.ChoiceField(label=_("Factor"), choices=FactorChoice.choices)
    level = forms.TypedChoiceField(
        label=_("Agreeing describes the practice of"),
        choices=LevelChoice.choices,
        coerce=int,
        help_text=_(
            "Hostile and aware statements describe shortcomings: agreeing holds the placement "
            "down. Friendly, focused and centric ones describe practices: agreeing lifts it."
        ),
    )
    text = forms.CharField(
        label=_("Statement"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Write one practice that can be checked, in the first person plural."),
    )


class InternalCustomersForm(ResultsFilterForm):
    """Which pulse and which customer survey to set side by side, over which period."""

    def __init__(self, pulses, surveys, *args, **kwargs) -> None:
        super().__init__(Unit.objects.none(), *args, **kwargs)
        del self.fields["unit"]  # the page shows every unit the member may see
        self.fields["pulse"] = forms.ModelChoiceField(
            queryset=pulses, required=False, label=_("Employee pulse"), empty_label=None
        )
        self.fields["survey"] = forms.ModelChoiceField(
            queryset=surveys, required=False, label=_("Customer survey"), empty_label=None
        )
        self.order_fields(["pulse", "survey", "period", "date_from", "date_to"])


class PlanForm(forms.Form):
    """A new service plan: its name, period and the customer survey its scores come from."""

    name = forms.CharField(label=_("Name"), max_length=200)
    starts_on = forms.DateField(
        label=_("First day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, surveys, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survey"] = forms.ModelChoiceField(
            queryset=surveys,
            required=False,
            label=_("Customer survey (for NPS and CSAT)"),
            empty_label=_("None: case targets only"),
        )


class TargetForm(forms.Form):
    """One target of a plan: a measure for a unit subtree, channel and customer segment."""

    metric = forms.ChoiceField(label=_("Measure"), choices=PlanMetricChoice.choices)
    target = forms.FloatField(label=_("Target"))
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices]
    )
    # Free text offering the tiers in use: a plan may name a tier before customers have it.
    segment = forms.CharField(
        label=_("Customer segment"),
        required=False,
        max_length=40,
        help_text=_("A value tier, such as gold. Leave empty for all customers."),
        widget=forms.TextInput(attrs={"list": "segment-tiers", "autocomplete": "off"}),
    )

    def __init__(self, units, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitChoiceField(
            queryset=units, required=False, label=_("Unit"), empty_label=_("Whole organisation")
        )
        self.order_fields(["unit", "channel", "segment", "metric", "target"])
