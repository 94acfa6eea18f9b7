"""Staff pages of the customers app: the list, a customer's page, merge, erasure, settings,
and the loyalty economics page.

Identified customers need ``VIEW_CUSTOMERS`` (owners, admins, managers, front-line staff);
managers and front-line staff see the customers served in their unit's subtree. The
loyalty page shows anonymous figures and needs ``VIEW`` only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heedback.core.errors import ServiceError
from heedback.core.htmx import render_page
from heedback.customers import at_risk, explain, lapse, privacy, selectors, services, timeline
from heedback.customers.forms import (
    CustomerFilterForm,
    EraseForm,
    GuidanceForm,
    LapseRuleForm,
    MergeForm,
    TemperamentForm,
)
from heedback.customers.loyalty_page import loyalty_context
from heedback.customers.models import Customer
from heedback.orgs.access import member_view
from heedback.orgs.forms import apply_service_error
from heedback.orgs.permissions import Permission
from heedback.orgs.selectors import visible_units
from heedback.orgs.tenancy import get_scoped_or_404

CUSTOMERS_PER_PAGE = 50


@dataclass(frozen=True)
class CustomerRow:
    customer: Customer
    status: lapse.LapseStatus


@member_view(Permission.VIEW_CUSTOMERS)
def customer_list(request: HttpRequest) -> HttpResponse:
    """List the customers the member may see; search, and filter lapsed or at-risk ones."""
    organisation, membership = request.organisation, request.membership
    form = CustomerFilterForm(
        visible_units(membership), selectors.value_tiers(organisation), request.GET or None
    )
    now = timezone.now()
    visible = selectors.visible_customers(membership)
    filters = form.filters()
    customers = selectors.filter_customers(visible, filters, now)
    counts = selectors.lapse_counts(visible, now)
    paginator = Paginator(customers, CUSTOMERS_PER_PAGE)
    if filters == selectors.CustomerFilters():
        paginator.count = counts["total"]  # known already: spare a second count
    page = paginator.get_page(request.GET.get("page"))
    rows = [CustomerRow(customer, lapse.status_at(customer.rhythm(), now)) for customer in page]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "nav": "customers",
        "form": form,
        "page": page,
        "rows": rows,
        "counts": counts,
        "query_string": query.urlencode(),
        "can_manage": membership.has(Permission.MANAGE_CUSTOMERS),
        # Lapsed customers can be invited to the win-back survey, ticked or all of them.
        "can_win_back": membership.has(Permission.EDIT_CUSTOMERS),
        "win_back_all": filters.lapsed is True,
        "filter_values": [
            (name, value)
            for name in ("q", "unit", "value_tier", "temperament")
            for value in request.GET.getlist(name)
            if value
        ],
    }
    return render_page(
        request,
        "customers/customer_list.html",
        context,
        partial="customers/partials/customer_results.html",
    )


def _customer_or_404(request: HttpRequest, customer_id: int) -> Customer | HttpResponse:
    """Return the live customer the member may see, a redirect for a merged record, or 404."""
    customer = get_scoped_or_404(
        Customer.objects.filter(erased_at__isnull=True).select_related("temperament_set_by"),
        request.organisation,
        pk=customer_id,
    )
    if customer.merged_into_id is not None:
        return redirect("customer-detail", request.organisation.slug, customer.merged_into_id)
    membership = request.membership
    if (
        membership.is_unit_scoped
        and not selectors.visible_customers(membership).filter(pk=customer.pk).exists()
    ):
        raise Http404("Not a customer of this unit")
    return customer


@member_view(Permission.VIEW_CUSTOMERS)
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Show a customer: status and its reasons, temperament and how to serve it, timeline."""
    customer = _customer_or_404(request, customer_id)
    if isinstance(customer, HttpResponse):
        return customer
    organisation, membership = request.organisation, request.membership
    rule = selectors.lapse_rule(organisation)
    now = timezone.now()
    rhythm = selectors.current_rhythm(customer, rule)
    status = lapse.status_at(rhythm, now)
    before = parse_datetime(request.GET.get("before", "")) if request.GET.get("before") else None
    if before is not None and timezone.is_naive(before):
        before = timezone.make_aware(before, timezone.get_current_timezone())
    history = timeline.assemble(customer, timeline.TimelineWindow(before=before))
    guidance = selectors.guidance_of(organisation)
    context = {
        "nav": "customers",
        "customer": customer,
        "rhythm": rhythm,
        "status": status,
        # The lapse rule's reasons, then the other apps' (open cases, falling scores).
        "reasons": explain.explain_status(status, rule)
        + [
            {"code": signal.code, "message": signal.message}
            for signal in at_risk.signals_of(customer, now)
        ],
        "typical_days": explain.days(rhythm.typical_gap / 86400) if rhythm.typical_gap else "",
        "timeline": history,
        "guidance": guidance.get(customer.temperament),
        "temperament_form": TemperamentForm(initial={"temperament": customer.temperament}),
        "can_edit": membership.has(Permission.EDIT_CUSTOMERS),
        "can_manage": membership.has(Permission.MANAGE_CUSTOMERS),
    }
    return render_page(
        request,
        "customers/customer_detail.html",
        context,
        partial="customers/partials/timeline.html",
    )


