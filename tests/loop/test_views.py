"""The loop's pages through HTTP: case list, case page, inbox and rules; query counts locked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from heedback.loop import services
from heedback.loop.choices import CaseSource
from heedback.loop.models import Case, Rule
from heedback.loop.services import Actor, CaseOpening
from tests.conftest import PASSWORD  # noqa: F401 - the members log in with force_login

pytestmark = pytest.mark.django_db


def client_for(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def open_case(response, *, title: str = "Unhappy guest", due_hours: int = 48, **extra) -> Case:
    return services.open_case(
        CaseOpening(
            organisation=response.organisation,
            unit=response.unit,
            title=title,
            response=response,
            source=CaseSource.STAFF,
            due_hours=due_hours,
            **extra,
        )
    )


@pytest.fixture
def cases(submit, manager, other_hotel):
    """Three open cases at the harbour, one at the hill hotel, one closed."""
    harbour = [open_case(submit(nps=score), title=f"Harbour {score}") for score in (1, 2, 3)]
    hill = open_case(submit(nps=1, unit=other_hotel), title="Hill 1")
    closed = open_case(submit(nps=4), title="Harbour closed")
    services.change_status(closed, "closed", actor=Actor(manager))
    return {"harbour": harbour, "hill": hill, "closed": closed}


def titles(response) -> list[str]:
    body = response.content.decode()
    return [case.title for case in Case.objects.order_by("pk") if f">{case.title}</a>" in body]


def test_the_case_list_shows_open_cases_of_the_members_units_most_urgent_first(
    cases, clerk, admin_client
):
    url = "/o/acme/cases/"
    assert titles(client_for(clerk).get(url)) == ["Harbour 1", "Harbour 2", "Harbour 3"]
    assert titles(admin_client.get(url)) == ["Harbour 1", "Harbour 2", "Harbour 3", "Hill 1"]
    assert titles(admin_client.get(url, {"status": "closed"})) == ["Harbour closed"]
    assert titles(admin_client.get(url, {"status": "all"})) == [
        "Harbour 1",
        "Harbour 2",
        "Harbour 3",
        "Hill 1",
        "Harbour closed",
    ]


def test_the_case_list_filters_by_owner_unit_and_overdue(cases, manager, other_hotel, admin_client):
    url = "/o/acme/cases/"
    assert titles(client_for(manager).get(url, {"owner": "me"})) == [
        "Harbour 1",
        "Harbour 2",
        "Harbour 3",
    ]
    assert titles(admin_client.get(url, {"owner": "none"})) == ["Hill 1"]
    assert titles(admin_client.get(url, {"unit": other_hotel.pk})) == ["Hill 1"]
    Case.objects.filter(title="Harbour 2").update(due_at=timezone.now() - timedelta(hours=1))
    assert titles(admin_client.get(url, {"overdue": "on"})) == ["Harbour 2"]


def test_an_htmx_filter_change_gets_only_the_table(cases, admin_client):
    response = admin_client.get(
        "/o/acme/cases/", {"status": "open"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "<html" not in body
    assert "data-keyboard-list" in body


def test_the_case_list_costs_the_same_queries_for_three_or_thirty_cases(
    submit, manager, admin_client, django_assert_num_queries
):
    for score in range(3):
        open_case(submit(nps=score))
    with django_assert_num_queries(8):
        assert admin_client.get("/o/acme/cases/").status_code == 200
    for score in range(27):
        open_case(submit(nps=score % 7))
    with django_assert_num_queries(8):
        response = admin_client.get("/o/acme/cases/")
    assert response.content.decode().count('data-href="/o/acme/cases/') == 30


def test_the_case_list_uses_the_keyboard_script_and_no_inline_script(cases, admin_client):
    body = admin_client.get("/o/acme/cases/").content.decode()
    assert '<script src="/static/heedback/cases.js" defer></script>' in body
    assert "<script>" not in body
    assert 'href="/o/acme/cases/"' in body  # the nav link


def test_bulk_assign_and_close(cases, clerk, manager, admin_client):
    harbour = cases["harbour"]
    response = admin_client.post(
        "/o/acme/cases/bulk/",
        {
            "cases": [harbour[0].pk, harbour[1].pk],
            "action": "assign",
            "owner": clerk.pk,
            "next_query": "status=open",
        },
    )
    assert (response.status_code, response["Location"]) == (302, "/o/acme/cases/?status=open")
    assert list(
        Case.objects.filter(owner=clerk).values_list("title", flat=True).order_by("pk")
    ) == [
        "Harbour 1",
        "Harbour 2",
    ]
    admin_client.post(
        "/o/acme/cases/bulk/", {"cases": [harbour[2].pk, cases["hill"].pk], "action": "close"}
    )
    assert Case.objects.filter(status="closed").count() == 3


def test_bulk_actions_ignore_cases_the_member_cannot_see(cases, clerk):
    client_for(clerk).post("/o/acme/cases/bulk/", {"cases": [cases["hill"].pk], "action": "close"})
    assert Case.objects.get(pk=cases["hill"].pk).status == "new"


def test_the_case_page_shows_the_feedback_beside_the_log(submit, clerk, manager, published_survey):
    response = submit(nps=2, staff=1, comment="The lift was broken.", served_by=clerk.user)
    submit(nps=9, comment="Lovely breakfast")
    case = open_case(response, alert=["owner"])
    page = client_for(manager).get(f"/o/acme/cases/{case.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "How likely are you to recommend our hotel to a friend or colleague?" in body
    assert '<dd data-question="nps">2</dd>' in body
    assert "The lift was broken." in body
    assert "Lovely breakfast" in body  # other recent feedback at the unit
    assert body.count('class="event event-') == 2  # opened, alerted
    case.refresh_from_db()
    assert case.first_seen_at is None  # the manager is not the owner
    client_for(clerk).get(f"/o/acme/cases/{case.pk}/")
    case.refresh_from_db()
    assert case.first_seen_at is not None


def test_another_units_member_gets_404_for_a_case(cases, organisation, make_member, other_hotel):
    outsider = make_member(organisation, "frontline", unit=other_hotel)
    assert client_for(outsider).get(f"/o/acme/cases/{cases['harbour'][0].pk}/").status_code == 404


def test_following_up_from_the_page(cases, manager):
    case = cases["harbour"][0]
    client = client_for(manager)
    url = f"/o/acme/cases/{case.pk}/follow-up/"
    refused = client.post(url, {"kind": "call", "body": "voicemail"})
    assert refused.status_code == 422
    assert "Say whether the customer was reached." in refused.content.decode()
    assert (
        client.post(url, {"kind": "call", "reached": "no", "body": "voicemail"}).status_code == 302
    )
    call = case.events.get(kind="call")
    assert (call.reached, call.solved, call.actor) == (False, None, manager)
    case.refresh_from_db()
    assert case.status == "in_progress"


def test_resolving_reopening_and_assigning_from_the_page(cases, manager, clerk):
    case = cases["harbour"][0]
    client = client_for(manager)
    refused = client.post(f"/o/acme/cases/{case.pk}/resolve/", {"resolution_code": "nonsense"})
    assert refused.status_code == 422
    client.post(
        f"/o/acme/cases/{case.pk}/resolve/", {"resolution_code": "fixed", "root_cause": "billing"}
    )
    case.refresh_from_db()
    assert (case.status, case.root_cause.key) == ("resolved", "billing")
    client.post(f"/o/acme/cases/{case.pk}/reopen/", {"reason": "Still wrong"})
    case.refresh_from_db()
    assert case.status == "reopened"
    client.post(f"/o/acme/cases/{case.pk}/assign/", {"owner": clerk.pk})
    client.post(f"/o/acme/cases/{case.pk}/status/", {"status": "waiting"})
    case.refresh_from_db()
    assert (case.owner, case.status) == (clerk, "waiting")


def test_a_viewer_sees_cases_but_cannot_work_them(cases, organisation, make_member):
    viewer = client_for(make_member(organisation, "viewer"))
    case = cases["harbour"][0]
    page = viewer.get(f"/o/acme/cases/{case.pk}/").content.decode()
    assert "follow-up/" not in page
    assert (
        viewer.post(
            f"/o/acme/cases/{case.pk}/follow-up/", {"kind": "note", "body": "x"}
        ).status_code
        == 403
    )
    assert case.events.filter(kind="note").count() == 0


def test_the_inbox_shows_my_cases_what_is_about_to_breach_and_new_feedback(
    submit, clerk, manager, django_assert_max_num_queries
):
    mine = open_case(submit(nps=1, comment="Cold room", served_by=clerk.user), title="Mine")
    soon = open_case(submit(nps=2), title="Soon", due_hours=3)
    client = client_for(clerk)
    with django_assert_max_num_queries(12):
        page = client.get("/o/acme/inbox/")
    body = page.content.decode()
    assert 'hx-trigger="every 30s"' in body
    mine_part = body.split('data-testid="inbox-mine"')[1].split("</ul>")[0]
    breaching = body.split('data-testid="inbox-breaching"')[1].split("</ul>")[0]
    feedback = body.split('data-testid="inbox-feedback"')[1].split("</ul>")[0]
    assert mine.title in mine_part
    assert soon.title not in mine_part
    assert soon.title in breaching
    assert mine.title not in breaching
    assert "Cold room" in feedback
    assert "NPS 1" in feedback
    partial = client.get("/o/acme/inbox/", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial
    assert "Mine" in partial


def test_a_viewer_has_no_inbox(organisation, make_member):
    assert client_for(make_member(organisation, "viewer")).get("/o/acme/inbox/").status_code == 403


# --- rules ----------------------------------------------------------------------------------


def rule_form(**overrides) -> dict:
    data = {
        "name": "Unhappy with staff",
        "description": "",
        "opens_case": "on",
        "case_priority": "high",
        "case_due_hours": "8",
        "alert_owner": "on",
        "alert_addresses": "quality@example.com",
        "tags": "staff",
        "conditions-TOTAL_FORMS": "3",
        "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "3",
        "conditions-MAX_NUM_FORMS": "20",
        "conditions-0-kind": "rating_at_most",
        "conditions-0-value": "2",
        "conditions-0-question": "staff",
        "conditions-1-kind": "",
        "conditions-2-kind": "",
    }
    return {**data, **overrides}


def test_a_new_rule_starts_off_and_opens_on_its_trial(submit, admin_client, organisation):
    submit(nps=8, staff=1)
    submit(nps=8, staff=4)
    response = admin_client.post("/o/acme/rules/new/", rule_form())
    rule = Rule.objects.get(name="Unhappy with staff")
    assert response["Location"] == f"/o/acme/rules/{rule.pk}/try/"
    assert (rule.is_enabled, rule.case_priority, rule.case_due_hours) == (False, "high", 8)
    assert rule.conditions == [{"kind": "rating_at_most", "value": 2, "question": "staff"}]
    assert (rule.alert, rule.tags) == (["owner", "quality@example.com"], ["staff"])
    trial = admin_client.get(response["Location"]).content.decode()
    assert '<div class="value" data-testid="try-examined">2</div>' in trial
    assert '<div class="value" data-testid="try-matched">1</div>' in trial
    admin_client.post(f"/o/acme/rules/{rule.pk}/switch/", {"enable": "1"})
    rule.refresh_from_db()
    assert rule.is_enabled


def test_a_bad_condition_is_shown_on_its_row(admin_client):
    response = admin_client.post(
        "/o/acme/rules/new/",
        rule_form(**{"conditions-0-kind": "yes_no", "conditions-0-question": ""}),
    )
    assert response.status_code == 422
    assert "Field required" in response.content.decode()
    assert not Rule.objects.filter(name="Unhappy with staff").exists()


def test_editing_a_rule_keeps_it_on(admin_client, organisation):
    rule = Rule.objects.get(organisation=organisation, system_key="detractor")
    page = admin_client.get(f"/o/acme/rules/{rule.pk}/").content.decode()
    assert 'value="nps_band" selected' in page
    admin_client.post(
        f"/o/acme/rules/{rule.pk}/",
        rule_form(
            **{
                "name": "Detractors",
                "conditions-0-kind": "nps_band",
                "conditions-0-question": "",
                "conditions-0-band": "detractor",
            }
        ),
    )
    rule.refresh_from_db()
    assert (rule.name, rule.is_enabled, rule.conditions) == (
        "Detractors",
        True,
        [{"kind": "nps_band", "band": "detractor"}],
    )


def test_the_rules_list(admin_client):
    body = admin_client.get("/o/acme/rules/").content.decode()
    assert "Every detractor" in body
    assert "Every public complaint" in body
    assert "Normal case, due in 48 h" in body


def test_the_case_page_shows_the_customer_s_history(submit, manager, make_customer):
    guest = make_customer("guest@example.com", name="Gail Guest", value_tier="gold")
    earlier = submit(nps=3, comment="Cold soup last month.", customer=guest)
    earlier_case = open_case(earlier, alert=["owner"])
    response = submit(nps=2, comment="The lift was broken.", customer=guest)
    submit(nps=9, comment="Somebody else's praise")
    case = open_case(response, alert=["owner"])
    page = client_for(manager).get(f"/o/acme/cases/{case.pk}/")
    body = page.content.decode()
    history = page.context["history"]
    assert (history.customer, history.responses, history.cases) == (
        guest,
        [earlier],
        [earlier_case],
    )
    assert "History of Gail Guest" in body
    assert "Cold soup last month." in body
    assert f'href="/o/acme/cases/{earlier_case.pk}/"' in body
    assert f'href="/o/acme/customers/{guest.pk}/"' in body
    anonymous = open_case(submit(nps=1), alert=["owner"])
    page = client_for(manager).get(f"/o/acme/cases/{anonymous.pk}/")
    assert page.context["history"] is None
    assert 'data-testid="customer-history"' not in page.content.decode()
