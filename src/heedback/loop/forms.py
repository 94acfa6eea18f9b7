"""Forms of the loop pages: they read input into the services' dataclasses, nothing more."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from heedback.collect.choices import Channel
from heedback.loop.choices import (
    AlertTarget,
    CasePriority,
    CaseStatus,
    DigestFrequency,
    EventKind,
)
from heedback.loop.models import DigestSubscription, Rule
from heedback.loop.selectors import case_workers, resolution_codes, root_causes, themes_to_choose
from heedback.loop.services import DigestPreference, FollowUp, Resolution, RuleInput
from heedback.orgs.forms import UnitChoiceField, unit_field
from heedback.orgs.models import Organisation, Unit
from heedback.surveys.models import Survey
from heedback.surveys.selectors import domains_of

STATUS_FILTERS = [
    ("open", _("Open")),
    *CaseStatus.choices,
    ("all", _("All")),
]
YES_NO_UNKNOWN = [("", _("Not known")), ("yes", _("Yes")), ("no", _("No"))]


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, membership) -> str:
        return membership.user.get_full_name() or membership.user.email


class CaseFilterForm(forms.Form):
    """The case list's filters; every field is optional and defaults to open cases."""

    status = forms.ChoiceField(label=_("Status"), choices=STATUS_FILTERS, required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=[("", _("Any")), *CasePriority.choices], required=False
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, units, workers, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitChoiceField(
            queryset=units, required=False, label=_("Unit"), empty_label=_("All my units")
        )
        self.fields["owner"].choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            ("none", _("Nobody yet")),
            *[(str(member.pk), member.user.email) for member in workers],
        ]
        self.order_fields(["status", "unit", "owner", "priority", "overdue"])


class FollowUpForm(forms.Form):
    """A note, a call with its outcome, a reply to the customer or a gesture."""

    kind = forms.ChoiceField(
        label=_("What happened"),
        choices=[
            (EventKind.NOTE, _("Note")),
            (EventKind.CALL, _("Call")),
            (EventKind.REPLY, _("Reply to the customer")),
            (EventKind.GESTURE, _("Gesture")),
        ],
    )
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    reached = forms.ChoiceField(
        label=_("Customer reached?"), choices=YES_NO_UNKNOWN, required=False
    )
    solved = forms.ChoiceField(label=_("Problem solved?"), choices=YES_NO_UNKNOWN, required=False)
    reply_to = forms.EmailField(
        label=_("Send the reply to"),
        required=False,
        help_text=_("Leave empty if you replied some other way."),
    )
    amount = forms.DecimalField(
        label=_("Gesture amount"), required=False, min_value=0, decimal_places=2
    )

    def follow_up(self) -> FollowUp:
        data = self.cleaned_data
        return FollowUp(
            kind=data["kind"],
            body=data.get("body") or "",
            reached=_yes_no(data.get("reached")),
            solved=_yes_no(data.get("solved")),
            reply_to=data.get("reply_to") or "",
            amount=data.get("amount"),
        )


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (CaseStatus.IN_PROGRESS, CaseStatus.IN_PROGRESS.label),
            (CaseStatus.WAITING, CaseStatus.WAITING.label),
            (CaseStatus.CLOSED, CaseStatus.CLOSED.label),
        ],
    )


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, organisation: Organisation, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resolution_code"] = forms.ChoiceField(
            label=_("Resolution"),
            choices=[(code.key, code.label) for code in resolution_codes(organisation)],
        )
        self.fields["root_cause"] = forms.ChoiceField(
            label=_("Root cause"),
            required=False,
            choices=[("", "—"), *[(code.key, code.label) for code in root_causes(organisation)]],
        )
        self.order_fields(["resolution_code", "root_cause", "note"])

    def resolution(self) -> Resolution:
        data = self.cleaned_data
        return Resolution(
            code=data["resolution_code"], root_cause=data.get("root_cause") or "", note=data["note"]
        )


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Why"), required=False, max_length=2000)