@require_POST
@member_view(Permission.EDIT_CUSTOMERS)
def customer_temperament(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Set or clear a customer's temperament, as a member of staff judged it."""
    customer = _customer_or_404(request, customer_id)
    if isinstance(customer, HttpResponse):
        return customer
    form = TemperamentForm(request.POST)
    if form.is_valid():
        services.set_temperament(customer, form.cleaned_data["temperament"], actor=request.user)
        messages.success(request, _("Temperament saved."))
    else:
        messages.error(request, _("Choose one of the four temperaments, or not known."))
    return redirect("customer-detail", request.organisation.slug, customer.pk)


@member_view(Permission.MANAGE_CUSTOMERS)
def customer_merge(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Find a duplicate record of this customer and merge it in, after a look at both."""
    customer = _customer_or_404(request, customer_id)
    if isinstance(customer, HttpResponse):
        return customer
    organisation = request.organisation
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = MergeForm(data)
    other = None
    if form.is_valid():
        other = selectors.find_customer(organisation, form.cleaned_data["other"])
        if other is None or other.pk == customer.pk:
            form.add_error("other", _("No other customer has this number, external id or email."))
            other = None
    if request.method == "POST" and other is not None:
        if not form.cleaned_data["confirm"]:
            form.add_error("confirm", _("Tick the box to confirm the merge."))
        else:
            try:
                privacy.merge_customers(
                    customer, other, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except ServiceError as error:
                apply_service_error(form, error)
            else:
                messages.success(request, _("The two records are now one customer."))
                return redirect("customer-detail", organisation.slug, customer.pk)
    return render(
        request,
        "customers/customer_merge.html",
        {"nav": "customers", "customer": customer, "other": other, "form": form},
        status=422 if request.method == "POST" else 200,
    )


@require_POST
@member_view(Permission.MANAGE_CUSTOMERS)
def customer_export(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Download everything Heedback holds on the customer as JSON (a subject access request)."""
    customer = _customer_or_404(request, customer_id)
    if isinstance(customer, HttpResponse):
        return customer
    data = privacy.export_customer(customer, actor=request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False, default=str),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.json"'
    return response


@member_view(Permission.MANAGE_CUSTOMERS)
def customer_erase(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Erase a customer's personal data everywhere, after an explicit confirmation."""
    customer = _customer_or_404(request, customer_id)
    if isinstance(customer, HttpResponse):
        return customer
    form = EraseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        privacy.erase_customer(customer, actor=request.user)
        messages.success(request, _("The customer's personal data was erased."))
        return redirect("customer-list", request.organisation.slug)
    return render(
        request,
        "customers/customer_erase.html",
        {"nav": "customers", "customer": customer, "form": form},
        status=422 if request.method == "POST" else 200,
    )


@member_view(Permission.MANAGE_CUSTOMERS)
def customer_settings(request: HttpRequest) -> HttpResponse:
    """Show and change the lapse rule and the temperament guidance paragraphs."""
    organisation = request.organisation
    rule = selectors.lapse_rule(organisation)
    guidance = selectors.guidance_of(organisation)
    rule_form = LapseRuleForm(initial=LapseRuleForm.initial_from(rule))
    guidance_forms = {
        key: GuidanceForm(
            prefix=key, initial={"temperament": key, "text": "" if item.is_default else item.text}
        )
        for key, item in guidance.items()
    }
    status = 200
    if request.method == "POST":
        saved, status, rule_form, guidance_forms = _save_settings(
            request, rule_form, guidance_forms
        )
        if saved:
            return redirect("customer-settings", organisation.slug)
    return render(
        request,
        "customers/customer_settings.html",
        {
            "nav": "customers",
            "rule_form": rule_form,
            "rule_sentences": explain.describe_rule(rule),
            "settings": selectors.lapse_settings(organisation),
            "guidance": [(guidance[key], form) for key, form in guidance_forms.items()],
        },
        status=status,
    )


def _save_settings(request: HttpRequest, rule_form, guidance_forms):
    """Save the form the POST names; return (saved, status, rule form, guidance forms)."""
    organisation = request.organisation
    which = request.POST.get("form", "")
    try:
        if which == "rule":
            rule_form = LapseRuleForm(request.POST)
            if rule_form.is_valid():
                services.update_lapse_settings(organisation, rule_form.rule(), actor=request.user)
                messages.success(
                    request, _("Lapse rule saved. Every customer is being judged again.")
                )
                return True, 200, rule_form, guidance_forms
        elif which in guidance_forms:
            form = GuidanceForm(request.POST, prefix=which)
            guidance_forms = {**guidance_forms, which: form}
            if form.is_valid():
                services.update_guidance(
                    organisation, which, form.cleaned_data["text"], actor=request.user
                )
                messages.success(request, _("Guidance saved."))
                return True, 200, rule_form, guidance_forms
    except ServiceError as error:
        apply_service_error(rule_form if which == "rule" else guidance_forms[which], error)
    messages.error(request, _("Nothing was saved: check the form."))
    return False, 422, rule_form, guidance_forms


@member_view(Permission.VIEW)
def loyalty(request: HttpRequest) -> HttpResponse:
    """Show what retention is worth on the organisation's own numbers, with a what-if."""
    context = loyalty_context(request.organisation, request.GET or None)
    context["nav"] = "customers"
    context["customers_url"] = reverse("customer-list", args=[request.organisation.slug])
    return render(request, "customers/loyalty.html", context)
