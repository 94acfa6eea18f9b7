"""Staff pages of the surveys app: the list, templates, the builder, preview, publishing, domains.

Every change to a survey goes through ``services.save_draft`` (a published version is never
touched: the first edit opens a new draft version), and every page works as plain HTML
forms; htmx, when present, swaps the editor in place instead of reloading the page.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heedback.collect.services import publish_and_open_links
from heedback.core.errors import InvalidInput, ServiceError
from heedback.core.htmx import render_page
from heedback.orgs.access import member_view
from heedback.orgs.forms import apply_service_error
from heedback.orgs.permissions import Permission
from heedback.orgs.tenancy import get_scoped_or_404
from heedback.surveys import editing, selectors, services
from heedback.surveys.builtin_templates import TEMPLATES
from heedback.surveys.choices import SurveyStatus
from heedback.surveys.definition import CHOICE_TYPES, NUMERIC_TYPES, QuestionType, SurveyDefinition
from heedback.surveys.forms import (
    QUESTION_TYPE_LABELS,
    DomainAddForm,
    DomainForm,
    QuestionForm,
    QuestionTypeForm,
    SurveyCreateForm,
    SurveySettingsForm,
    apply_definition_error,
    error_sentences,
)
from heedback.surveys.models import Domain, Survey, SurveyVersion

SURVEYS_PER_PAGE = 50
EDITOR_PAGE = "surveys/survey_edit.html"
QUESTION_PAGE = "surveys/question_edit.html"
EDITOR_PARTIAL = "surveys/partials/editor.html"
DOMAINS_PAGE = "surveys/domain_list.html"
DOMAINS_PARTIAL = "surveys/partials/domain_list.html"
MOVES = {"up": -1, "down": 1}
QUESTION_TYPES = frozenset(kind.value for kind in QuestionType)


# --- list, create, detail -----------------------------------------------------------------


@member_view(Permission.VIEW)
def survey_list(request: HttpRequest) -> HttpResponse:
    """List the organisation's surveys, newest first, with their live and draft versions."""
    surveys = selectors.survey_listing(request.organisation)
    page = Paginator(surveys, SURVEYS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "surveys/survey_list.html", {"page": page, "nav": "surveys"})


@member_view(Permission.EDIT_SURVEYS)
def survey_create(request: HttpRequest) -> HttpResponse:
    """Show the built-in templates; creating a survey copies one into a draft, then opens it."""
    organisation = request.organisation
    form = SurveyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.create_survey_from_template(
                organisation,
                template_key=form.cleaned_data["template"],
                name=form.cleaned_data["name"],
                actor=request.user,
            )
        except ServiceError as error:
            _apply_create_error(form, error, organisation)
        else:
            messages.success(request, _("Survey created as a draft. Adjust it, then publish it."))
            return redirect("survey-edit", organisation.slug, survey.pk)
    context = {"form": form, "templates": _template_cards(), "nav": "surveys"}
    return render(
        request, "surveys/survey_create.html", context, status=422 if form.errors else 200
    )


def _template_cards() -> list[dict[str, Any]]:
    return [
        {
            "key": template.key,
            "name": template.name,
            "description": template.description,
            "kind": template.kind,
            "question_count": len(template.definition["questions"]),
            "questions": [question["text"] for question in template.definition["questions"]],
        }
        for template in TEMPLATES.values()
    ]


def _apply_create_error(form: SurveyCreateForm, error: ServiceError, organisation: Any) -> None:
    """Explain a template the organisation cannot use (its domains are missing) in plain words."""
    template = TEMPLATES.get(form.cleaned_data.get("template", ""))
    if template is None or not any(path.endswith(".domain") for path in error.errors):
        apply_service_error(form, error)
        return
    known = set(selectors.domains_of(organisation).values_list("key", flat=True))
    wanted = {question.get("domain") for question in template.definition["questions"]}
    missing = sorted(key for key in wanted - known if key)
    form.add_error(
        "template",
        _(
            "This template rates domains your organisation does not have: %(domains)s. "
            "Add them on the Domains page, or choose another template."
        )
        % {"domains": ", ".join(missing)},
    )


