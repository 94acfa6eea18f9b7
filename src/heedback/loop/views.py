"""Staff pages of the loop: the case list and page, the inbox, and the rules.

Views read a form, call one service, and render or redirect; every rule lives in the
services. Pages work as plain HTML forms; htmx, when present, refreshes the case list
as filters change and the inbox every 30 seconds.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heedback.collect.exporting import neutralise_cell
from heedback.collect.selectors import response_as_dict
from heedback.core.errors import ServiceError
from heedback.core.htmx import render_page
from heedback.loop import dashboard, metrics, selectors, services
from heedback.loop.choices import OPEN_STATUSES, CaseStatus
from heedback.loop.forms import (
    AssignForm,
    BulkForm,
    CaseFilterForm,
    DigestForm,
    FollowUpForm,
    MetricsForm,
    ReopenForm,
    ResolveForm,
    RuleForm,
    StatusForm,
    condition_formset,
    rule_initial,
)
from heedback.loop.models import Case, Rule
from heedback.notify import selectors as notify_selectors
from heedback.orgs.access import member_view
from heedback.orgs.forms import apply_service_error
from heedback.orgs.permissions import Permission
from heedback.orgs.selectors import visible_units
from heedback.orgs.tenancy import get_scoped_or_404

CASES_PER_PAGE = 50


def _actor(request: HttpRequest) -> services.Actor:
    return services.Actor(membership=request.membership)


def _visible_case(request: HttpRequest, case_id: int) -> Case:
    """Return a case the member may see, or 404 (another unit's case reads as missing)."""
    try:
        return selectors.case_for_page(selectors.cases_visible_to(request.membership), case_id)
    except Case.DoesNotExist as error:
        raise Http404("No such case") from error


# --- the case list --------------------------------------------------------------------------


@member_view(Permission.VIEW)
def case_list(request: HttpRequest) -> HttpResponse:
    """List the cases the member may see, filtered, most urgent first; j/k/enter to move."""
    membership, now = request.membership, timezone.now()
    workers = list(selectors.case_workers(request.organisation))
    form = CaseFilterForm(visible_units(membership), workers, request.GET or None)
    filters = _filters(form)
    cases = selectors.filter_cases(
        selectors.cases_visible_to(membership), filters, me=membership, now=now
    )
    page, rows = selectors.page_of(cases, request.GET.get("page"), per_page=CASES_PER_PAGE)
    context = {
        "form": form,
        "page": page,
        "cases": rows,
        "now": now,
        "nav": "cases",
        "query_string": _without_page(request),
        "can_work": membership.has(Permission.WORK_CASES),
        "workers": workers,
    }
    return render_page(
        request, "loop/case_list.html", context, partial="loop/partials/case_table.html"
    )


def _filters(form: CaseFilterForm) -> selectors.CaseFilters:
    if not form.is_bound or not form.is_valid():
        return selectors.CaseFilters()
    data = form.cleaned_data
    return selectors.CaseFilters(
        status=data.get("status") or "open",
        unit=data.get("unit"),
        owner=data.get("owner") or None,
        is_overdue=bool(data.get("overdue")),
        priority=data.get("priority") or "",
    )


def _without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@require_POST
@member_view(Permission.WORK_CASES)
def case_bulk(request: HttpRequest) -> HttpResponse:
    """Assign or close the ticked cases (those the member may see; others are ignored)."""
    organisation = request.organisation
    visible = selectors.cases_visible_to(request.membership)
    ids = [int(value) for value in request.POST.getlist("cases") if value.isdigit()]
    chosen = list(visible.filter(pk__in=ids))
    form = BulkForm(organisation, [case.pk for case in chosen], request.POST)
    back = reverse("case-list", args=[organisation.slug])
    query = request.POST.get("next_query", "")
    if not form.is_valid():
        messages.error(request, _("Tick at least one case and choose an action."))
        return redirect(f"{back}?{query}" if query else back)
    done, failed = _apply_bulk(request, form, chosen)
    if done:
        messages.success(request, _("%d case(s) updated.") % done)
    if failed:
        messages.error(request, _("%d case(s) could not be changed.") % failed)
    return redirect(f"{back}?{query}" if query else back)


def _apply_bulk(request: HttpRequest, form: BulkForm, cases: list[Case]) -> tuple[int, int]:
    done = failed = 0
    action, owner, actor = (
        form.cleaned_data["action"],
        form.cleaned_data.get("owner"),
        _actor(request),
    )
    for case in cases:
        try:
            if action == "assign":
                services.assign_case(case, owner, actor=actor)
            elif case.status != CaseStatus.CLOSED:
                services.change_status(case, CaseStatus.CLOSED, actor=actor)
            done += 1
        except ServiceError:
            failed += 1
    return done, failed


# --- the case page --------------------------------------------------------------------------


@member_view(Permission.VIEW)
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    """Show a case: the feedback and its answers beside the log, and what can be done."""
    case = _visible_case(request, case_id)
    services.mark_seen(case, request.membership)
    return render(request, "loop/case_detail.html", _case_context(request, case))


def _case_context(request: HttpRequest, case: Case, **forms) -> dict:
    organisation = request.organisation
    response = case.response
    return {
        "case": case,
        "nav": "cases",
        "now": timezone.now(),
        "log": selectors.log_of(case),
        "answers": _answers(response) if response else [],
        "nearby": selectors.nearby_feedback(case),
        "history": selectors.customer_history(case),
        "can_work": request.membership.has(Permission.WORK_CASES),
        "is_open": case.status in OPEN_STATUSES,
        "follow_up_form": forms.get("follow_up_form") or FollowUpForm(),
        "status_form": StatusForm(),
        "resolve_form": forms.get("resolve_form") or ResolveForm(organisation),
        "reopen_form": ReopenForm(),
        "assign_form": AssignForm(organisation, initial={"owner": case.owner_id}),
    }


def _answers(response) -> list[dict]:
    """Return the response's answers with their question texts, in the survey's order."""
    definition = response.version.parsed()
    values = response_as_dict(response)["answers"]
    return [
        {"question": question, "display": _display(values[question.key])}
        for question in definition.questions
        if question.key in values
    ]


def _display(value: object) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _done(request: HttpRequest, case: Case, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("case-detail", request.organisation.slug, case.pk)


def _refused(request: HttpRequest, case: Case, error: ServiceError, **forms) -> HttpResponse:
    if not forms:
        messages.error(request, error.message)
        return redirect("case-detail", request.organisation.slug, case.pk)
    for form in forms.values():
        apply_service_error(form, error)
    return render(
        request, "loop/case_detail.html", _case_context(request, case, **forms), status=422
    )


@require_POST
@member_view(Permission.WORK_CASES)
def case_follow_up(request: HttpRequest, case_id: int) -> HttpResponse:
    """Add a note, a call, a reply or a gesture to the case's log."""
    case = _visible_case(request, case_id)
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "loop/case_detail.html",
            _case_context(request, case, follow_up_form=form),
            status=422,
        )
    try:
        services.add_event(case, form.follow_up(), actor=_actor(request))
    except ServiceError as error:
        return _refused(request, case, error, follow_up_form=form)
    return _done(request, case, _("Added to the log."))


@require_POST
@member_view(Permission.WORK_CASES)
def case_status(request: HttpRequest, case_id: int) -> HttpResponse:
    """Move the case to another status (in progress, waiting on the customer, closed)."""
    case = _visible_case(request, case_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return redirect("case-detail", request.organisation.slug, case.pk)
    try:
        services.change_status(case, form.cleaned_data["status"], actor=_actor(request))
    except ServiceError as error:
        return _refused(request, case, error)
    return _done(request, case, _("Status changed."))


@require_POST
@member_view(Permission.WORK_CASES)
def case_resolve(request: HttpRequest, case_id: int) -> HttpResponse:
    """Resolve the case with a resolution and root cause from the organisation's lists."""
    case = _visible_case(request, case_id)
    form = ResolveForm(request.organisation, request.POST)
    if not form.is_valid():
        return render(
            request,
            "loop/case_detail.html",
            _case_context(request, case, resolve_form=form),
            status=422,
        )
    try:
        services.resolve_case(case, form.resolution(), actor=_actor(request))
    except ServiceError as error:
        return _refused(request, case, error, resolve_form=form)
    return _done(request, case, _("Case resolved."))


@require_POST
@member_view(Permission.WORK_CASES)
def case_reopen(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _visible_case(request, case_id)
    form = ReopenForm(request.POST)
    reason = form.cleaned_data.get("reason", "") if form.is_valid() else ""
    try:
        services.reopen_case(case, reason=reason, actor=_actor(request))
    except ServiceError as error:
        return _refused(request, case, error)
    return _done(request, case, _("Case reopened."))


@require_POST
@member_view(Permission.WORK_CASES)
def case_assign(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _visible_case(request, case_id)
    form = AssignForm(request.organisation, request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a member who works cases."))
        return redirect("case-detail", request.organisation.slug, case.pk)
    try:
        services.assign_case(case, form.cleaned_data.get("owner"), actor=_actor(request))
    except ServiceError as error:
        return _refused(request, case, error)
    return _done(request, case, _("Owner changed."))


# --- the inbox ------------------------------------------------------------------------------


@member_view(Permission.WORK_CASES)
def inbox(request: HttpRequest) -> HttpResponse:
    """Show what needs the member now; htmx refreshes the content every 30 seconds."""
    box = selectors.inbox_for(request.membership, now=timezone.now())
    feedback = [
        {"response": response, "score": services.score_summary(response)}
        for response in box.feedback
    ]
    context = {"inbox": box, "feedback": feedback, "nav": "inbox"}
    return render_page(request, "loop/inbox.html", context, partial="loop/partials/inbox_body.html")


# --- rules ----------------------------------------------------------------------------------


@member_view(Permission.MANAGE_RULES)
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = selectors.rules_of(request.organisation)
    return render(request, "loop/rule_list.html", {"rules": rules, "nav": "rules"})


@member_view(Permission.MANAGE_RULES)
def rule_create(request: HttpRequest) -> HttpResponse:
    """Create a rule, switched off: the next page tries it against the last 30 days."""
    return _rule_form(request, None)


@member_view(Permission.MANAGE_RULES)
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_scoped_or_404(Rule, request.organisation, pk=rule_id)
    return _rule_form(request, rule)


def _rule_form(request: HttpRequest, rule: Rule | None) -> HttpResponse:
    organisation = request.organisation
    initial, rows = rule_initial(rule) if rule else ({}, [])
    data = request.POST if request.method == "POST" else None
    form = RuleForm(organisation, data, initial=initial)
    conditions = condition_formset(organisation, data, initial=rows)
    if data is not None and form.is_valid() and conditions.is_valid():
        chosen = [row.as_condition() for row in conditions]
        rule_input = form.rule_input(
            [condition for condition in chosen if condition],
            is_enabled=bool(rule and rule.is_enabled),
        )
        try:
            if rule is None:
                rule = services.create_rule(organisation, rule_input, actor=_actor(request))
            else:
                rule = services.update_rule(rule, rule_input, actor=_actor(request))
        except ServiceError as error:
            _apply_rule_error(form, conditions, error)
        else:
            messages.success(request, _("Rule saved. Here is what it would have done."))
            return redirect("rule-try", organisation.slug, rule.pk)
    context = {"form": form, "conditions": conditions, "rule": rule, "nav": "rules"}
    is_refused = data is not None and (bool(form.errors) or not conditions.is_valid())
    return render(request, "loop/rule_edit.html", context, status=422 if is_refused else 200)


def _apply_rule_error(form: RuleForm, conditions, error: ServiceError) -> None:
    """Put each message beside its field: "conditions.1.value" on the second row's value."""
    for path, texts in error.errors.items():
        parts = path.split(".")
        row = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        if parts[0] == "conditions" and row is not None and row < len(conditions.forms):
            target = conditions.forms[row]
            name = parts[2] if len(parts) > 2 and parts[2] in target.fields else None
            for text in texts:
                target.add_error(name, text)
            continue
        name = parts[0] if parts[0] in form.fields else None
        for text in texts:
            form.add_error(name, text if name else f"{path}: {text}" if path != "__all__" else text)
    if not error.errors:
        form.add_error(None, error.message)


@member_view(Permission.MANAGE_RULES)
def rule_try(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Show what a rule would have done over the last 30 days, before it is switched on."""
    rule = get_scoped_or_404(
        Rule.objects.select_related("unit", "survey"), request.organisation, pk=rule_id
    )
    result = services.try_rule(request.organisation, rule)
    samples = [
        {"response": response, "score": services.score_summary(response)}
        for response in result.samples
    ]
    return render(
        request,
        "loop/rule_try.html",
        {"rule": rule, "result": result, "samples": samples, "nav": "rules"},
    )


@require_POST
@member_view(Permission.MANAGE_RULES)
def rule_toggle(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Switch a rule on or off."""
    rule = get_scoped_or_404(Rule, request.organisation, pk=rule_id)
    is_enabled = request.POST.get("enable") == "1"
    services.set_rule_enabled(rule, is_enabled, actor=_actor(request))
    messages.success(request, _("Rule switched on.") if is_enabled else _("Rule switched off."))
    return redirect("rule-list", request.organisation.slug)


# --- the loop dashboard ---------------------------------------------------------------------


@member_view(Permission.VIEW)
def loop_dashboard(request: HttpRequest) -> HttpResponse:
    """Show how the loop closes: speed, deadlines, follow-up, root causes; CSV on request."""
    membership, now = request.membership, timezone.now()
    units = visible_units(membership)
    form = MetricsForm(units, request.GET or None)
    start, end = metrics.default_period(request.organisation, now)
    unit = membership.unit if membership.is_unit_scoped else None
    group_by = "unit"
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        start, end = data.get("date_from") or start, data.get("date_to") or end
        unit, group_by = data.get("unit") or unit, data.get("group_by") or "unit"
        for field, message in metrics.period_errors(start, end):
            form.add_error("date_from" if field == "from" else "date_to", message)
    if form.errors:
        start, end = metrics.default_period(request.organisation, now)
    query = metrics.MetricsQuery(request.organisation, start, end, unit=unit, group_by=group_by)
    result = metrics.loop_metrics(query, now=now)
    if request.GET.get("format") == "csv":
        return _metrics_csv(result)
    context = {
        "form": form,
        "result": result,
        "nav": "cases",
        "headlines": dashboard.headlines(result),
        "figures": metrics.FIGURES,
        "rows": dashboard.table(result),
        "share_charts": dashboard.share_charts(result),
        "root_cause_chart": dashboard.root_cause_chart(result),
        "csv_query": _with_csv(request),
    }
    return render(request, "loop/dashboard.html", context)


def _with_csv(request: HttpRequest) -> str:
    params = request.GET.copy()
    params["format"] = "csv"
    return params.urlencode()


def _metrics_csv(result: metrics.LoopMetrics) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"loop-{result.query.start:%Y%m%d}-{result.query.end:%Y%m%d}-{result.query.group_by}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    for row in metrics.csv_rows(result):
        writer.writerow([neutralise_cell(cell) for cell in row])
    return response


# --- deliveries that gave up ----------------------------------------------------------------

DEAD_LETTERS_PER_PAGE = 50


@member_view(Permission.MANAGE_RULES)
def dead_letter_list(request: HttpRequest) -> HttpResponse:
    """List the alerts and webhook calls that gave up after every retry, newest first."""
    messages_page = Paginator(
        notify_selectors.dead_messages(request.organisation), DEAD_LETTERS_PER_PAGE
    ).get_page(request.GET.get("page"))
    letters = notify_selectors.describe(request.organisation, list(messages_page.object_list))
    context = {"page": messages_page, "letters": letters, "nav": "rules"}
    return render(request, "loop/dead_letters.html", context)


@require_POST
@member_view(Permission.MANAGE_RULES)
def dead_letter_retry(request: HttpRequest, message_id: int) -> HttpResponse:
    """Queue one message that gave up for one more try, now."""
    if services.retry_delivery(request.organisation, message_id, actor=_actor(request)):
        messages.success(request, _("Queued: the worker sends it within seconds."))
    else:
        messages.error(request, _("This message is no longer waiting to be sent again."))
    return redirect("dead-letter-list", request.organisation.slug)


# --- the member's digest ----------------------------------------------------------------------


@member_view(Permission.VIEW)
def digest_settings(request: HttpRequest) -> HttpResponse:
    """Let a member choose a daily or weekly digest (or none), its hour and time zone."""
    subscription = services.subscription_of(request.membership)
    initial = {
        "frequency": subscription.frequency,
        "hour": subscription.hour,
        "weekday": subscription.weekday,
        "time_zone": subscription.time_zone,
    }
    form = DigestForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.set_digest_preference(request.membership, form.preference())
            except ServiceError as error:
                apply_service_error(form, error)
            else:
                messages.success(request, _("Digest settings saved."))
                return redirect("digest-settings", request.organisation.slug)
        status = 422
    context = {
        "form": form,
        "subscription": subscription,
        "zone": services.digest_zone(subscription),
        "nav": "inbox",
    }
    return render(request, "loop/digest_settings.html", context, status=status)
