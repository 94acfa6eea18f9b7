"""The win-back pages: invite lapsed customers to the win-back survey, and read their reasons.

Sending starts on the customer list (filtered to the lapsed) or on the at-risk page: a
member ticks customers, or asks for "all lapsed" of the list's filters, and sees first who
would be invited and why the others would not (a preview), then sends. The invitations
are collect's campaigns (``collect.win_back``), so this module is a page above both apps.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heedback.collect import win_back
from heedback.customers import selectors
from heedback.customers.forms import CustomerFilterForm
from heedback.insights import charts
from heedback.orgs.access import member_view
from heedback.orgs.permissions import Permission
from heedback.orgs.selectors import visible_units


class IdListField(forms.Field):
    """Customer ids ticked in a list (repeated ``customer`` values)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: object) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        if len(values) > win_back.campaigns.MAX_CONTACTS:
            raise forms.ValidationError(_("Too many customers at once."))
        if not all(str(item).isdigit() and len(str(item)) < 19 for item in values):
            raise forms.ValidationError(_("Give customer numbers."))
        return sorted({int(item) for item in values})


class WinBackForm(forms.Form):
    """Whom (ticked ids, or every lapsed customer of the list's filters) and the message."""

    customer = IdListField(required=False)
    scope = forms.ChoiceField(
        choices=[("selected", "selected"), ("all", "all")], required=False, initial="selected"
    )
    include_overdue = forms.BooleanField(
        label=gettext_lazy("Also invite customers overdue by their own rhythm"), required=False
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200, required=False)
    body = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Placeholders: {customer name}, {unit}, {staff member}."),
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


def _candidates(request: HttpRequest, form: WinBackForm) -> win_back.WinBackInput:
    """Return the input of the win-back the form asks for, over the visible customers."""
    membership = request.membership
    visible = selectors.visible_customers(membership)
    data = form.cleaned_data
    filters = CustomerFilterForm(
        visible_units(membership), selectors.value_tiers(request.organisation), request.POST
    ).filters()
    if data["scope"] == "all":
        narrowed = selectors.CustomerFilters(
            text=filters.text,
            unit=filters.unit,
            value_tier=filters.value_tier,
            temperament=filters.temperament,
        )
        customers = selectors.filter_customers(visible, narrowed, timezone.now())
        missing: tuple[int, ...] = ()
    else:
        ids = set(data["customer"])
        customers = visible.filter(pk__in=ids)
        missing = tuple(sorted(ids - set(customers.values_list("pk", flat=True))))
    return win_back.WinBackInput(
        customers=customers,
        named=data["scope"] != "all",
        subject=data["subject"],
        body=data["body"],
        include_overdue=data["include_overdue"],
        missing_ids=missing,
    )


@member_view(Permission.EDIT_CUSTOMERS)
def win_back_send(request: HttpRequest) -> HttpResponse:
    """Preview a win-back (who is invited, who is left out and why), then send it."""
    organisation = request.organisation
    if request.method != "POST":
        return redirect(f"{_list_url(request)}?status=lapsed")
    form = WinBackForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the customers to invite."))
        return redirect(f"{_list_url(request)}?status=lapsed")
    candidates = _candidates(request, form)
    if not form.cleaned_data["confirm"]:
        report = win_back.preview_win_back(organisation, candidates)
        initial = {
            "subject": form.cleaned_data["subject"] or win_back.default_subject(),
            "body": form.cleaned_data["body"] or win_back.default_body(),
        }
        context = {
            "nav": "customers",
            "report": report,
            "form": form,
            "message_form": WinBackForm(initial=initial),
            "hidden": _hidden_fields(request),
        }
        return render(request, "customers/win_back.html", context)
    report = win_back.invite_lapsed(organisation, candidates, actor=request.user)
    left_out = ", ".join(f"{count} {words.lower()}" for _r, words, count in report.left_out_rows())
    if report.campaign is None:
        messages.error(request, _("Nobody was invited: %s.") % (left_out or _("nobody chosen")))
        return redirect(f"{_list_url(request)}?status=lapsed")
    text = _("%(count)d customers invited to “%(survey)s”.") % {
        "count": report.invited,
        "survey": report.survey.name,
    }
    if left_out:
        text += " " + _("Not invited: %s.") % left_out
    messages.success(request, text)
    return redirect("campaign-detail", organisation.slug, report.campaign.pk)


def _list_url(request: HttpRequest) -> str:
    return reverse("customer-list", args=[request.organisation.slug])


def _hidden_fields(request: HttpRequest) -> list[tuple[str, str]]:
    """Return the selection and filters of the POST, to carry into the confirmation."""
    kept = ("customer", "scope", "include_overdue", "q", "unit", "value_tier", "temperament")
    return [(name, value) for name in kept for value in request.POST.getlist(name)]


class ReasonFilterForm(forms.Form):
    reason = forms.SlugField(required=False, max_length=63)
    page = forms.IntegerField(min_value=1, required=False)


def _percent(value: float | None) -> str:
    if value is None:
        return "—"
    return formats.number_format(round(value * 100, 1), decimal_pos=1, use_l10n=True)


@member_view(Permission.VIEW_CUSTOMERS)
def win_back_reasons(request: HttpRequest) -> HttpResponse:
    """Show why lapsed customers say they stopped coming: reasons counted, their words."""
    organisation = request.organisation
    units = visible_units(request.membership)
    form = ReasonFilterForm(request.GET or None)
    cleaned = form.cleaned_data if form.is_valid() else {}
    reason = cleaned.get("reason") or ""
    page = cleaned.get("page") or 1
    tally = win_back.reason_tally(organisation, units)
    if reason not in {item.key for item in tally.reasons}:
        reason = ""
    comments = win_back.reason_comments(
        organisation,
        units,
        reason=reason,
        offset=(page - 1) * win_back.COMMENTS_PAGE,
        limit=win_back.COMMENTS_PAGE + 1,
    )
    labels = {item.key: item.label for item in tally.reasons}
    chart = ""
    if tally.answered_reasons:
        chart = charts.distribution(
            [charts.Bar(item.label, item.count) for item in tally.reasons],
            title=_("Reasons given for no longer coming"),
        )
    context = {
        "nav": "customers",
        "tally": tally,
        "rows": [
            {
                "key": item.key,
                "label": item.label,
                "count": item.count,
                "share": _percent(item.share),
            }
            for item in tally.reasons
        ],
        "would_return_share": _percent(tally.would_return_share),
        "chart": chart,
        "reason": reason,
        "reason_label": labels.get(reason, ""),
        "comments": [
            {"item": item, "reasons": [labels.get(key, key) for key in item.reasons]}
            for item in comments[: win_back.COMMENTS_PAGE]
        ],
        "page": page,
        "has_next": len(comments) > win_back.COMMENTS_PAGE,
        "survey": win_back.win_back_survey(organisation),
    }
    return render(request, "customers/win_back_reasons.html", context)