@member_view(Permission.VIEW)
def survey_detail(request: HttpRequest, survey_id: int) -> HttpResponse:
    """Show a survey's status, its versions and the questions of its live version and draft."""
    survey = _survey_of(request, survey_id)
    versions = list(survey.versions.order_by("-number"))
    latest = versions[0]
    published = survey.published_version
    draft = None if latest.is_frozen else latest
    domain_names = _domain_names(request.organisation)
    changes = None
    if published is not None and draft is not None:
        changes = _describe_changes(published.definition, draft.definition)
    return render(
        request,
        "surveys/survey_detail.html",
        {
            "survey": survey,
            "versions": versions,
            "published": published,
            "draft": draft,
            "published_rows": question_rows(published.definition, domain_names)
            if published
            else [],
            "draft_rows": question_rows(draft.definition, domain_names) if draft else [],
            "changes": changes,
            "can_publish": draft is not None or survey.status != SurveyStatus.PUBLISHED,
            "nav": "surveys",
        },
    )


def _describe_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    changes = editing.question_changes(before, after)
    lines = []
    if changes.added:
        lines.append(_("Added: %s") % ", ".join(changes.added))
    if changes.removed:
        lines.append(_("Removed: %s") % ", ".join(changes.removed))
    if changes.changed:
        lines.append(_("Changed: %s") % ", ".join(changes.changed))
    if changes.is_reordered:
        lines.append(_("Questions reordered."))
    if changes.is_settings_changed:
        lines.append(_("Title, texts or language changed."))
    return lines or [_("No changes yet.")]


# --- the editor ---------------------------------------------------------------------------


@member_view(Permission.EDIT_SURVEYS)
def survey_edit(request: HttpRequest, survey_id: int) -> HttpResponse:
    """Show the builder; a POST saves the survey's name and wording."""
    survey = _survey_of(request, survey_id)
    version = services.draft_of(survey)
    definition = version.definition
    initial = SurveySettingsForm.initial_for(survey.name, definition)
    form = SurveySettingsForm(
        request.POST or None, initial=initial, current_language=initial["language"]
    )
    if request.method != "POST":
        return _render_editor(request, survey, version, settings_form=form)
    if _is_stale(request, version):
        return _render_conflict(request, survey, settings_form=form)
    if form.is_valid():
        data = form.cleaned_data
        edited = editing.update_settings(
            definition,
            title=data["title"],
            intro=data["intro"],
            thanks=data["thanks"],
            language=data["language"],
        )
        try:
            services.save_draft(survey, edited, name=data["name"], actor=request.user)
        except InvalidInput as error:
            apply_definition_error(form, error, definition=edited)
        else:
            return _after_edit(request, survey, _("Survey settings saved."))
    return _render_editor(request, survey, version, settings_form=form, status=422)


@member_view(Permission.EDIT_SURVEYS)
def question_add(request: HttpRequest, survey_id: int) -> HttpResponse:
    """Add a question of the type chosen in the editor (``type`` in the query or the form).

    Without a known type the page asks for one first, since the type decides the fields.
    """
    survey = _survey_of(request, survey_id)
    version = services.draft_of(survey)
    question_type = (request.POST if request.method == "POST" else request.GET).get("type", "")
    if question_type not in QUESTION_TYPES:
        type_form = QuestionTypeForm(request.GET if "type" in request.GET else None)
        status = 422 if request.method == "POST" or type_form.is_bound else 200
        return _render_editor(
            request, survey, version, type_form=type_form, page=QUESTION_PAGE, status=status
        )
    form = QuestionForm(
        question_type,
        request.POST or None,
        definition=version.definition,
        domains=_domains_in_use(request.organisation),
        initial={"scale_min": 1, "scale_max": 5, "condition_operator": "equals"},
    )
    editor = {"question_form": form, "adding_type": question_type, "page": QUESTION_PAGE}
    if request.method != "POST":
        return _render_editor(request, survey, version, **editor)
    if _is_stale(request, version):
        return _render_conflict(request, survey, **editor)
    if form.is_valid():
        question = form.cleaned_data["question"]
        before = form.cleaned_data.get("position") or None
        edited = editing.add_question(version.definition, question, before=before)
        try:
            services.save_draft(survey, edited, actor=request.user)
        except InvalidInput as error:
            index = editing.index_of(edited, question["key"])
            apply_definition_error(form, error, definition=edited, question_index=index)
        else:
            return _after_edit(request, survey, _("Question added."), anchor=question["key"])
    return _render_editor(request, survey, version, status=422, **editor)


