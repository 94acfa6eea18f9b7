"""Service plan pages: the plans, a new plan, one plan against its actuals, its PDF."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heedback.continuum import internal, pdf, plan_report, plan_services
from heedback.continuum.forms import PlanForm, TargetForm
from heedback.continuum.models import ServicePlan, ServiceTarget
from heedback.core.errors import ServiceError
from heedback.customers.selectors import value_tiers
from heedback.orgs.access import member_view
from heedback.orgs.forms import apply_service_error
from heedback.orgs.permissions import Permission
from heedback.orgs.selectors import visible_units
from heedback.orgs.tenancy import get_scoped_or_404


def _visible_paths(request: HttpRequest) -> tuple[str, ...] | None:
    membership = request.membership
    return (membership.unit.path,) if membership.is_unit_scoped else None


@member_view(Permission.VIEW)
def plan_list(request: HttpRequest) -> HttpResponse:
    """List the organisation's service plans, newest period first."""
    context = {
        "nav": "continuum",
        "plans": plan_report.plans_of(request.organisation),
        "can_edit": request.membership.has(Permission.EDIT_SURVEYS),
    }
    return render(request, "continuum/plans.html", context)


@member_view(Permission.EDIT_SURVEYS)
def plan_create(request: HttpRequest) -> HttpResponse:
    """Start a plan: its name, period and survey; targets are added on the plan's page."""
    organisation = request.organisation
    form = PlanForm(internal.customer_surveys(organisation), request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = plan_services.PlanInput(organisation=organisation, **form.cleaned_data)
        try:
            plan = plan_services.create_plan(data, actor=request.user)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Plan created. Add its targets below."))
            return redirect("continuum-plan", organisation.slug, plan.pk)
    context = {"nav": "continuum", "form": form}
    return render(
        request, "continuum/plan_create.html", context, status=422 if form.errors else 200
    )


@member_view(Permission.VIEW)
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Show each target of a plan against its actual, with the interval and the standing."""
    organisation, membership = request.organisation, request.membership
    plan = get_scoped_or_404(plan_report.plans_of(organisation), organisation, pk=plan_id)
    report = plan_report.plan_report(plan, visible_unit_paths=_visible_paths(request))
    can_edit = membership.has(Permission.EDIT_SURVEYS)
    context = {
        "nav": "continuum",
        "plan": plan_report.plan_out(report),
        "can_edit": can_edit,
        "form": TargetForm(visible_units(membership)) if can_edit else None,
        "segments": value_tiers(organisation) if can_edit else [],
    }
    return render(request, "continuum/plan.html", context)


@require_POST
@member_view(Permission.EDIT_SURVEYS)
def plan_target_add(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Add one target to a plan; a bad target is shown on the plan's form."""
    organisation, membership = request.organisation, request.membership
    plan = get_scoped_or_404(plan_report.plans_of(organisation), organisation, pk=plan_id)
    form = TargetForm(visible_units(membership), request.POST)
    if form.is_valid():
        item = plan_services.TargetInput(**form.cleaned_data)
        try:
            plan_services.add_target(plan, item, actor=request.user)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Target added."))
            return redirect("continuum-plan", organisation.slug, plan.pk)
    report = plan_report.plan_report(plan, visible_unit_paths=_visible_paths(request))
    context = {
        "nav": "continuum",
        "plan": plan_report.plan_out(report),
        "can_edit": True,
        "form": form,
        "segments": value_tiers(organisation),
    }
    return render(request, "continuum/plan.html", context, status=422)


@require_POST
@member_view(Permission.EDIT_SURVEYS)
def plan_target_remove(request: HttpRequest, target_id: int) -> HttpResponse:
    """Remove one target from its plan."""
    organisation = request.organisation
    target = get_scoped_or_404(ServiceTarget, organisation, pk=target_id)
    plan_id = target.plan_id
    plan_services.remove_target(target, actor=request.user)
    messages.success(request, _("Target removed."))
    return redirect("continuum-plan", organisation.slug, plan_id)


@member_view(Permission.VIEW)
def plan_pdf(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Send the plan as a one-page PDF for the business plan."""
    organisation = request.organisation
    plan: ServicePlan = get_scoped_or_404(
        plan_report.plans_of(organisation), organisation, pk=plan_id
    )
    report = plan_report.plan_report(plan, visible_unit_paths=_visible_paths(request))
    response = HttpResponse(
        pdf.plan_pdf(plan_report.plan_out(report), organisation.name),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'attachment; filename="service-plan-{plan.pk}.pdf"'
    return response
