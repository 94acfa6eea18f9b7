"""The staff pages of the orgs app, through HTTP."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from heedback.notify.services import deliver_due
from heedback.orgs.models import ApiKey, AuditEvent, Membership, Unit
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_log_in_with_email_and_password(admin):
    client = Client()
    page = client.post("/login/", {"username": admin.user.email.upper(), "password": PASSWORD})
    assert page.status_code == 302
    assert client.get("/").status_code == 302  # home sends the member to the overview


def test_login_is_throttled_after_repeated_failures(admin, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    client = Client()
    for _attempt in range(3):
        assert (
            client.post("/login/", {"username": admin.user.email, "password": "wrong"}).status_code
            == 200
        )
    refused = client.post("/login/", {"username": admin.user.email, "password": PASSWORD})
    assert refused.status_code == 429
    assert b"Too many failed attempts" in refused.content
    assert "_auth_user_id" not in client.session


def test_logging_out_needs_a_post(admin_client):
    assert admin_client.get("/logout/").status_code == 405
    assert admin_client.post("/logout/").status_code == 302
    assert admin_client.get("/o/acme/units/").status_code == 302


def test_password_reset_sends_a_working_link_through_the_outbox(admin, smtp_server):
    client = Client()
    client.post("/password-reset/", {"email": admin.user.email})
    client.post("/password-reset/", {"email": "nobody@example.com"})  # says nothing either way
    assert deliver_due() == 1
    [message] = smtp_server.messages
    assert message["To"] == admin.user.email
    body = message.get_content()
    link = re.search(r"http://testserver(/password-reset/\S+/)", body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a new long passphrase", "new_password2": "a new long passphrase"},
    )
    assert done.status_code == 302
    assert Client().login(username=admin.user.username, password="a new long passphrase")


def test_units_page_adds_a_unit_and_reports_errors(admin_client, organisation, root_unit):
    page = admin_client.post(
        "/o/acme/units/", {"name": "North", "kind": "region", "parent": root_unit.pk}
    )
    assert page.status_code == 302
    assert Unit.objects.filter(organisation=organisation, name="North", parent=root_unit).exists()
    again = admin_client.post(
        "/o/acme/units/", {"name": "North", "kind": "region", "parent": root_unit.pk}
    )
    assert again.status_code == 200
    assert (
        "A unit with this name exists under the same parent." in again.content.decode()
        or "taken" in again.content.decode()
    )
    assert Unit.objects.filter(organisation=organisation, name="North").count() == 1


def test_a_viewer_cannot_add_units(organisation, make_member):
    viewer = make_member(organisation, "viewer")
    client = Client()
    client.force_login(viewer.user)
    assert client.get("/o/acme/units/").status_code == 200
    assert client.post("/o/acme/units/", {"name": "X", "kind": "team"}).status_code == 403
    assert not Unit.objects.filter(name="X").exists()


def test_invite_and_accept_through_the_pages(admin_client, organisation):
    page = admin_client.post(
        "/o/acme/members/invite/", {"email": "fresh@example.com", "role": "viewer"}
    )
    assert page.status_code == 302
    deliver_due()
    [message] = mail.outbox
    link = re.search(r"http://testserver(/invitations/\S+/)", message.body).group(1)
    newcomer = Client()
    form = newcomer.get(link)
    assert b"Join Acme Hotels" in form.content
    joined = newcomer.post(link, {"name": "Fresh Face", "password": "a long enough passphrase"})
    assert joined.status_code == 302
    membership = Membership.objects.get(user__email="fresh@example.com")
    assert (membership.role, membership.user.first_name) == ("viewer", "Fresh")
    assert newcomer.get(link).status_code == 404


def test_an_api_key_is_shown_once_and_audited(admin_client, organisation):
    page = admin_client.post("/o/acme/api-keys/", {"name": "CRM sync", "role": "admin"})
    secret = re.search(rb'data-testid="new-api-key">([^<]+)<', page.content).group(1).decode()
    key = ApiKey.objects.get(name="CRM sync")
    assert secret.startswith(f"hb_{key.prefix}_")
    listing = admin_client.get("/o/acme/api-keys/")
    assert secret.encode() not in listing.content
    assert AuditEvent.objects.filter(action="api_key.create", target="CRM sync").count() == 1
    audit = admin_client.get("/o/acme/audit/")
    assert b"api_key.create" in audit.content


def test_changing_a_role_through_the_page(admin_client, organisation, make_member):
    viewer = make_member(organisation, "viewer")
    page = admin_client.post(f"/o/acme/members/{viewer.pk}/", {"role": "analyst"})
    assert page.status_code == 302
    assert Membership.objects.get(pk=viewer.pk).role == "analyst"
    bad = admin_client.post(f"/o/acme/members/{viewer.pk}/", {"role": "frontline"})
    assert bad.status_code == 200
    assert b"Managers and front-line staff belong to a unit." in bad.content
    assert Membership.objects.get(pk=viewer.pk).role == "analyst"


def test_the_health_check_answers(db):
    assert Client().get("/healthz").json() == {"status": "ok"}


def test_security_headers_on_staff_pages(admin_client):
    page = admin_client.get("/o/acme/units/")
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert "'unsafe-inline'" not in page["Content-Security-Policy"]
    form = admin_client.get("/o/acme/api-keys/")
    assert b'name="csrfmiddlewaretoken"' in form.content


def test_operators_use_djangos_admin_and_members_cannot(
    admin_client, organisation, published_survey
):
    from heedback.orgs.services import create_user

    operator = create_user(email="ops@example.com", password=PASSWORD, is_superuser=True)
    client = Client()
    client.force_login(operator)
    for path in (
        "/admin/",
        "/admin/orgs/organisation/",
        "/admin/surveys/survey/",
        "/admin/collect/response/",
        "/admin/orgs/auditevent/",
    ):
        assert client.get(path).status_code == 200, path
    assert client.get("/admin/orgs/apikey/add/").status_code == 403
    assert admin_client.get("/admin/").status_code == 302  # an organisation admin is no operator