class AssignForm(forms.Form):
    def __init__(self, organisation: Organisation, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = MemberChoiceField(
            queryset=case_workers(organisation),
            required=False,
            label=_("Owner"),
            empty_label=_("Nobody"),
        )


class BulkForm(forms.Form):
    """An action on the cases ticked in the list."""

    action = forms.ChoiceField(
        label=_("With the selected cases"),
        choices=[("assign", _("Assign to")), ("close", _("Close"))],
    )
    cases = forms.TypedMultipleChoiceField(coerce=int, required=True, choices=())

    def __init__(self, organisation: Organisation, case_ids, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cases"].choices = [(str(pk), str(pk)) for pk in case_ids]
        self.fields["owner"] = MemberChoiceField(
            queryset=case_workers(organisation),
            required=False,
            label=_("Owner"),
            empty_label=_("Nobody"),
        )


# --- rules --------------------------------------------------------------------------------

CONDITION_KINDS = [
    ("", "—"),
    ("nps_band", _("NPS band is")),
    ("rating_at_most", _("A rating is at most")),
    ("yes_no", _("A yes/no answer is")),
    ("low_score", _("Any score is low")),
    ("sentiment", _("The comment's sentiment is")),
    ("theme", _("A comment is about the theme")),
    ("urgent", _("A comment sounds urgent")),
    ("customer", _("The customer's attribute")),
    ("unit", _("From the unit")),
]
CONDITION_ROWS = 3
#: Which fields of a condition row each kind uses (the page shows only those).
FIELDS_OF_KIND = {
    "nps_band": ("band", "question"),
    "rating_at_most": ("value", "question", "domain"),
    "yes_no": ("question", "equals"),
    "low_score": (),
    "sentiment": ("label", "score_at_most"),
    "theme": ("theme",),
    "urgent": ("reason",),
    "customer": ("attribute", "one_of", "at_least", "at_most"),
    "unit": ("units", "include_below"),
}
SENTIMENT_CHOICES = [
    ("", _("Any")),
    ("negative", _("Negative")),
    ("mixed", _("Mixed")),
    ("neutral", _("Neutral")),
    ("positive", _("Positive")),
]
URGENCY_CHOICES = [
    ("", _("For any reason")),
    ("leaving", _("Threatens to leave or cancel")),
    ("never_again", _("Never again")),
    ("public", _("Threatens to complain in public")),
    ("legal", _("Threatens a lawyer or a regulator")),
    ("safety", _("Safety or health")),
    ("discrimination", _("Discrimination or abuse")),
]


class ConditionForm(forms.Form):
    """One condition of a rule; its fields apply by kind, the service checks the whole."""

    kind = forms.ChoiceField(label=_("Condition"), choices=CONDITION_KINDS, required=False)
    band = forms.ChoiceField(
        label=_("Band"),
        required=False,
        choices=[
            ("detractor", _("Detractor")),
            ("passive", _("Passive")),
            ("promoter", _("Promoter")),
        ],
    )
    value = forms.IntegerField(label=_("Value"), required=False, min_value=0, max_value=10)
    question = forms.CharField(
        label=_("Question key"),
        required=False,
        max_length=63,
        help_text=_("Empty: any question of the type."),
    )
    equals = forms.ChoiceField(
        label=_("Answer"), required=False, choices=[("no", _("No")), ("yes", _("Yes"))]
    )
    label = forms.ChoiceField(label=_("Sentiment"), required=False, choices=SENTIMENT_CHOICES)
    score_at_most = forms.FloatField(
        label=_("Score at most"),
        required=False,
        min_value=-1,
        max_value=1,
        help_text=_("From -1 (very negative) to 1 (very positive)."),
    )
    reason = forms.ChoiceField(label=_("Reason"), required=False, choices=URGENCY_CHOICES)
    attribute = forms.CharField(
        label=_("Attribute"),
        required=False,
        max_length=63,
        help_text=_("value_tier, temperament or one of the customer's own attributes."),
    )
    one_of = forms.CharField(
        label=_("Is one of"), required=False, help_text=_("Values, separated by commas.")
    )
    at_least = forms.FloatField(label=_("Or at least"), required=False)
    at_most = forms.FloatField(label=_("And at most"), required=False)
    include_below = forms.BooleanField(label=_("Or a unit below it"), required=False, initial=True)

    def __init__(self, *args, domains=(), themes=(), units=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["domain"] = forms.ChoiceField(
            label=_("Domain"),
            required=False,
            choices=[("", _("Any")), *[(domain.key, domain.name) for domain in domains]],
        )
        self.fields["theme"] = forms.TypedChoiceField(
            label=_("Theme"),
            required=False,
            coerce=int,
            empty_value=None,
            choices=[("", "—"), *[(theme.pk, theme.name) for theme in themes]],
        )
        self.fields["units"] = forms.TypedMultipleChoiceField(
            label=_("Units"),
            required=False,
            coerce=int,
            choices=[(unit.pk, "\u2003" * unit.depth + unit.name) for unit in units],
        )
        self.order_fields(["kind", "band", "value", "question", "domain", "equals"])

    def kinds_of(self, name: str) -> str:
        """Return the kinds that use field ``name``, space-separated (for the page's script)."""
        return " ".join(kind for kind, fields in FIELDS_OF_KIND.items() if name in fields)

    def as_condition(self) -> dict | None:
        """Return the condition as JSON, or None for an empty row."""
        data = self.cleaned_data
        kind = data.get("kind")
        if not kind:
            return None
        condition: dict = {"kind": kind}
        question = (data.get("question") or "").strip() or None
        if kind == "nps_band":
            condition.update(band=data.get("band"), question=question)
        elif kind == "rating_at_most":
            condition.update(
                value=data.get("value"), question=question, domain=data.get("domain") or None
            )
        elif kind == "yes_no":
            condition.update(question=question, equals=data.get("equals") == "yes")
        elif kind == "sentiment":
            condition.update(label=data.get("label") or None, score_at_most=data["score_at_most"])
        elif kind == "theme":
            condition.update(theme=data.get("theme"))
        elif kind == "urgent":
            condition.update(reason=data.get("reason") or None)
        elif kind == "customer":
            condition.update(self._customer_test(data))
        elif kind == "unit":
            condition.update(units=data.get("units") or [], include_below=data["include_below"])
        return {key: value for key, value in condition.items() if value is not None}

    @staticmethod
    def _customer_test(data: dict) -> dict:
        values = _split(data.get("one_of"))
        return {
            "attribute": (data.get("attribute") or "").strip(),
            "one_of": values or None,
            "at_least": data.get("at_least"),
            "at_most": data.get("at_most"),
        }


ConditionFormSet = forms.formset_factory(ConditionForm, extra=0, min_num=CONDITION_ROWS, max_num=20)


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=500, required=False)
    channels = forms.MultipleChoiceField(
        label=_("Only from these channels"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every channel."),
    )
    opens_case = forms.BooleanField(label=_("Open a case"), required=False, initial=True)
    case_priority = forms.ChoiceField(
        label=_("Priority"), choices=CasePriority.choices, initial=CasePriority.NORMAL
    )
    case_due_hours = forms.IntegerField(
        label=_("Due in (working hours)"), min_value=1, max_value=24 * 90, initial=48
    )
    alert_owner = forms.BooleanField(label=_("Email the owner"), required=False, initial=True)
    alert_managers = forms.BooleanField(label=_("Email the unit's managers"), required=False)
    alert_addresses = forms.CharField(
        label=_("Also email"), required=False, help_text=_("Addresses, separated by commas.")
    )
    tags = forms.CharField(
        label=_("Tag the response"), required=False, help_text=_("Tags, separated by commas.")
    )
    calls_webhooks = forms.BooleanField(
        label=_("Call the webhooks"),
        required=False,
        help_text=_('Send a "rule.matched" event to the webhooks that want it.'),
    )

    def __init__(self, organisation: Organisation, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survey"] = forms.ModelChoiceField(
            queryset=Survey.objects.for_org(organisation).order_by("name"),
            required=False,
            label=_("Only for this survey"),
            empty_label=_("Every survey"),
        )
        self.fields["unit"] = unit_field(organisation, required=False, label=_("Only in this unit"))
        self.fields["unit"].empty_label = _("Every unit")
        self.order_fields(["name", "description", "survey", "unit", "channels"])

    def rule_input(self, conditions: list[dict], *, is_enabled: bool) -> RuleInput:
        data = self.cleaned_data
        alert = [AlertTarget.OWNER] if data.get("alert_owner") else []
        if data.get("alert_managers"):
            alert.append(AlertTarget.MANAGERS)
        alert += _split(data.get("alert_addresses"))
        return RuleInput(
            name=data["name"],
            description=data.get("description") or "",
            conditions=conditions,
            channels=data.get("channels") or [],
            unit=data.get("unit"),
            survey=data.get("survey"),
            opens_case=bool(data.get("opens_case")),
            case_priority=data["case_priority"],
            case_due_hours=data["case_due_hours"],
            alert=alert,
            tags=_split(data.get("tags")),
            calls_webhooks=bool(data.get("calls_webhooks")),
            is_enabled=is_enabled,
        )


def _split(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def rule_initial(rule: Rule) -> tuple[dict, list[dict]]:
    """Return a stored rule as the rule form's and the condition rows' initial data."""
    addresses = [item for item in rule.alert if item not in AlertTarget.values]
    initial = {
        "name": rule.name,
        "description": rule.description,
        "survey": rule.survey_id,
        "unit": rule.unit_id,
        "channels": rule.channels,
        "opens_case": rule.opens_case,
        "case_priority": rule.case_priority,
        "case_due_hours": rule.case_due_hours,
        "alert_owner": AlertTarget.OWNER in rule.alert,
        "alert_managers": AlertTarget.MANAGERS in rule.alert,
        "alert_addresses": ", ".join(addresses),
        "tags": ", ".join(rule.tags),
        "calls_webhooks": rule.calls_webhooks,
    }
    rows = []
    for condition in rule.conditions:
        row = dict(condition)
        if "equals" in row:
            row["equals"] = "yes" if row["equals"] else "no"
        if "one_of" in row:
            row["one_of"] = ", ".join(row["one_of"])
        rows.append(row)
    return initial, rows


def condition_formset(organisation: Organisation, *args, **kwargs):
    """Return the condition rows of the rule form, with the organisation's lists to choose from."""
    return ConditionFormSet(
        *args,
        prefix="conditions",
        form_kwargs={
            "domains": list(domains_of(organisation)),
            "themes": list(themes_to_choose(organisation)),
            "units": list(Unit.objects.for_org(organisation).order_by("path")),
        },
        **kwargs,
    )


class MetricsForm(forms.Form):
    """The loop dashboard's period, unit and grouping (default: the last 30 days, by unit)."""

    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    group_by = forms.ChoiceField(
        label=_("Per"), choices=[("unit", _("Unit")), ("owner", _("Person"))], required=False
    )

    def __init__(self, units, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitChoiceField(
            queryset=units, required=False, label=_("Unit"), empty_label=_("All my units")
        )
        self.order_fields(["date_from", "date_to", "unit", "group_by"])


class DigestForm(forms.Form):
    """How often and when a member gets their digest."""

    frequency = forms.ChoiceField(label=_("Send me a digest"), choices=DigestFrequency.choices)
    hour = forms.TypedChoiceField(
        label=_("At"), coerce=int, choices=[(hour, f"{hour:02d}:00") for hour in range(24)]
    )
    weekday = forms.TypedChoiceField(
        label=_("On (weekly)"),
        coerce=int,
        choices=DigestSubscription._meta.get_field("weekday").choices,
    )
    time_zone = forms.CharField(
        label=_("Time zone"),
        required=False,
        max_length=64,
        help_text=_("For example Europe/Paris. Empty: the organisation's."),
    )

    def preference(self) -> DigestPreference:
        data = self.cleaned_data
        return DigestPreference(
            frequency=data["frequency"],
            hour=data["hour"],
            weekday=data["weekday"],
            time_zone=data.get("time_zone", "").strip(),
        )


class ContactForm(forms.Form):
    """A customer's message to the person responsible or their manager (public page)."""

    recipient = forms.ChoiceField(
        label=_("Whom do you want to reach?"),
        choices=[("responsible", _("The person responsible")), ("manager", _("Their manager"))],
        initial="responsible",
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label=_("What went wrong?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        error_messages={"required": _("Tell us what went wrong.")},
    )
    name = forms.CharField(label=_("Your name"), required=False, max_length=200)
    email = forms.CharField(
        label=_("Your email"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Or your phone number"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    # The honeypot: hidden from people (and from screen readers), filled in by robots.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def request_fields(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            key: data.get(key, "") for key in ("message", "recipient", "name", "email", "phone")
        }
