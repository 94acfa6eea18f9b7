"""Rules on what the machine read in comments, on the customer and on the unit.

The text is read by the text app's own jobs (VADER and the urgency rules, no mock); a
response with a comment waits for that reading before a text rule judges it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from heedback.loop import services
from heedback.loop.models import Case, EvaluatedResponse, Rule, RuleMatch
from heedback.loop.services import Actor, RuleInput
from heedback.loop.services.evaluation import TEXT_WAIT
from heedback.text import services as text_services
from heedback.text.models import Theme, ThemeSpace

pytestmark = pytest.mark.django_db

ANGRY = "The room was filthy and the staff were rude. I will never come back."
CALM = "The room was fine."


def text_rule(organisation, *conditions: dict, name: str = "Angry comment") -> Rule:
    return services.create_rule(
        organisation,
        RuleInput(
            name=name,
            conditions=list(conditions),
            case_priority="high",
            case_due_hours=4,
            is_enabled=True,
        ),
        actor=Actor(label="test"),
    )


def read_texts() -> None:
    text_services.enrich_pending(settle=timedelta(0), time_budget=0)


def test_a_comment_waits_for_its_reading_then_a_text_rule_opens_the_case(
    organisation, submit, manager
):
    rule = text_rule(organisation, {"kind": "sentiment", "label": "negative"}, {"kind": "urgent"})
    angry = submit(nps=8, comment=ANGRY)
    calm = submit(nps=8, comment=CALM)
    silent = submit(nps=8)  # no text: nothing to wait for
    assert services.evaluate_new_responses() == 1
    assert list(EvaluatedResponse.objects.values_list("response_id", flat=True)) == [silent.pk]

    read_texts()
    assert services.evaluate_new_responses() == 2
    [case] = Case.objects.all()
    assert (case.response_id, case.priority, list(case.rules.all())) == (angry.pk, "high", [rule])
    assert list(RuleMatch.objects.values_list("response_id", flat=True)) == [angry.pk]
    ledger = dict(EvaluatedResponse.objects.values_list("response_id", "without_text"))
    assert ledger == {silent.pk: False, angry.pk: False, calm.pk: False}


def test_without_a_reading_in_time_text_conditions_are_false_and_the_ledger_says_so(
    organisation, submit, manager
):
    text_rule(organisation, {"kind": "urgent"})
    response = submit(nps=2, comment=ANGRY)
    assert services.evaluate_new_responses() == 0
    late = response.received_at + TEXT_WAIT + timedelta(seconds=1)
    assert services.evaluate_new_responses(now=late) == 1
    evaluated = EvaluatedResponse.objects.get()
    assert (evaluated.without_text, evaluated.matched) == (True, 1)
    # The detractor rule still acted; the urgency rule could not judge the unread comment.
    [case] = Case.objects.all()
    assert [rule.system_key for rule in case.rules.all()] == ["detractor"]


def test_an_organisation_without_text_rules_does_not_wait(submit, manager):
    submit(nps=2, comment=ANGRY)
    assert services.evaluate_new_responses() == 1
    assert Case.objects.count() == 1


def test_a_theme_rule_waits_for_the_themes_of_the_comment(organisation, submit, manager):
    space = ThemeSpace.objects.create(
        organisation=organisation, representation="tfidf", threshold=1
    )
    luggage = Theme.objects.create(organisation=organisation, space=space, name="Luggage")
    text_services.set_keywords(luggage, ["luggage"])
    rule = text_rule(organisation, {"kind": "theme", "theme": luggage.pk}, name="Luggage")
    response = submit(nps=9, comment="Nobody helped with our luggage.")
    read_texts()
    assert services.evaluate_new_responses() == 0  # read, but its themes not assigned yet
    text_services.assign_pending_themes(time_budget=0)
    assert services.evaluate_new_responses() == 1
    assert Case.objects.get().response_id == response.pk
    assert list(Case.objects.get().rules.all()) == [rule]


def test_a_rule_on_the_customer_value_tier_and_an_attribute(
    organisation, submit, make_customer, manager
):
    rule = text_rule(
        organisation,
        {"kind": "customer", "attribute": "value_tier", "one_of": ["gold"]},
        {"kind": "customer", "attribute": "segment", "one_of": ["b2b"]},
        name="Key accounts",
    )
    gold = make_customer("gold@example.com", value_tier="Gold", attributes={"segment": "B2B"})
    silver = make_customer("silver@example.com", value_tier="silver", attributes={"segment": "b2b"})
    kept = submit(nps=9, customer=gold)
    submit(nps=9, customer=silver)
    submit(nps=9)
    assert services.evaluate_new_responses() == 3
    assert list(RuleMatch.objects.filter(rule=rule).values_list("response_id", flat=True)) == [
        kept.pk
    ]


def test_a_rule_on_units_counts_the_units_below(organisation, submit, region, hotel, root_unit):
    rule = text_rule(organisation, {"kind": "unit", "units": [region.pk]}, name="North")
    elsewhere = submit(nps=9, unit=root_unit)
    inside = submit(nps=9, unit=hotel)
    assert services.evaluate_new_responses() == 2
    matched = set(RuleMatch.objects.filter(rule=rule).values_list("response_id", flat=True))
    assert matched == {inside.pk}
    assert elsewhere.pk not in matched


def test_a_condition_naming_another_organisation_s_theme_or_unit_is_refused(
    api, other_organisation
):
    other_space = ThemeSpace.objects.create(
        organisation=other_organisation, representation="tfidf", threshold=1
    )
    foreign = Theme.objects.create(organisation=other_organisation, space=other_space, name="X")
    from heedback.orgs.models import Unit

    foreign_unit = Unit.objects.for_org(other_organisation).first()
    before = Rule.objects.count()
    refused = api.post(
        "/api/v1/rules",
        {
            "name": "Foreign",
            "conditions": [
                {"kind": "theme", "theme": foreign.pk},
                {"kind": "unit", "units": [foreign_unit.pk]},
                {"kind": "sentiment"},
            ],
        },
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == {
        "conditions.2": ["give a label or a score_at_most"],
    }
    refused = api.post(
        "/api/v1/rules",
        {
            "name": "Foreign",
            "conditions": [
                {"kind": "theme", "theme": foreign.pk},
                {"kind": "unit", "units": [foreign_unit.pk]},
            ],
        },
    )
    assert refused.json()["errors"] == {
        "conditions.0.theme": ["The theme does not exist."],
        "conditions.1.units.0": ["The unit does not exist."],
    }
    assert Rule.objects.count() == before


def test_text_rules_through_the_api_and_their_trial(api, submit, hotel):
    submit(nps=9, comment=ANGRY)
    submit(nps=9, comment=CALM)
    submit(nps=9, comment="Je ne reviendrai jamais.")  # read, but not scored (French)
    read_texts()
    created = api.post(
        "/api/v1/rules",
        {
            "name": "Negative comment, any score",
            "conditions": [{"kind": "sentiment", "score_at_most": -0.05}],
            "tags": ["negative"],
            "opens_case": False,
        },
    )
    assert created.status_code == 201
    rule = created.json()
    assert rule["conditions"] == [{"kind": "sentiment", "score_at_most": -0.05}]
    trial = api.get(f"/api/v1/rules/{rule['id']}/try").json()
    assert (trial["examined"], trial["matched"], trial["would_open_cases"]) == (3, 1, 0)


def test_the_rule_form_edits_text_customer_and_unit_conditions(
    admin_client, organisation, submit, region
):
    from tests.loop.test_views import rule_form

    submit(nps=9, comment=ANGRY)
    read_texts()
    response = admin_client.post(
        "/o/acme/rules/new/",
        rule_form(
            **{
                "conditions-0-kind": "sentiment",
                "conditions-0-label": "negative",
                "conditions-0-value": "",
                "conditions-0-question": "",
                "conditions-1-kind": "customer",
                "conditions-1-attribute": "value_tier",
                "conditions-1-one_of": "gold, platinum",
                "conditions-2-kind": "unit",
                "conditions-2-units": [str(region.pk)],
                "conditions-2-include_below": "on",
            }
        ),
    )
    rule = Rule.objects.get(name="Unhappy with staff")
    assert response["Location"] == f"/o/acme/rules/{rule.pk}/try/"
    assert rule.conditions == [
        {"kind": "sentiment", "label": "negative"},
        {"kind": "customer", "attribute": "value_tier", "one_of": ["gold", "platinum"]},
        {"kind": "unit", "units": [region.pk], "include_below": True},
    ]
    trial = admin_client.get(response["Location"]).content.decode()
    assert 'data-testid="try-reads-text"' in trial
    assert '<div class="value" data-testid="try-matched">0</div>' in trial  # anonymous
    page = admin_client.get(f"/o/acme/rules/{rule.pk}/").content.decode()
    assert 'value="sentiment" selected' in page
    assert 'value="gold, platinum"' in page
    assert 'data-condition-kinds="customer"' in page


def test_a_customer_condition_without_a_test_is_shown_on_its_row(admin_client):
    from tests.loop.test_views import rule_form

    response = admin_client.post(
        "/o/acme/rules/new/",
        rule_form(
            **{
                "conditions-0-kind": "customer",
                "conditions-0-attribute": "value_tier",
                "conditions-0-value": "",
                "conditions-0-question": "",
            }
        ),
    )
    assert response.status_code == 422
    assert "give one_of, or at_least and/or at_most" in response.content.decode()
    assert not Rule.objects.filter(name="Unhappy with staff").exists()


def test_reading_the_texts_costs_three_queries_whatever_the_number(organisation, submit, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_to_evaluate(count: int) -> int:
        for _number in range(count):
            submit(nps=9, comment=CALM)
        read_texts()
        with CaptureQueriesContext(connection) as context:
            assert services.evaluate_new_responses() == count
        return len(context)

    without_rule = (queries_to_evaluate(5), queries_to_evaluate(10))
    text_rule(organisation, {"kind": "urgent"})
    with_rule = (queries_to_evaluate(5), queries_to_evaluate(10))
    assert with_rule[0] - without_rule[0] == 3
    assert with_rule[1] - without_rule[1] == 3
