"""Every route against the policy table: roles × own or foreign organisation.

A route without a row here fails the suite, so no page or API operation can be added
without deciding who may use it.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from heedback.api import api
from heedback.collect import campaigns as campaign_services
from heedback.collect.models import ImportJob, Response, SurveyLink
from heedback.continuum import plan_services as continuum_plan_services
from heedback.continuum import services as continuum_services
from heedback.core.import_jobs import ImportStatus
from heedback.customers import services as customer_services
from heedback.customers.inputs import CustomerInput, InteractionInput
from heedback.customers.models import InteractionImport
from heedback.loop import services as loop_services
from heedback.loop.models import Rule
from heedback.notify.models import OutboxMessage
from heedback.orgs import services as org_services
from heedback.orgs.permissions import Permission, role_allows
from tests.conftest import ApiClient

PUBLIC = "public"
LOGIN = "login"
VIEW, EDIT = Permission.VIEW, Permission.EDIT_SURVEYS
MEMBERS, KEYS, AUDIT = Permission.MANAGE_MEMBERS, Permission.MANAGE_API_KEYS, Permission.VIEW_AUDIT

# route name: (who may use it, the method the matrix sends)
PAGE_POLICY: dict[str, tuple[str | Permission, str]] = {
    "home": (LOGIN, "GET"),
    "health": (PUBLIC, "GET"),
    "login": (PUBLIC, "GET"),
    "logout": (PUBLIC, "POST"),
    "password_reset": (PUBLIC, "GET"),
    "password_reset_done": (PUBLIC, "GET"),
    "password_reset_confirm": (PUBLIC, "GET"),
    "password_reset_complete": (PUBLIC, "GET"),
    "invitation-accept": (PUBLIC, "GET"),
    "respond": (PUBLIC, "GET"),
    "temperament-quiz": (PUBLIC, "GET"),
    "customer-contact": (PUBLIC, "GET"),
    "respond-thanks": (PUBLIC, "GET"),
    "invitation-open": (PUBLIC, "GET"),
    "invitation-page": (PUBLIC, "GET"),
    "invitation-thanks": (PUBLIC, "GET"),
    "invitation-unsubscribe": (PUBLIC, "GET"),
    "campaign-list": (VIEW, "GET"),
    "campaign-create": (EDIT, "GET"),
    "campaign-detail": (VIEW, "GET"),
    "invitation-policy": (EDIT, "GET"),
    "survey-list": (VIEW, "GET"),
    "survey-create": (EDIT, "GET"),
    "survey-detail": (VIEW, "GET"),
    "survey-edit": (EDIT, "GET"),
    "survey-preview": (VIEW, "GET"),
    "survey-publish": (EDIT, "POST"),
    "survey-close": (EDIT, "POST"),
    "survey-question-add": (EDIT, "GET"),
    "survey-question-edit": (EDIT, "GET"),
    "survey-question-move": (EDIT, "POST"),
    "survey-question-delete": (EDIT, "POST"),
    "survey-links": (VIEW, "GET"),
    "survey-paper-entry": (Permission.ENTER_RESPONSES, "GET"),
    "survey-link-card-svg": (VIEW, "GET"),
    "survey-link-card-pdf": (VIEW, "GET"),
    "short-code": (PUBLIC, "GET"),
    "short-code-open": (PUBLIC, "GET"),
    "survey-results": (VIEW, "GET"),
    "survey-drivers": (VIEW, "GET"),
    "perception-gap": (VIEW, "GET"),
    "dashboard": (VIEW, "GET"),
    "dashboard-pdf": (VIEW, "GET"),
    "unit-dashboard": (VIEW, "GET"),
    "front-line": (VIEW, "GET"),
    "scorecards": (VIEW, "GET"),
    "compare": (VIEW, "GET"),
    "insights-settings": (EDIT, "GET"),
    "theme-list": (VIEW, "GET"),
    "theme-curate": (EDIT, "POST"),
    "comment-search": (VIEW, "GET"),
    "survey-import": (EDIT, "GET"),
    "import-job": (EDIT, "GET"),
    "import-confirm": (EDIT, "POST"),
    "import-bad-rows": (EDIT, "GET"),
    "survey-export": (VIEW, "GET"),
    "domain-list": (VIEW, "GET"),
    "domain-add": (EDIT, "POST"),
    "domain-seed": (EDIT, "POST"),
    "domain-edit": (EDIT, "POST"),
    "unit-list": (VIEW, "GET"),
    "continuum": (VIEW, "GET"),
    "continuum-assess": (Permission.ASSESS, "GET"),
    "continuum-units": (VIEW, "GET"),
    "continuum-statements": (EDIT, "GET"),
    "continuum-statement-retire": (EDIT, "POST"),
    "continuum-placement-csv": (VIEW, "GET"),
    "continuum-placement-pdf": (VIEW, "GET"),
    "continuum-internal": (VIEW, "GET"),
    "continuum-internal-csv": (VIEW, "GET"),
    "continuum-plans": (VIEW, "GET"),
    "continuum-plan-create": (EDIT, "GET"),
    "continuum-plan": (VIEW, "GET"),
    "continuum-plan-target-add": (EDIT, "POST"),
    "continuum-plan-target-remove": (EDIT, "POST"),
    "continuum-plan-pdf": (VIEW, "GET"),
    "member-list": (MEMBERS, "GET"),
    "member-invite": (MEMBERS, "POST"),
    "member-edit": (MEMBERS, "GET"),
    "member-remove": (MEMBERS, "POST"),
    "api-key-list": (KEYS, "GET"),
    "api-key-revoke": (KEYS, "POST"),
    "audit-list": (AUDIT, "GET"),
    "customer-list": (Permission.VIEW_CUSTOMERS, "GET"),
    "customer-detail": (Permission.VIEW_CUSTOMERS, "GET"),
    "customer-temperament": (Permission.EDIT_CUSTOMERS, "POST"),
    "customer-merge": (Permission.MANAGE_CUSTOMERS, "GET"),
    "customer-export": (Permission.MANAGE_CUSTOMERS, "POST"),
    "customer-erase": (Permission.MANAGE_CUSTOMERS, "GET"),
    "customer-settings": (Permission.MANAGE_CUSTOMERS, "GET"),
    "customer-loyalty": (VIEW, "GET"),
    "customer-at-risk": (Permission.VIEW_CUSTOMERS, "GET"),
    "customer-at-risk-csv": (Permission.VIEW_CUSTOMERS, "GET"),
    "customer-lapsed-csv": (Permission.VIEW_CUSTOMERS, "GET"),
    "churn-analysis": (Permission.VIEW_CUSTOMERS, "GET"),
    "customer-win-back": (Permission.EDIT_CUSTOMERS, "POST"),
    "interaction-import": (Permission.MANAGE_CUSTOMERS, "GET"),
    "interaction-import-job": (Permission.MANAGE_CUSTOMERS, "GET"),
    "interaction-import-confirm": (Permission.MANAGE_CUSTOMERS, "POST"),
    "interaction-import-bad-rows": (Permission.MANAGE_CUSTOMERS, "GET"),
    "customer-win-back-reasons": (Permission.VIEW_CUSTOMERS, "GET"),
    "inbox": (Permission.WORK_CASES, "GET"),
    "digest-settings": (VIEW, "GET"),
    "case-list": (VIEW, "GET"),
    "case-bulk": (Permission.WORK_CASES, "POST"),
    "loop-dashboard": (VIEW, "GET"),
    "case-detail": (VIEW, "GET"),
    "case-follow-up": (Permission.WORK_CASES, "POST"),
    "case-status": (Permission.WORK_CASES, "POST"),
    "case-resolve": (Permission.WORK_CASES, "POST"),
    "case-reopen": (Permission.WORK_CASES, "POST"),
    "case-assign": (Permission.WORK_CASES, "POST"),
    "rule-list": (Permission.MANAGE_RULES, "GET"),
    "rule-create": (Permission.MANAGE_RULES, "GET"),
    "rule-edit": (Permission.MANAGE_RULES, "GET"),
    "rule-try": (Permission.MANAGE_RULES, "GET"),
    "rule-toggle": (Permission.MANAGE_RULES, "POST"),
    "dead-letter-list": (Permission.MANAGE_RULES, "GET"),
    "dead-letter-retry": (Permission.MANAGE_RULES, "POST"),
}

# (method, path under /api): permission of the key
API_POLICY: dict[tuple[str, str], Permission] = {
    ("GET", "/v1/units"): VIEW,
    ("POST", "/v1/units"): Permission.WRITE_API,
    ("GET", "/v1/units/{unit_id}"): VIEW,
    ("GET", "/v1/templates"): VIEW,
    ("GET", "/v1/surveys"): VIEW,
    ("POST", "/v1/surveys"): Permission.WRITE_API,
    ("GET", "/v1/surveys/{survey_id}"): VIEW,
    ("PUT", "/v1/surveys/{survey_id}/draft"): Permission.WRITE_API,
    ("POST", "/v1/surveys/{survey_id}/publish"): Permission.WRITE_API,
    ("POST", "/v1/surveys/{survey_id}/responses"): Permission.WRITE_API,
    ("POST", "/v1/surveys/{survey_id}/responses/batch"): Permission.WRITE_API,
    ("GET", "/v1/surveys/{survey_id}/responses"): VIEW,
    ("GET", "/v1/responses/{response_id}"): VIEW,
    ("GET", "/v1/surveys/{survey_id}/links"): VIEW,
    ("GET", "/v1/continuum/instrument"): VIEW,
    ("POST", "/v1/continuum/assessments"): Permission.WRITE_API,
    ("GET", "/v1/continuum/placement"): VIEW,
    ("GET", "/v1/continuum/internal-customers"): VIEW,
    ("GET", "/v1/continuum/plans"): VIEW,
    ("POST", "/v1/continuum/plans"): Permission.WRITE_API,
    ("GET", "/v1/continuum/plans/{plan_id}"): VIEW,
    ("GET", "/v1/surveys/{survey_id}/export"): VIEW,
    ("GET", "/v1/metrics"): VIEW,
    ("GET", "/v1/drivers"): VIEW,
    ("GET", "/v1/perception-gap"): VIEW,
    ("GET", "/v1/scorecards"): VIEW,
    ("POST", "/v1/customers"): Permission.WRITE_API,
    ("GET", "/v1/customers"): Permission.VIEW_CUSTOMERS,
    ("GET", "/v1/customers/{customer_id}"): Permission.VIEW_CUSTOMERS,
    ("GET", "/v1/customers/at-risk"): Permission.VIEW_CUSTOMERS,
    ("POST", "/v1/interactions"): Permission.WRITE_API,
    ("GET", "/v1/churn"): VIEW,
    ("GET", "/v1/churn/last-feedback"): Permission.VIEW_CUSTOMERS,
    ("POST", "/v1/customers/win-back"): Permission.WRITE_API,
    ("GET", "/v1/customers/win-back/reasons"): Permission.VIEW_CUSTOMERS,
    ("GET", "/v1/cases"): VIEW,
    ("GET", "/v1/cases/metrics"): VIEW,
    ("GET", "/v1/cases/{case_id}"): VIEW,
    ("PATCH", "/v1/cases/{case_id}"): Permission.WRITE_API,
    ("POST", "/v1/cases/{case_id}/events"): Permission.WRITE_API,
    ("GET", "/v1/rules"): VIEW,
    ("POST", "/v1/rules"): Permission.WRITE_API,
    ("GET", "/v1/rules/{rule_id}"): VIEW,
    ("PUT", "/v1/rules/{rule_id}"): Permission.WRITE_API,
    ("GET", "/v1/rules/{rule_id}/try"): VIEW,
    ("GET", "/v1/webhooks"): VIEW,
    ("POST", "/v1/webhooks"): Permission.WRITE_API,
    ("GET", "/v1/themes"): VIEW,
    ("GET", "/v1/comments/search"): VIEW,
    ("POST", "/v1/campaigns"): Permission.WRITE_API,
    ("GET", "/v1/campaigns"): VIEW,
    ("GET", "/v1/campaigns/{campaign_id}"): VIEW,
    ("POST", "/v1/campaigns/{campaign_id}/contacts"): Permission.WRITE_API,
    ("POST", "/v1/bounces"): Permission.WRITE_API,
    ("POST", "/v1/mentions"): Permission.WRITE_API,
}

# What a key scoped to one survey may use, on that survey only; everything else is a 404.
SURVEY_KEY_OPERATIONS = {
    ("GET", "/v1/surveys/{survey_id}"),
    ("POST", "/v1/surveys/{survey_id}/responses"),
    ("POST", "/v1/surveys/{survey_id}/responses/batch"),
    ("GET", "/v1/surveys/{survey_id}/responses"),
    ("GET", "/v1/surveys/{survey_id}/links"),
    ("GET", "/v1/surveys/{survey_id}/export"),
    ("GET", "/v1/responses/{response_id}"),
}

ROLES = ["owner", "admin", "manager", "frontline", "analyst", "viewer"]


def named_routes(
    resolver: URLResolver | None = None, namespace: str = ""
) -> list[tuple[str, URLPattern]]:
    """Return (name, pattern) for every route outside the admin and the API (checked apart)."""
    routes = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in {"admin", "api"}:
                continue
            routes.extend(named_routes(entry, entry.namespace or namespace))
        else:
            routes.append((entry.name or f"<unnamed {entry.pattern}>", entry))
    return routes


def api_operations() -> list[tuple[str, str, object]]:
    operations = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    operations.append(
                        (method, (prefix.rstrip("/") + path) or "/", operation.view_func)
                    )
    return operations


def test_every_page_route_has_a_policy_row():
    names = {name for name, _pattern in named_routes()}
    assert names == set(PAGE_POLICY), {
        "routes without a policy row": sorted(names - set(PAGE_POLICY)),
        "policy rows without a route": sorted(set(PAGE_POLICY) - names),
    }


def test_page_decorators_declare_the_policy_permission():
    for name, pattern in named_routes():
        who, _method = PAGE_POLICY[name]
        declared = getattr(pattern.callback, "required_permission", None)
        if isinstance(who, Permission):
            assert declared == who, f"{name} declares {declared}, the policy says {who}"
        else:
            assert declared is None, f"{name} is {who} but declares {declared}"


def test_every_api_operation_has_a_policy_row_and_declares_it():
    found = {(method, path): view for method, path, view in api_operations()}
    assert set(found) == set(API_POLICY)
    for key, view in found.items():
        assert getattr(view, "required_permission", None) == API_POLICY[key], key
        assert getattr(view, "allows_survey_keys", None) == (key in SURVEY_KEY_OPERATIONS), key


@pytest.fixture
def world(organisation, other_organisation, hotel, published_survey, make_member, make_api_client):
    """One of everything a route can name, all in organisation 'acme'."""
    target = make_member(organisation, "viewer")
    key = org_services.create_api_key(organisation, name="target key").api_key
    link = SurveyLink.objects.get(survey=published_survey, unit=hotel)
    answered = make_api_client(organisation).post(
        f"/api/v1/surveys/{published_survey.pk}/responses",
        {"idempotency_key": "w1", "unit": hotel.pk, "answers": {"nps": 7}},
    )
    assert answered.status_code == 201
    job = ImportJob.objects.create(
        organisation=organisation,
        survey=published_survey,
        file_name="cards.csv",
        file_path="/nonexistent/cards.csv",
        file_format="csv",
        mapping={"answers": {"nps": "nps"}},
        status=ImportStatus.CHECKED,
    )
    case = loop_services.open_case(
        loop_services.CaseOpening(
            organisation=organisation,
            unit=hotel,
            title="Matrix case",
            response=Response.objects.get(),
        )
    )
    plan = continuum_plan_services.create_plan(
        continuum_plan_services.PlanInput(
            organisation=organisation,
            name="Matrix plan",
            starts_on=date(2027, 1, 1),
            ends_on=date(2027, 12, 31),
            targets=[continuum_plan_services.TargetInput("response_hours", 24, hotel)],
        )
    )
    customer, _created = customer_services.upsert_customer(
        organisation, CustomerInput(external_id="W-1", name="Matrix customer")
    )
    customer_services.record_interaction(
        organisation,
        InteractionInput(
            "W-visit", "W-1", "visit", timezone.now() - timedelta(days=1), unit_id=hotel.pk
        ),
    )
    return {
        "org_slug": organisation.slug,
        "survey_id": published_survey.pk,
        "question_key": "nps",
        "domain_key": "quality",
        "membership_id": target.pk,
        "key_id": key.pk,
        "token": link.token,
        "unit_id": hotel.pk,
        "statement_id": continuum_services.add_custom_statement(
            organisation, factor="environment", level=3, text="Matrix statement"
        ).pk,
        "response_id": Response.objects.get().pk,
        "plan_id": plan.pk,
        "target_id": plan.targets.get().pk,
        "customer_id": customer.pk,
        "case_id": case.pk,
        "rule_id": Rule.objects.get(organisation=organisation, system_key="detractor").pk,
        "job_id": job.pk,
        "import_id": InteractionImport.objects.create(
            organisation=organisation,
            file_name="visits.csv",
            file_path="/nonexistent/visits.csv",
            file_format="csv",
            mapping={},
            status="checked",
        ).pk,
        "campaign_id": campaign_services.create_campaign(
            organisation,
            campaign_services.CampaignInput(
                survey=published_survey, name="Matrix campaign", subject="Hi", body="Hello"
            ),
        )[0].pk,
        "message_id": OutboxMessage.objects.create(
            organisation=organisation, idempotency_key="matrix-dead", payload={}, status="dead"
        ).pk,
    }


def page_url(name: str, world: dict, org_slug: str | None = None) -> str:
    pattern = dict(named_routes())[name]
    kwargs = {key: world[key] for key in pattern.pattern.converters}
    if org_slug is not None:
        kwargs = {"org_slug": org_slug, **kwargs}
    from django.urls import reverse

    return reverse(name, kwargs=kwargs)


ORG_ROUTES = [name for name, (who, _m) in PAGE_POLICY.items() if isinstance(who, Permission)]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ORG_ROUTES)
def test_page_matrix_in_own_organisation(name, role, world, organisation, make_member):
    who, method = PAGE_POLICY[name]
    member = make_member(organisation, role)
    client = Client()
    client.force_login(member.user)
    url = page_url(name, world, org_slug="acme")
    response = client.post(url, {}) if method == "POST" else client.get(url)
    if role_allows(role, who):
        assert response.status_code not in {403, 404, 500}, (url, response.status_code)
    else:
        assert response.status_code == 403, (url, response.status_code)


@pytest.mark.parametrize("name", ORG_ROUTES)
def test_page_matrix_from_a_foreign_organisation(name, world, other_organisation, make_member):
    _who, method = PAGE_POLICY[name]
    outsider = make_member(other_organisation, "owner")
    client = Client()
    client.force_login(outsider.user)
    for slug in ("acme", "rival"):  # their URL, and acme's ids under their own organisation
        url = page_url(name, world, org_slug=slug)
        if slug == "rival" and url == page_url(name, world | {"survey_id": 0}, org_slug="rival"):
            continue  # no object of acme in the URL: it is simply their own page
        response = client.post(url, {}) if method == "POST" else client.get(url)
        assert response.status_code == 404, (url, response.status_code)


@pytest.mark.parametrize("name", ORG_ROUTES)
def test_staff_pages_send_anonymous_visitors_to_log_in(name, world):
    _who, method = PAGE_POLICY[name]
    url = page_url(name, world, org_slug="acme")
    response = Client().post(url, {}) if method == "POST" else Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def api_url(path: str, world: dict) -> str:
    return "/api" + path.format(**world)


API_BODIES = {
    ("POST", "/v1/customers"): {"external_id": "matrix-customer"},
    ("POST", "/v1/interactions"): {
        "external_id": "matrix-visit",
        "customer": "W-1",
        "kind": "visit",
        "occurred_at": "2025-01-01T10:00:00Z",
        "unit": 0,
    },
    ("POST", "/v1/units"): {"name": "Matrix unit"},
    ("POST", "/v1/surveys"): {"template": "hotel_stay"},
    ("PUT", "/v1/surveys/{survey_id}/draft"): {
        "definition": {
            "title": "T",
            "questions": [{"key": "nps", "type": "nps", "text": "Recommend?"}],
        }
    },
    ("POST", "/v1/surveys/{survey_id}/responses"): {
        "idempotency_key": "matrix",
        "unit": 0,
        "answers": {"nps": 9},
    },
    ("POST", "/v1/surveys/{survey_id}/responses/batch"): {
        "items": [{"idempotency_key": "matrix-batch", "unit": 0, "answers": {"nps": 9}}],
    },
    ("POST", "/v1/continuum/assessments"): {"answers": {"en_blame": 2}},
    ("POST", "/v1/continuum/plans"): {
        "name": "Matrix plan",
        "starts_on": "2027-01-01",
        "ends_on": "2027-12-31",
        "targets": [{"metric": "response_hours", "target": 24}],
    },
    ("PATCH", "/v1/cases/{case_id}"): {"priority": "high"},
    ("POST", "/v1/cases/{case_id}/events"): {"kind": "note", "body": "Matrix note"},
    ("POST", "/v1/rules"): {"name": "Matrix rule", "conditions": [{"kind": "low_score"}]},
    ("PUT", "/v1/rules/{rule_id}"): {"name": "Matrix rule", "conditions": []},
    ("POST", "/v1/webhooks"): {"url": "https://93.184.216.34/matrix"},
    ("POST", "/v1/campaigns"): {"survey": 0, "name": "Matrix", "subject": "Hi", "body": "Hello"},
    ("POST", "/v1/campaigns/{campaign_id}/contacts"): {
        "contacts": [{"email": "matrix@example.com"}]
    },
    ("POST", "/v1/bounces"): {"email": "matrix@example.com"},
    ("POST", "/v1/mentions"): {
        "channel": "review",
        "site": "matrix",
        "external_id": "matrix-review",
        "rating": 4,
        "posted_at": "2025-01-01T10:00:00Z",
    },
}


# Query parameters an operation needs (the survey whose figures it reads).
API_PARAMS = {
    "/v1/metrics": lambda world: {"survey": world["survey_id"], "metric": "nps"},
    "/v1/scorecards": lambda world: {"survey": world["survey_id"]},
    "/v1/drivers": lambda world: {"survey": world["survey_id"]},
}


def call(client: ApiClient, method: str, path: str, world: dict, params: dict | None = None):
    url = api_url(path, world)
    body = API_BODIES.get((method, path), {})
    if "unit" in body:
        body = {**body, "unit": world["unit_id"]}
    if "survey" in body:
        body = {**body, "survey": world["survey_id"]}
    if "items" in body:
        body = {"items": [{**item, "unit": world["unit_id"]} for item in body["items"]]}
    if method == "GET":
        return client.get(url, params)
    if method == "PUT":
        return client.put(url, body)
    if method == "PATCH":
        return client.client.patch(url, body, content_type="application/json")
    return client.post(url, body)


@pytest.mark.parametrize("key_role", ["admin", "analyst"])
@pytest.mark.parametrize(("method", "path"), list(API_POLICY))
def test_api_matrix_in_own_organisation(
    method, path, key_role, world, organisation, make_api_client
):
    client = make_api_client(organisation, role=key_role)
    params = API_PARAMS.get(path, lambda world: None)(world)
    response = call(client, method, path, world, params)
    allowed = API_POLICY[(method, path)] in {VIEW} or key_role == "admin"
    if allowed:
        assert response.status_code in {200, 201}, (method, path, response.json())
    else:
        assert response.status_code == 403, (method, path, response.status_code)


@pytest.mark.parametrize(
    ("method", "path"),
    [key for key in API_POLICY if "{" in key[1]] + [("GET", path) for path in API_PARAMS],
)
def test_api_matrix_from_a_foreign_organisation(
    method, path, world, other_organisation, make_api_client
):
    client = make_api_client(other_organisation, role="admin")
    params = API_PARAMS.get(path, lambda world: None)(world)
    response = call(client, method, path, world, params)
    assert response.status_code == 404, (method, path, response.status_code)


def survey_key_client(organisation, survey, role: str = "admin") -> ApiClient:
    created = org_services.create_api_key(organisation, name="one survey", role=role, survey=survey)
    return ApiClient(created.secret)


@pytest.mark.parametrize(("method", "path"), list(API_POLICY))
def test_api_matrix_with_a_key_for_one_survey(method, path, world, organisation, published_survey):
    client = survey_key_client(organisation, published_survey)
    params = API_PARAMS.get(path, lambda world: None)(world)
    response = call(client, method, path, world, params)
    if (method, path) in SURVEY_KEY_OPERATIONS:
        assert response.status_code in {200, 201}, (method, path, response.status_code)
    else:
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.json() == {"detail": "Not found.", "errors": {}}


@pytest.mark.parametrize(("method", "path"), sorted(SURVEY_KEY_OPERATIONS))
def test_a_key_for_another_survey_finds_nothing_here(method, path, world, organisation):
    from heedback.surveys import services as survey_services

    other = survey_services.create_survey_from_template(
        organisation, template_key="hotel_stay", name="Other survey"
    )
    client = survey_key_client(organisation, other)
    stored = Response.objects.count()
    response = call(client, method, path, world)
    assert response.status_code == 404, (method, path, response.status_code)
    assert Response.objects.count() == stored


def test_a_read_only_key_for_one_survey_may_read_it_but_not_write(world, organisation):
    from heedback.surveys.models import Survey

    survey = Survey.objects.get(pk=world["survey_id"])
    client = survey_key_client(organisation, survey, role="analyst")
    assert call(client, "GET", "/v1/surveys/{survey_id}/responses", world).status_code == 200
    refused = call(client, "POST", "/v1/surveys/{survey_id}/responses", world)
    assert refused.status_code == 403
