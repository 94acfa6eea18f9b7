"""The import pages: upload a file with its mapping, read the dry run, confirm, watch it run.

The work happens in the worker (``collect.tasks``); these views only start it, show the
ImportJob row it keeps up to date, and serve the file of bad rows.
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

from heedback.collect import importing
from heedback.collect.models import ImportJob, ImportMapping
from heedback.core.errors import ServiceError
from heedback.core.htmx import render_page
from heedback.orgs.access import member_view
from heedback.orgs.forms import apply_service_error
from heedback.orgs.permissions import Permission
from heedback.orgs.tenancy import get_scoped_or_404
from heedback.surveys.models import Survey

RECENT_JOBS = 10


class ImportForm(forms.Form):
    """A file, its column mapping (typed in or saved earlier) and the import's options."""

    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (UTF-8), XLSX (first sheet) or JSON Lines; a header row."),
    )
    saved_mapping = forms.ModelChoiceField(
        queryset=ImportMapping.objects.none(),
        required=False,
        label=gettext_lazy("Saved mapping"),
        empty_label=gettext_lazy("— the mapping below —"),
    )
    mapping = forms.CharField(
        label=gettext_lazy("Column mapping (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "code"}),
    )
    save_as = forms.CharField(
        label=gettext_lazy("Save this mapping as"), required=False, max_length=100
    )
    create_units = forms.BooleanField(
        label=gettext_lazy("Create units the file names that do not exist"), required=False
    )
    skip_invalid = forms.BooleanField(
        label=gettext_lazy("Skip invalid rows and give me a file of them"), required=False
    )

    def __init__(self, survey: Survey, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["saved_mapping"].queryset = ImportMapping.objects.for_org(
            survey.organisation
        ).filter(survey=survey)

    def clean(self) -> dict:
        data = super().clean()
        saved = data.get("saved_mapping")
        text = data.get("mapping") or ""
        try:
            raw = saved.mapping if saved is not None else json.loads(text or "null")
            data["parsed_mapping"] = importing.parse_mapping(raw)
        except json.JSONDecodeError as error:
            self.add_error("mapping", _("This is not valid JSON: %s") % error)
        except ServiceError as error:
            self.add_error("mapping", importing.describe_error(error))
        return data


def _survey(request: HttpRequest, survey_id: int) -> Survey:
    return get_scoped_or_404(
        Survey.objects.select_related("organisation", "published_version"),
        request.organisation,
        pk=survey_id,
    )


def example_mapping(survey: Survey) -> str:
    """Return a mapping to start from: one column per question, named after its key."""
    version = survey.published_version
    keys = [question.key for question in version.parsed().questions] if version else []
    example = {
        "answers": {key: key for key in keys},
        "unit": "unit",
        "submitted_at": "date",
        "external_id": "id",
        "comment": "comment",
        "channel": "import",
        "values": {},
    }
    return json.dumps(example, indent=2)


@member_view(Permission.EDIT_SURVEYS)
def survey_import(request: HttpRequest, survey_id: int) -> HttpResponse:
    """Upload a file to import into the survey; the dry run starts at once in the worker."""
    survey = _survey(request, survey_id)
    jobs = ImportJob.objects.for_org(request.organisation).filter(survey=survey)
    last = jobs.first()
    initial = {"mapping": json.dumps(last.mapping, indent=2) if last else example_mapping(survey)}
    form = ImportForm(survey, request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            job = importing.create_import_job(
                survey,
                file_name=upload.name,
                chunks=upload.chunks(),
                mapping=data["parsed_mapping"],
                options=importing.ImportOptions(
                    create_units=data["create_units"], skip_invalid=data["skip_invalid"]
                ),
                actor=request.user,
            )
            if data["save_as"]:
                importing.save_mapping(survey, data["save_as"], data["parsed_mapping"])
        except ServiceError as error:
            _show_error(form, error)
        else:
            return redirect("import-job", request.organisation.slug, job.pk)
    return render(
        request,
        "collect/import_start.html",
        {"survey": survey, "form": form, "jobs": jobs[:RECENT_JOBS], "nav": "surveys"},
        status=422 if form.errors else 200,
    )


def _show_error(form: ImportForm, error: ServiceError) -> None:
    """Put a file problem on the file field and a mapping problem on the mapping field."""
    if isinstance(error, importing.ImportFileError) or "file" in error.errors:
        form.add_error("file", importing.describe_error(error))
    elif "mapping_name" in error.errors:
        form.add_error("save_as", importing.describe_error(error))
    elif error.errors and "survey" not in error.errors:
        form.add_error("mapping", importing.describe_error(error))
    else:
        apply_service_error(form, error)


@member_view(Permission.EDIT_SURVEYS)
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """Show an import's progress and report; the status part re-polls itself while it runs."""
    job = get_scoped_or_404(
        ImportJob.objects.select_related("survey"), request.organisation, pk=job_id
    )
    return render_page(
        request,
        "collect/import_job.html",
        {"job": job, "survey": job.survey, "nav": "surveys"},
        partial="collect/partials/import_status.html",
    )


@require_POST
@member_view(Permission.EDIT_SURVEYS)
def import_confirm(request: HttpRequest, job_id: int) -> HttpResponse:
    """Start the import of a checked file."""
    job = get_scoped_or_404(
        ImportJob.objects.select_related("survey"), request.organisation, pk=job_id
    )
    try:
        importing.confirm_import_job(job, actor=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("import-job", request.organisation.slug, job.pk)


@member_view(Permission.EDIT_SURVEYS)
def import_bad_rows(request: HttpRequest, job_id: int) -> HttpResponse:
    """Download the rows that were not (or would not be) imported, with their reasons."""
    job = get_scoped_or_404(ImportJob, request.organisation, pk=job_id)
    download = importing.bad_rows_download(job)
    if download is None:
        messages.info(request, _("This import has no bad rows."))
        return redirect("import-job", request.organisation.slug, job.pk)
    path, name = download
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name)
