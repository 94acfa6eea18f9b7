"""The insights settings page: how many answers a cell needs before it is tested or ranked."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heedback.core.errors import InvalidInput
from heedback.orgs import services as org_services
from heedback.orgs.access import member_view
from heedback.orgs.forms import apply_service_error
from heedback.orgs.permissions import Permission


class InsightsSettingsForm(forms.Form):
    minimum_sample = forms.IntegerField(
        label=gettext_lazy("Minimum answers per cell"),
        help_text=gettext_lazy(
            "Cells with fewer answers are greyed, never ranked and never marked significant."
        ),
    )


@member_view(Permission.EDIT_SURVEYS)
def insights_settings(request: HttpRequest) -> HttpResponse:
    """Show and change the organisation's minimum sample (owners and admins)."""
    organisation = request.organisation
    form = InsightsSettingsForm(
        request.POST or None, initial={"minimum_sample": organisation.minimum_sample}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                org_services.change_minimum_sample(
                    organisation, form.cleaned_data["minimum_sample"], actor=request.user
                )
            except InvalidInput as error:
                apply_service_error(form, error)
            else:
                messages.success(request, _("Insights settings saved."))
                return redirect("insights-settings", organisation.slug)
        status = 422
    return render(
        request, "insights/settings.html", {"form": form, "nav": "dashboard"}, status=status
    )
