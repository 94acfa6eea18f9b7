"""The interaction import pages: upload a file with its mapping, read the dry run, confirm,
watch it run. The worker does the work (``collect.interaction_import``); these views start
it and show the row it keeps up to date, as the responses' import pages do.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from heedback.collect import importing, interaction_import
from heedback.core.errors import ServiceError
from heedback.core.htmx import render_page
from heedback.customers.models import InteractionImport
from heedback.orgs.access import member_view
from heedback.orgs.permissions import Permission
from heedback.orgs.tenancy import get_scoped_or_404

RECENT_JOBS = 10
EXAMPLE_MAPPING = {
    "external_id": "order",
    "customer": "customer_id",
    "occurred_at": "date",
    "kind": "visit",
    "unit": "shop",
    "staff": "served_by",
    "value": "amount",
}


class InteractionImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (UTF-8), XLSX (first sheet) or JSON Lines; a header row."),
    )
    mapping = forms.CharField(
        label=gettext_lazy("Column mapping (JSON)"),
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "class": "code"}),
        help_text=gettext_lazy(
            "external_id, customer and occurred_at name columns; kind names a column or is "
            "one kind for every row; unit, staff and value are optional columns."
        ),
    )
    skip_invalid = forms.BooleanField(
        label=gettext_lazy("Skip invalid rows and give me a file of them"), required=False
    )

    def clean_mapping(self) -> interaction_import.InteractionMapping:
        try:
            return interaction_import.parse_mapping(json.loads(self.cleaned_data["mapping"]))
        except json.JSONDecodeError as error:
            raise forms.ValidationError(_("This is not valid JSON: %s") % error) from error
        except ServiceError as error:
            raise forms.ValidationError(importing.describe_error(error)) from error


@member_view(Permission.MANAGE_CUSTOMERS)
def interaction_import_start(request: HttpRequest) -> HttpResponse:
    """Upload a file of interactions; its dry run starts at once in the worker."""
    organisation = request.organisation
    jobs = InteractionImport.objects.for_org(organisation)
    last = jobs.first()
    initial = {"mapping": json.dumps(last.mapping if last else EXAMPLE_MAPPING, indent=2)}
    form = InteractionImportForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = interaction_import.create_interaction_import(
                organisation,
                file_name=upload.name,
                chunks=upload.chunks(),
                mapping=form.cleaned_data["mapping"],
                skip_invalid=form.cleaned_data["skip_invalid"],
                actor=request.user,
            )
        except ServiceError as error:
            field = "file" if isinstance(error, importing.ImportFileError) else "mapping"
            form.add_error(field, importing.describe_error(error))
        else:
            return redirect("interaction-import-job", organisation.slug, job.pk)
    return render(
        request,
        "customers/interaction_import.html",
        {"form": form, "jobs": jobs[:RECENT_JOBS], "nav": "customers"},
        status=422 if form.errors else 200,
    )


def _job(request: HttpRequest, import_id: int) -> InteractionImport:
    return get_scoped_or_404(InteractionImport, request.organisation, pk=import_id)


@member_view(Permission.MANAGE_CUSTOMERS)
def interaction_import_job(request: HttpRequest, import_id: int) -> HttpResponse:
    """Show an import's progress and report; the status part re-polls itself while it runs."""
    job = _job(request, import_id)
    context = {"job": job, "nav": "customers"}
    return render_page(
        request,
        "customers/interaction_import_job.html",
        context,
        partial="customers/partials/interaction_import_status.html",
    )


@require_POST
@member_view(Permission.MANAGE_CUSTOMERS)
def interaction_import_confirm(request: HttpRequest, import_id: int) -> HttpResponse:
    """Start the import of a checked file."""
    job = _job(request, import_id)
    try:
        interaction_import.confirm_interaction_import(job, actor=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("interaction-import-job", request.organisation.slug, job.pk)


@member_view(Permission.MANAGE_CUSTOMERS)
def interaction_import_bad_rows(request: HttpRequest, import_id: int) -> HttpResponse:
    """Download the rows that were not (or would not be) imported, with their reasons."""
    job = _job(request, import_id)
    download = importing.bad_rows_download(job)
    if download is None:
        messages.info(request, _("This import has no bad rows."))
        return redirect("interaction-import-job", request.organisation.slug, job.pk)
    path, name = download
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name)
