"""The campaign pages: the list with response rates, a new campaign and its contacts, counts."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heedback.collect import campaigns, invitation_policy, selectors
from heedback.collect.choices import SkipReason
from heedback.collect.models import Campaign
from heedback.core.errors import ServiceError
from heedback.customers.choices import InteractionKind
from heedback.insights import charts
from heedback.orgs.access import member_view
from heedback.orgs.forms import apply_service_error
from heedback.orgs.permissions import Permission
from heedback.orgs.tenancy import get_scoped_or_404
from heedback.surveys.models import Survey

LIST_LIMIT = 100


class CampaignForm(forms.Form):
    """A campaign and, optionally, its contacts as a CSV or XLSX file."""

    survey = forms.ModelChoiceField(queryset=Survey.objects.none(), label=gettext_lazy("Survey"))
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    subject = forms.CharField(
        label=gettext_lazy("Subject"),
        max_length=200,
        initial=gettext_lazy("How was your visit to {unit}?"),
    )
    body = forms.CharField(
        label=gettext_lazy("Message"),
        widget=forms.Textarea(attrs={"rows": 6}),
        initial=gettext_lazy(
            "Dear {customer name},\n\nThank you for visiting {unit}. {staff member} and the "
            "team would like to know how it went: it takes a minute."
        ),
        help_text=gettext_lazy(
            "Placeholders: {customer name}, {unit}, {staff member}. The link, whom to contact "
            "and an unsubscribe link are added below the message."
        ),
    )
    send_at = forms.DateTimeField(
        label=gettext_lazy("Send at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=gettext_lazy("In the organisation's time zone; empty: now."),
    )
    reminder_count = forms.IntegerField(
        label=gettext_lazy("Reminders"), min_value=0, max_value=campaigns.MAX_REMINDERS, initial=1
    )
    reminder_interval_days = forms.IntegerField(
        label=gettext_lazy("Days between reminders"),
        min_value=1,
        max_value=campaigns.MAX_REMINDER_INTERVAL_DAYS,
        initial=3,
    )
    contacts = forms.FileField(
        label=gettext_lazy("Contacts"),
        required=False,
        help_text=gettext_lazy(
            "CSV (UTF-8) or XLSX with a header row: email, and optionally name, external_id, "
            "unit (name or id) and staff (a member's email)."
        ),
    )
    trigger_kind = forms.ChoiceField(
        label=gettext_lazy("Or invite automatically after each interaction of kind"),
        choices=[("", gettext_lazy("— no, only the contacts above —")), *InteractionKind.choices],
        required=False,
    )
    trigger_delay_minutes = forms.IntegerField(
        label=gettext_lazy("Delay after the interaction (minutes)"),
        min_value=0,
        max_value=campaigns.MAX_TRIGGER_DELAY_MINUTES,
        initial=120,
        required=False,
    )

    def __init__(self, organisation, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["survey"].queryset = Survey.objects.for_org(organisation).filter(
            published_version__isnull=False
        )

    def campaign_input(self) -> campaigns.CampaignInput:
        data = self.cleaned_data
        send_at = data.get("send_at")
        if send_at is not None and send_at.tzinfo is None:
            send_at = campaigns.local_send_time(self.organisation, send_at)
        return campaigns.CampaignInput(
            survey=data["survey"],
            name=data["name"],
            subject=data["subject"],
            body=data["body"],
            send_at=send_at,
            reminder_count=data["reminder_count"],
            reminder_interval_days=data["reminder_interval_days"],
            trigger_kind=data.get("trigger_kind") or "",
            trigger_delay_minutes=data.get("trigger_delay_minutes") or 0,
        )


@member_view(Permission.VIEW)
def campaign_list(request: HttpRequest) -> HttpResponse:
    """List the newest campaigns with their counts and response rate (two queries)."""
    rows = Campaign.objects.for_org(request.organisation).select_related("survey")[:LIST_LIMIT]
    items = selectors.with_counts(rows)
    return render(request, "collect/campaign_list.html", {"items": items, "nav": "campaigns"})


def _read_upload(upload) -> list[campaigns.ContactInput]:
    suffix = Path(upload.name).suffix.lower()
    with tempfile.NamedTemporaryFile(suffix=suffix) as stored:
        for chunk in upload.chunks():
            stored.write(chunk)
        stored.flush()
        return campaigns.read_contacts_file(Path(stored.name))


@member_view(Permission.EDIT_SURVEYS)
def campaign_create(request: HttpRequest) -> HttpResponse:
    """Create a campaign, its contacts read from an uploaded file; every bad row is listed."""
    policy = invitation_policy.policy_of(request.organisation)
    form = CampaignForm(
        request.organisation,
        request.POST or None,
        request.FILES or None,
        initial={
            "reminder_count": policy.default_reminder_count,
            "reminder_interval_days": policy.default_reminder_interval_days,
        },
    )
    row_errors: list[tuple[str, str]] = []
    if request.method == "POST" and form.is_valid():
        try:
            upload = form.cleaned_data.get("contacts")
            contacts = _read_upload(upload) if upload else []
            campaign, _report = campaigns.create_campaign(
                request.organisation, form.campaign_input(), contacts, actor=request.user
            )
        except ServiceError as error:
            row_errors = [
                (path, message)
                for path, messages in error.errors.items()
                if path.startswith("line ") or path == "file"
                for message in messages
            ]
            apply_service_error(
                form,
                type(error)(
                    error.message,
                    errors={
                        path: messages
                        for path, messages in error.errors.items()
                        if not (path.startswith("line ") or path == "file")
                    },
                ),
            )
        else:
            return redirect("campaign-detail", request.organisation.slug, campaign.pk)
    return render(
        request,
        "collect/campaign_create.html",
        {"form": form, "row_errors": row_errors, "nav": "campaigns"},
        status=422 if form.errors or row_errors else 200,
    )


FUNNEL = (
    ("sent", gettext_lazy("Sent")),
    ("opened", gettext_lazy("Opened")),
    ("started", gettext_lazy("Started")),
    ("completed", gettext_lazy("Completed")),
    ("bounced", gettext_lazy("Bounced")),
    ("unsubscribed", gettext_lazy("Unsubscribed")),
)


@member_view(Permission.VIEW)
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Show a campaign's funnel and response rate, as a chart and as a table."""
    campaign = get_scoped_or_404(
        Campaign.objects.select_related("survey"), request.organisation, pk=campaign_id
    )
    counts = selectors.campaign_counts(campaign)
    funnel = [(str(label), getattr(counts, key)) for key, label in FUNNEL]
    chart = charts.distribution(
        [charts.Bar(label, count) for label, count in funnel],
        title=_("Invitations of the campaign"),
    )
    skipped = [(SkipReason(reason).label, count) for reason, count in counts.skipped.items()]
    return render(
        request,
        "collect/campaign_detail.html",
        {
            "campaign": campaign,
            "counts": counts,
            "funnel": funnel,
            "skipped": skipped,
            "chart": chart,
            "rate": None if counts.response_rate is None else round(100 * counts.response_rate, 1),
            "nav": "campaigns",
        },
    )