@member_view(Permission.EDIT_SURVEYS)
def question_edit(request: HttpRequest, survey_id: int, question_key: str) -> HttpResponse:
    """Edit one question's wording, key, domain, scale, options and display condition."""
    survey = _survey_of(request, survey_id)
    version = services.draft_of(survey)
    definition = version.definition
    try:
        question = editing.question_at(definition, question_key)
    except KeyError as error:
        raise Http404("No such question") from error
    form = QuestionForm(
        question["type"],
        request.POST or None,
        definition=definition,
        domains=_domains_in_use(request.organisation),
        key=question_key,
        initial=QuestionForm.initial_for(question),
    )
    editor = {"question_form": form, "editing_key": question_key, "page": QUESTION_PAGE}
    if request.method != "POST":
        return _render_editor(request, survey, version, **editor)
    if _is_stale(request, version):
        return _render_conflict(request, survey, **editor)
    if form.is_valid():
        changed = form.cleaned_data["question"]
        edited = editing.update_question(definition, question_key, changed)
        try:
            services.save_draft(survey, edited, actor=request.user)
        except InvalidInput as error:
            index = editing.index_of(definition, question_key)
            apply_definition_error(form, error, definition=edited, question_index=index)
        else:
            return _after_edit(request, survey, _("Question saved."), anchor=changed["key"])
    return _render_editor(request, survey, version, status=422, **editor)


@require_POST
@member_view(Permission.EDIT_SURVEYS)
def question_move(request: HttpRequest, survey_id: int, question_key: str) -> HttpResponse:
    """Move a question one place up or down (``direction`` is ``up`` or ``down``)."""
    survey = _survey_of(request, survey_id)
    offset = MOVES.get(request.POST.get("direction", ""))
    if offset is None:
        return HttpResponseBadRequest(_("Say whether to move the question up or down."))
    return _change_questions(
        request,
        survey,
        question_key,
        lambda definition: editing.move_question(definition, question_key, offset),
        _("Question moved."),
    )


@require_POST
@member_view(Permission.EDIT_SURVEYS)
def question_delete(request: HttpRequest, survey_id: int, question_key: str) -> HttpResponse:
    """Delete a question; questions shown only depending on its answer then always show."""
    survey = _survey_of(request, survey_id)
    freed = editing.dependents(services.draft_of(survey).definition, question_key)
    message = _("Question deleted.")
    if freed:
        message = _("Question deleted. These questions now always show: %s.") % ", ".join(freed)
    return _change_questions(
        request,
        survey,
        question_key,
        lambda definition: editing.remove_question(definition, question_key),
        message,
    )


def _change_questions(
    request: HttpRequest,
    survey: Survey,
    question_key: str,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    success: str,
) -> HttpResponse:
    """Apply a form-less edit (move, delete); a refused one is explained in a message."""
    version = services.draft_of(survey)
    if question_key not in editing.question_keys(version.definition):
        raise Http404("No such question")
    if _is_stale(request, version):
        return _render_conflict(request, survey)
    edited = change(version.definition)
    try:
        services.save_draft(survey, edited, actor=request.user)
    except InvalidInput as error:
        for sentence in error_sentences(error, edited):
            messages.error(request, sentence)
        if request.htmx:
            return _render_editor(request, survey, version, status=422)
        return redirect("survey-edit", request.organisation.slug, survey.pk)
    return _after_edit(request, survey, success, anchor=question_key)


