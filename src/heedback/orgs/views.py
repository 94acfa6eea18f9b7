"""Staff pages of the orgs app: log-in, units, members, API keys and the audit log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heedback.core.errors import NotFound, ServiceError
from heedback.orgs import selectors, services
from heedback.orgs.access import member_view
from heedback.orgs.choices import Role
from heedback.orgs.forms import (
    AcceptInvitationForm,
    ApiKeyForm,
    EmailAuthenticationForm,
    InviteForm,
    MemberRoleForm,
    OutboxPasswordResetForm,
    UnitForm,
    apply_service_error,
)
from heedback.orgs.models import ApiKey, Membership
from heedback.orgs.permissions import Permission
from heedback.orgs.tenancy import get_scoped_or_404


def client_address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def home(request: HttpRequest) -> HttpResponse:
    """Send a member to their organisation's overview (or let them choose among several).

    Front-line staff land on their own feedback, which is what their day is about.
    """
    if not request.user.is_authenticated:
        return redirect("login")
    memberships = list(selectors.memberships_of_user(request.user))
    if len(memberships) == 1:
        landing = "front-line" if memberships[0].role == Role.FRONTLINE else "dashboard"
        return redirect(landing, memberships[0].organisation.slug)
    return render(request, "orgs/home.html", {"memberships": memberships})


def health(request: HttpRequest) -> JsonResponse:
    """Answer the load balancer: the process is up and the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


class ThrottledLoginView(auth_views.LoginView):
    """Django's log-in, refusing further tries after repeated failures for a name or address."""

    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        username = request.POST.get("username", "").strip().lower()
        if services.is_login_throttled(username, client_address(request)):
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, _("Too many failed attempts. Wait 15 minutes and try again."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form) -> HttpResponse:
        services.record_login_failure(
            form.data.get("username", "").strip(), client_address(self.request)
        )
        return super().form_invalid(form)

    def form_valid(self, form) -> HttpResponse:
        services.clear_login_failures(form.get_user().get_username())
        return super().form_valid(form)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Join an organisation from an emailed invitation, creating the account if needed."""
    try:
        invitation = services.find_invitation(token)
    except NotFound:
        return render(request, "orgs/invitation_invalid.html", status=404)
    existing = get_user_model().objects.filter(username=invitation.email.lower()).first()
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST":
        if request.user.is_authenticated and request.user.email.lower() == invitation.email.lower():
            user = request.user
        elif existing is None and form.is_valid():
            user = services.create_user(
                email=invitation.email,
                password=form.cleaned_data["password"],
                name=form.cleaned_data["name"],
            )
        else:
            user = None
            if existing is not None:
                messages.error(
                    request, _("Log in as %s first, then open the link again.") % invitation.email
                )
        if user is not None:
            services.accept_invitation(token, user)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to %s.") % invitation.organisation.name)
            return redirect("survey-list", invitation.organisation.slug)
    return render(
        request,
        "orgs/invitation_accept.html",
        {"invitation": invitation, "form": form, "has_account": existing is not None},
    )


@member_view(Permission.VIEW)
def unit_list(request: HttpRequest) -> HttpResponse:
    """Show the unit tree; admins add units here."""
    organisation = request.organisation
    can_manage = request.membership.has(Permission.MANAGE_UNITS)
    form = UnitForm(organisation, request.POST or None)
    if request.method == "POST":
        if not can_manage:
            return HttpResponse(status=403)
        if form.is_valid():
            try:
                services.create_unit(
                    organisation,
                    name=form.cleaned_data["name"],
                    parent=form.cleaned_data["parent"],
                    kind=form.cleaned_data["kind"],
                    actor=request.user,
                )
            except ServiceError as error:
                apply_service_error(form, error)
            else:
                messages.success(request, _("Unit added."))
                return redirect("unit-list", organisation.slug)
    units = selectors.units_of(organisation).select_related("parent")
    return render(
        request,
        "orgs/unit_list.html",
        {"units": units, "form": form, "can_manage": can_manage, "nav": "units"},
    )


@member_view(Permission.MANAGE_MEMBERS)
def member_list(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    return render(
        request,
        "orgs/member_list.html",
        {
            "memberships": selectors.memberships_of(organisation),
            "invite_form": InviteForm(organisation),
            "nav": "members",
        },
    )


@require_POST
@member_view(Permission.MANAGE_MEMBERS)
def member_invite(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    form = InviteForm(organisation, request.POST)
    if form.is_valid():
        accept_url = request.build_absolute_uri(reverse("invitation-accept", args=["TOKEN"]))
        try:
            services.invite_member(
                organisation,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                unit=form.cleaned_data["unit"],
                actor=request.membership,
                accept_url=accept_url.replace("TOKEN", "{token}"),
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Invitation sent to %s.") % form.cleaned_data["email"])
            return redirect("member-list", organisation.slug)
    return render(
        request,
        "orgs/member_list.html",
        {
            "memberships": selectors.memberships_of(organisation),
            "invite_form": form,
            "nav": "members",
        },
        status=422,
    )


@member_view(Permission.MANAGE_MEMBERS)
def member_edit(request: HttpRequest, membership_id: int) -> HttpResponse:
    organisation = request.organisation
    membership = get_scoped_or_404(
        Membership.objects.select_related("user", "unit"), organisation, pk=membership_id
    )
    form = MemberRoleForm(
        organisation,
        request.POST or None,
        initial={"role": membership.role, "unit": membership.unit},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.change_role(
                membership,
                role=form.cleaned_data["role"],
                unit=form.cleaned_data["unit"],
                actor=request.membership,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Role changed."))
            return redirect("member-list", organisation.slug)
    return render(
        request, "orgs/member_edit.html", {"member": membership, "form": form, "nav": "members"}
    )


@require_POST
@member_view(Permission.MANAGE_MEMBERS)
def member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_scoped_or_404(
        Membership.objects.select_related("user"), request.organisation, pk=membership_id
    )
    try:
        services.remove_member(membership, actor=request.membership)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Member removed."))
    return redirect("member-list", request.organisation.slug)


@member_view(Permission.MANAGE_API_KEYS)
def api_key_list(request: HttpRequest) -> HttpResponse:
    """List keys; creating one shows its secret on this page, once."""
    organisation = request.organisation
    form = ApiKeyForm(organisation, request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_api_key(
                organisation,
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                survey=form.cleaned_data["survey"],
                actor=request.user,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            new_secret = created.secret
            form = ApiKeyForm(organisation)
    return render(
        request,
        "orgs/api_key_list.html",
        {
            "api_keys": selectors.api_keys_of(organisation),
            "form": form,
            "new_secret": new_secret,
            "nav": "api-keys",
        },
    )


@require_POST
@member_view(Permission.MANAGE_API_KEYS)
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    api_key = get_scoped_or_404(ApiKey, request.organisation, pk=key_id)
    services.revoke_api_key(api_key, actor=request.user)
    messages.success(request, _("Key “%s” revoked.") % api_key.name)
    return redirect("api-key-list", request.organisation.slug)


@member_view(Permission.VIEW_AUDIT)
def audit_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.audit_of(request.organisation), 50).get_page(request.GET.get("page"))
    return render(request, "orgs/audit_list.html", {"page": page, "nav": "audit"})