class InvitationPolicyForm(forms.Form):
    """The organisation's invitation policy, as an administrator edits it."""

    days_between_invitations = forms.IntegerField(
        label=gettext_lazy("Days between two invitations of one person"),
        min_value=0,
        max_value=invitation_policy.MAX_DAYS_BETWEEN,
        help_text=gettext_lazy(
            "Across all surveys: a contact invited more recently is skipped. 0: no limit."
        ),
    )
    default_reminder_count = forms.IntegerField(
        label=gettext_lazy("Reminders of a new campaign"),
        min_value=0,
        max_value=invitation_policy.MAX_REMINDERS,
    )
    default_reminder_interval_days = forms.IntegerField(
        label=gettext_lazy("Days between reminders of a new campaign"),
        min_value=1,
        max_value=invitation_policy.MAX_REMINDER_INTERVAL_DAYS,
    )
    quiet_hours_start = forms.TimeField(
        label=gettext_lazy("Quiet hours from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=gettext_lazy("No invitation leaves in these hours (organisation's time)."),
    )
    quiet_hours_end = forms.TimeField(
        label=gettext_lazy("Quiet hours until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=gettext_lazy("Emails due in the quiet hours leave when they end."),
    )


@member_view(Permission.EDIT_SURVEYS)
def invitation_policy_edit(request: HttpRequest) -> HttpResponse:
    """Show and change how often people may be invited, reminder defaults and quiet hours."""
    policy = invitation_policy.policy_of(request.organisation)
    initial = {name: getattr(policy, name) for name in InvitationPolicyForm.base_fields}
    form = InvitationPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            invitation_policy.update_policy(
                request.organisation,
                invitation_policy.PolicyInput(**form.cleaned_data),
                actor=request.user,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("The invitation policy is saved."))
            return redirect("invitation-policy", request.organisation.slug)
    return render(
        request,
        "collect/invitation_policy.html",
        {"form": form, "nav": "campaigns"},
        status=422 if form.errors else 200,
    )