def _render_editor(
    request: HttpRequest,
    survey: Survey,
    version: SurveyVersion,
    *,
    settings_form: SurveySettingsForm | None = None,
    question_form: QuestionForm | None = None,
    editing_key: str | None = None,
    adding_type: str | None = None,
    type_form: QuestionTypeForm | None = None,
    page: str = EDITOR_PAGE,
    status: int = 200,
) -> HttpResponse:
    """Render the builder: the whole page, a one-question page, or (for htmx) the editor block."""
    definition = version.definition
    if settings_form is None:
        initial = SurveySettingsForm.initial_for(survey.name, definition)
        settings_form = SurveySettingsForm(initial=initial, current_language=initial["language"])
    published = survey.published_version
    context = {
        "survey": survey,
        "version": version,
        "published": published,
        "opens_new_version": version.is_frozen,
        "editing_number": version.number + 1 if version.is_frozen else version.number,
        "revision": revision_of(version),
        "rows": question_rows(definition, _domain_names(request.organisation)),
        "settings_form": settings_form,
        "question_form": question_form,
        "editing_key": editing_key,
        "adding_type": adding_type,
        "type_form": type_form or QuestionTypeForm(),
        "nav": "surveys",
    }
    return render_page(request, page, context, partial=EDITOR_PARTIAL, status=status)


def _after_edit(
    request: HttpRequest, survey: Survey, message: str, *, anchor: str | None = None
) -> HttpResponse:
    """Answer a saved edit: the fresh editor block for htmx, else a redirect to the builder."""
    messages.success(request, message)
    if request.htmx:
        survey.refresh_from_db()
        return _render_editor(request, survey, services.draft_of(survey))
    url = reverse("survey-edit", args=[request.organisation.slug, survey.pk])
    return redirect(f"{url}#question-{anchor}" if anchor else url)


def revision_of(version: SurveyVersion) -> str:
    """Return a token naming the definition an editor form was built from."""
    content = json.dumps(version.definition, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(content.encode()).hexdigest()[:16]
    return f"{version.number}-{digest}"


def _is_stale(request: HttpRequest, version: SurveyVersion) -> bool:
    """Tell whether the form was built from another draft than the current one.

    Two people (or two tabs) editing the same survey would otherwise silently undo each
    other's changes, since every edit rewrites the whole definition.
    """
    sent = request.POST.get("revision")
    return sent is not None and sent != revision_of(version)


def _render_conflict(request: HttpRequest, survey: Survey, **editor: Any) -> HttpResponse:
    messages.error(
        request,
        _(
            "This survey was changed in another window or by someone else since you opened "
            "it. Your change was not saved: check the survey as it is now and try again."
        ),
    )
    version = services.draft_of(survey)
    editing_key = editor.get("editing_key")
    if editing_key and editing_key not in editing.question_keys(version.definition):
        editor = {}
    return _render_editor(request, survey, version, status=409, **editor)


# --- preview, publish, close --------------------------------------------------------------


@member_view(Permission.VIEW)
def survey_preview(request: HttpRequest, survey_id: int) -> HttpResponse:
    """Show a version (the newest unless ``?version=N``) as respondents see it; nothing is sent."""
    survey = _survey_of(request, survey_id)
    number = request.GET.get("version")
    if number:
        version = get_scoped_or_404(
            SurveyVersion, request.organisation, survey=survey, number=number
        )
    else:
        version = services.draft_of(survey)
    definition = version.parsed()
    return render(
        request,
        "surveys/survey_preview.html",
        {
            "survey": survey,
            "version": version,
            "definition": definition,
            "items": preview_items(definition, version.definition),
            "nav": "surveys",
        },
    )


def preview_items(definition: SurveyDefinition, data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return what the preview draws for each question: its points, options and condition."""
    by_key = {question["key"]: question for question in data.get("questions", [])}
    items = []
    for number, question in enumerate(definition.questions, start=1):
        scale = question.effective_scale()
        items.append(
            {
                "number": number,
                "question": question,
                "points": list(range(scale.min, scale.max + 1)) if scale else [],
                "scale": scale,
                "is_choice": question.type in CHOICE_TYPES,
                "is_multi": question.type is QuestionType.MULTI_CHOICE,
                "condition": condition_text(by_key[question.key], by_key),
            }
        )
    return items


@require_POST
@member_view(Permission.EDIT_SURVEYS)
def survey_publish(request: HttpRequest, survey_id: int) -> HttpResponse:
    """Publish the draft (freezing it) and give every unit its link; a repeat changes nothing."""
    survey = _survey_of(request, survey_id)
    was_live = survey.status == SurveyStatus.PUBLISHED and services.draft_of(survey).is_frozen
    try:
        version = publish_and_open_links(survey, actor=request.user)
    except ServiceError as error:
        latest = services.draft_of(survey)
        for sentence in error_sentences(error, latest.definition):
            messages.error(request, sentence)
    else:
        if was_live:
            messages.info(request, _("Version %d is already published.") % version.number)
        else:
            messages.success(
                request,
                _("Version %d is published. Respondents now answer it.") % version.number,
            )
    return redirect("survey-detail", request.organisation.slug, survey.pk)


@require_POST
@member_view(Permission.EDIT_SURVEYS)
def survey_close(request: HttpRequest, survey_id: int) -> HttpResponse:
    """Stop accepting responses; publishing again reopens the survey."""
    survey = _survey_of(request, survey_id)
    try:
        services.close_survey(survey, actor=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Survey closed. Its links now say it no longer takes answers."))
    return redirect("survey-detail", request.organisation.slug, survey.pk)


# --- domains ------------------------------------------------------------------------------


@member_view(Permission.VIEW)
def domain_list(request: HttpRequest) -> HttpResponse:
    """List the organisation's domains of satisfaction; editors rename, retire and add them."""
    return _render_domains(request)


@require_POST
@member_view(Permission.EDIT_SURVEYS)
def domain_add(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    taken = selectors.domains_of(organisation).values_list("key", flat=True)
    form = DomainAddForm(request.POST, taken_keys=taken)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.save_domain(
                organisation, key=data["key"], name=data["name"], description=data["description"]
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            return _after_domain_change(request, _("Domain “%s” added.") % data["name"])
    return _render_domains(request, add_form=form, status=422)


@require_POST
@member_view(Permission.EDIT_SURVEYS)
def domain_edit(request: HttpRequest, domain_key: str) -> HttpResponse:
    organisation = request.organisation
    domain = get_scoped_or_404(Domain, organisation, key=domain_key)
    form = DomainForm(request.POST, domain_key=domain.key)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.save_domain(
                organisation,
                key=domain.key,
                name=data["name"],
                description=data["description"],
                is_retired=data["is_retired"],
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            return _after_domain_change(request, _("Domain “%s” saved.") % data["name"])
    return _render_domains(request, bound_forms={domain.key: form}, status=422)


@require_POST
@member_view(Permission.EDIT_SURVEYS)
def domain_seed(request: HttpRequest) -> HttpResponse:
    """Add back the default domains the organisation lacks; existing ones stay as they are."""
    organisation = request.organisation
    before = selectors.domains_of(organisation).count()
    services.seed_default_domains(organisation)
    added = selectors.domains_of(organisation).count() - before
    return _after_domain_change(
        request,
        _("Default domains added: %d.") % added if added else _("All default domains are there."),
    )


def _render_domains(
    request: HttpRequest,
    *,
    add_form: DomainAddForm | None = None,
    bound_forms: Mapping[str, DomainForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    organisation = request.organisation
    domains = list(selectors.domains_of(organisation))
    can_edit = request.membership.has(Permission.EDIT_SURVEYS)
    bound_forms = bound_forms or {}
    entries = [
        {
            "domain": domain,
            "form": _domain_form(domain, bound_forms) if can_edit else None,
            "is_open": domain.key in bound_forms,
        }
        for domain in domains
    ]
    if add_form is None and can_edit:
        add_form = DomainAddForm(taken_keys=[domain.key for domain in domains])
    context = {"entries": entries, "add_form": add_form, "can_edit": can_edit, "nav": "domains"}
    return render_page(request, DOMAINS_PAGE, context, partial=DOMAINS_PARTIAL, status=status)


def _domain_form(domain: Domain, bound_forms: Mapping[str, DomainForm]) -> DomainForm:
    if domain.key in bound_forms:
        return bound_forms[domain.key]
    initial = {
        "name": domain.name,
        "description": domain.description,
        "is_retired": domain.is_retired,
    }
    return DomainForm(domain_key=domain.key, initial=initial)


def _after_domain_change(request: HttpRequest, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:
        return _render_domains(request)
    return redirect("domain-list", request.organisation.slug)


# --- shared helpers -----------------------------------------------------------------------


def _survey_of(request: HttpRequest, survey_id: int) -> Survey:
    return get_scoped_or_404(
        Survey.objects.select_related("published_version"), request.organisation, pk=survey_id
    )


def _domains_in_use(organisation: Any) -> list[Domain]:
    return list(selectors.domains_of(organisation))


def _domain_names(organisation: Any) -> dict[str, str]:
    return dict(selectors.domains_of(organisation).values_list("key", "name"))


def question_rows(
    definition: Mapping[str, Any], domain_names: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Return what a question list shows of each question, in order."""
    questions = definition.get("questions", [])
    by_key = {question["key"]: question for question in questions}
    return [
        {
            "number": number,
            "key": question["key"],
            "type": question["type"],
            "type_label": QUESTION_TYPE_LABELS.get(question["type"], question["type"]),
            "text": question["text"],
            "help": question.get("help", ""),
            "is_required": bool(question.get("required")),
            "domain": domain_names.get(question.get("domain") or "", question.get("domain") or ""),
            "details": _question_details(question),
            "condition": condition_text(question, by_key),
            "is_first": number == 1,
            "is_last": number == len(questions),
        }
        for number, question in enumerate(questions, start=1)
    ]


def _question_details(question: Mapping[str, Any]) -> str:
    kind = question["type"]
    if kind in CHOICE_TYPES:
        return " · ".join(option["label"] for option in question.get("options") or [])
    if kind in NUMERIC_TYPES:
        scale = question.get("scale") or {}
        low, high = scale.get("min"), scale.get("max")
        if kind == QuestionType.NPS:
            low, high = 0, 10
        elif kind == QuestionType.CES:
            low, high = 1, 7
        elif low is None:
            low, high = 1, 5
        ends = [label for label in (scale.get("min_label"), scale.get("max_label")) if label]
        points = _("%(low)s to %(high)s") % {"low": low, "high": high}
        return f"{points} ({' / '.join(ends)})" if ends else points
    return ""


def condition_text(question: Mapping[str, Any], by_key: Mapping[str, Any]) -> str:
    """Describe a question's display condition in words, or return "" when it always shows."""
    condition = question.get("show_if")
    if not condition:
        return ""
    referenced = by_key.get(condition["question"])
    source = _("question “%s”") % condition["question"]
    if condition.get("answered") is not None:
        if condition["answered"]:
            return _("Shown only if %(source)s is answered.") % {"source": source}
        return _("Shown only if %(source)s is not answered.") % {"source": source}
    values = condition["in"] if "in" in condition else [condition.get("equals")]
    written = [_written_value(referenced, value) for value in values]
    if "in" in condition:
        return _("Shown only if %(source)s is one of: %(values)s.") % {
            "source": source,
            "values": ", ".join(written),
        }
    return _("Shown only if %(source)s is %(value)s.") % {"source": source, "value": written[0]}


def _written_value(referenced: Mapping[str, Any] | None, value: object) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    for option in (referenced or {}).get("options") or []:
        if option["key"] == value:
            return f"“{option['label']}”"
    return str(value)
