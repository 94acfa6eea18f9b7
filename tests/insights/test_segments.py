"""Cuts the rollups have no dimension for — customer, interaction, theme — against pandas.

A seeded stream of 240 responses at two hotels over three months: customers of three
value tiers and two regions, interactions of three kinds, four channels, and comments on
four topics that the text app turns into themes (tfidf discovery, then assignment). The
test reads the stored tables into pandas and computes each figure there, independently of
the metric engine's SQL; the engine must agree to 1e-9.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from django.db.models.expressions import RawSQL

from heedback.collect.models import Answer, Invitation, Response
from heedback.core.errors import InvalidInput
from heedback.customers import services as customer_services
from heedback.customers.inputs import CustomerInput, InteractionInput
from heedback.customers.models import Customer, Interaction
from heedback.insights import histograms, raw_reads, segments, services
from heedback.insights.selectors import MetricQuery, compute_metric, scope_of
from heedback.orgs.models import Organisation
from heedback.text import services as text_services
from heedback.text.models import Theme, ThemeAssignment
from tests.insights.test_campaign_rates import assert_refused, send_and_answer

pytestmark = pytest.mark.django_db

TOPICS = {
    "parking": [
        "The parking garage was expensive and always full.",
        "Parking fees at the garage were outrageous.",
        "We could not find a parking space near the entrance.",
    ],
    "breakfast": [
        "Breakfast buffet had cold eggs and weak coffee.",
        "The breakfast room ran out of croissants early.",
        "Fresh pastries and good coffee at the breakfast buffet.",
    ],
    "noise": [
        "Street noise kept us awake until three in the morning.",
        "Noise from the bar downstairs, no sleep at night.",
        "Thin walls, the noise of the neighbours all night.",
    ],
    "wifi": [
        "The wifi connection dropped every few minutes in the room.",
        "Wifi was painfully slow, could not join a video call.",
        "Had to pay extra for wifi that barely worked.",
    ],
}
TIERS = ["gold", "silver", ""]
KINDS = ["stay", "service_call", "order"]
CHANNELS = ["web", "email", "qr", "api"]


@pytest.fixture
def segmented(api, organisation, published_survey, hotel, other_hotel):
    """Store the customers, interactions and responses, read the comments, find themes."""
    generator = random.Random(4)
    for index in range(24):
        customer_services.upsert_customer(
            organisation,
            CustomerInput(
                external_id=f"c{index}",
                email=f"c{index}@example.com",
                value_tier=TIERS[index % 3],
                attributes={"region": "north" if index % 2 else "south"},
            ),
        )
    items = []
    for index in range(240):
        day = date(2026, 1, 1) + timedelta(days=generator.randrange(90))
        item = {
            "idempotency_key": f"s-{index}",
            "unit": (hotel if index % 3 else other_hotel).pk,
            "channel": CHANNELS[index % 4],
            "submitted_at": f"{day.isoformat()}T10:00:00+00:00",
            "answers": {"nps": generator.randrange(11), "staff": generator.randrange(1, 6)},
        }
        if index % 5:
            customer = f"c{generator.randrange(24)}"
            interaction = f"i{index}"
            customer_services.record_interaction(
                organisation,
                InteractionInput(
                    external_id=interaction,
                    customer_external_id=customer,
                    kind=KINDS[index % 3],
                    occurred_at=datetime(day.year, day.month, day.day, 8, tzinfo=UTC),
                ),
            )
            item["interaction"] = interaction
        first, second = generator.sample(list(TOPICS), 2)
        item["comment"] = f"{generator.choice(TOPICS[first])} {generator.choice(TOPICS[second])}"
        items.append(item)
    for start in range(0, len(items), 120):
        stored = api.post(
            f"/api/v1/surveys/{published_survey.pk}/responses/batch",
            {"items": items[start : start + 120]},
        )
        assert stored.json()["created"] == 120, stored.json()["results"][:3]
    text_services.enrich_pending(settle=timedelta(0), time_budget=0)
    assert text_services.discover_themes(organisation, representation="tfidf") is not None
    text_services.assign_pending_themes(time_budget=0)
    assert ThemeAssignment.objects.values("theme").distinct().count() >= 3
    return published_survey


def frame(survey, question_key: str) -> pd.DataFrame:
    """Return one row per answer to the question, with its response's dimensions."""
    answers = pd.DataFrame(
        Answer.objects.filter(response__survey=survey, question_key=question_key).values(
            "response_id", "number"
        )
    )
    responses = pd.DataFrame(
        Response.objects.filter(survey=survey).values(
            "id", "unit_id", "channel", "local_date", "customer_id", "interaction_id"
        )
    ).rename(columns={"id": "response_id"})
    customers = pd.DataFrame(Customer.objects.values("id", "value_tier", "attributes"))
    customers["region"] = customers["attributes"].map(lambda value: value.get("region", ""))
    interactions = pd.DataFrame(Interaction.objects.values("id", "kind"))
    rows = answers.merge(responses, on="response_id")
    rows = rows.merge(
        customers.rename(columns={"id": "customer_id"}), on="customer_id", how="left"
    ).merge(interactions.rename(columns={"id": "interaction_id"}), on="interaction_id", how="left")
    rows["month"] = pd.to_datetime(rows["local_date"]).dt.to_period("M").dt.start_time.dt.date
    for column in ("value_tier", "region", "kind"):
        rows[column] = rows[column].fillna("")
    return rows


def pandas_nps(rows: pd.DataFrame) -> float:
    return 100.0 * ((rows["number"] >= 9).mean() - (rows["number"] <= 6).mean())


def engine(survey, group_by: str, filters=(), metric: str = "nps") -> dict:
    query = MetricQuery(
        organisation=survey.organisation,
        survey=survey,
        metric=metric,
        group_by=group_by,
        filters=tuple(filters),
    )
    return {row.group: (row.value, row.n) for row in compute_metric(query).rows}


def assert_matches(ours: dict, rows: pd.DataFrame, column: str, key=str) -> None:
    expected = {key(group): (pandas_nps(part), len(part)) for group, part in rows.groupby(column)}
    assert ours.keys() == expected.keys()
    for group, (value, n) in expected.items():
        assert ours[group][1] == n, group
        assert ours[group][0] == pytest.approx(value, abs=1e-9), group


def test_nps_by_customer_tier_attribute_and_interaction_kind_equal_pandas(segmented):
    rows = frame(segmented, "nps")
    assert_matches(engine(segmented, "customer.value_tier"), rows, "value_tier")
    assert_matches(engine(segmented, "customer.region"), rows, "region")
    assert_matches(engine(segmented, "interaction.kind"), rows, "kind")
    gold = rows[rows["value_tier"] == "gold"]
    by_month = engine(segmented, "month", [("customer.value_tier", "gold")])
    assert_matches(by_month, gold, "month", key=lambda day: day.isoformat())
    calls = rows[(rows["kind"] == "service_call") & (rows["channel"] == "email")]
    by_unit = engine(
        segmented, "unit", [("interaction.kind", "service_call"), ("channel", "email")]
    )
    assert_matches(by_unit, calls, "unit_id")


def test_nps_by_theme_and_of_those_who_mention_a_theme_equal_pandas(segmented):
    rows = frame(segmented, "nps")
    mentions = pd.DataFrame(ThemeAssignment.objects.values("response_id", "theme_id"))
    mentions = mentions.drop_duplicates()
    by_theme = rows.merge(mentions, on="response_id")
    assert_matches(engine(segmented, "theme"), by_theme, "theme_id")
    theme = Theme.objects.get(pk=int(mentions["theme_id"].iloc[0]))
    mentioning = by_theme[by_theme["theme_id"] == theme.pk]
    ours = engine(segmented, "customer.value_tier", [("theme", str(theme.pk))])
    assert_matches(ours, mentioning, "value_tier")
    labels = {
        row.group: row.label
        for row in compute_metric(
            MetricQuery(
                organisation=segmented.organisation,
                survey=segmented,
                metric="nps",
                group_by="theme",
            )
        ).rows
    }
    assert labels[str(theme.pk)] == theme.name


def test_a_raw_cut_without_dimension_equals_the_rollups_exactly(segmented):
    services.refresh_rollups()
    query = MetricQuery(organisation=segmented.organisation, survey=segmented, metric="nps")
    scope = scope_of(query)
    keys = ["", "nps", "staff"]
    for group_by in ("none", "unit", "channel", "month", "week"):
        from_rollups = histograms.answer_counts(scope, keys, group_by)
        from_rows = segments.answer_counts(segments.RawCut(scope, (), group_by), keys)
        assert from_rows == from_rollups, group_by
    # Every response lands in exactly one tier, so the tiers add up to the whole.
    tiers = engine(segmented, "customer.value_tier", metric="count")
    assert sum(n for _value, n in tiers.values()) == Response.objects.count() == 240


def test_the_api_cuts_by_theme_and_filters_by_customer_attributes(api, segmented):
    theme = ThemeAssignment.objects.values_list("theme_id", flat=True).first()
    base = f"/api/v1/metrics?survey={segmented.pk}&metric=nps"
    response = api.get(f"{base}&group_by=theme&filter[customer.value_tier]=silver")
    assert response.status_code == 200, response.json()
    expected = engine(segmented, "theme", [("customer.value_tier", "silver")])
    got = {row["group"]: (row["value"], row["n"]) for row in response.json()["results"]}
    assert got == expected
    rows = frame(segmented, "nps")
    silver = rows[rows["value_tier"] == "silver"]
    mentions = pd.DataFrame(ThemeAssignment.objects.values("response_id", "theme_id"))
    assert_matches(got, silver.merge(mentions.drop_duplicates(), on="response_id"), "theme_id")
    filtered = api.get(f"{base}&group_by=month&filter[theme]={theme}")
    assert filtered.status_code == 200
    assert {row["group"] for row in filtered.json()["results"]} <= {
        "2026-01-01",
        "2026-02-01",
        "2026-03-01",
    }


def test_the_api_refuses_unknown_dimensions_and_foreign_themes_naming_the_field(
    api, segmented, other_organisation
):
    base = f"/api/v1/metrics?survey={segmented.pk}&metric=nps"
    assert_refused(api.get(f"{base}&filter[colour]=red"), "filter[colour]")
    assert_refused(api.get(f"{base}&filter[theme]=999999"), "filter[theme]")
    assert_refused(api.get(f"{base}&group_by=customer."), "group_by")
    assert_refused(api.get(f"{base}&filter[channel]=web&filter[channel]=qr"), "filter[channel]")


def test_the_gateway_refuses_a_cut_with_more_groups_than_its_cap(api, segmented, monkeypatch):
    monkeypatch.setattr(raw_reads, "RAW_READ_ROW_CAP", 3)
    response = api.get(f"/api/v1/metrics?survey={segmented.pk}&metric=nps&group_by=theme")
    assert_refused(response, "group_by")
    small = api.get(f"/api/v1/metrics?survey={segmented.pk}&metric=nps&group_by=customer.region")
    assert small.status_code == 200
    assert len(small.json()["results"]) == 3  # north, south, not set


def test_response_rate_by_tier_counts_invitations_sent(organisation, published_survey, hotel):
    send_and_answer(organisation, published_survey, answered=2, unanswered=3)
    for invitation in Invitation.objects.order_by("pk")[:2]:
        customer = invitation.customer
        customer.value_tier = "gold"
        customer.save(update_fields=["value_tier"])
    ours = engine(published_survey, "customer.value_tier", metric="response_rate")
    assert ours == {"gold": (100.0, 2), "": (0.0, 3)}


def test_the_results_page_filters_by_segment(admin_client, segmented):
    rows = frame(segmented, "nps")
    mentions = pd.DataFrame(ThemeAssignment.objects.values("response_id", "theme_id"))
    theme = int(mentions["theme_id"].iloc[0])
    chosen = set(mentions[mentions["theme_id"] == theme]["response_id"])
    gold = rows[(rows["value_tier"] == "gold") & rows["response_id"].isin(chosen)]
    params = {"period": "all", "theme": theme, "value_tier": "gold"}
    page = admin_client.get(f"/o/acme/surveys/{segmented.pk}/results/", params)
    assert page.status_code == 200
    text = page.content.decode()
    assert f"<strong>{len(gold)}</strong> responses" in text
    web = admin_client.get(
        f"/o/acme/surveys/{segmented.pk}/results/", {"period": "all", "channel": "web"}
    )
    assert f"<strong>{(rows['channel'] == 'web').sum()}</strong> responses" in web.content.decode()


def test_the_gateway_stops_a_read_at_its_time_limit_and_the_connection_goes_on(organisation):
    # Counting to ten million takes seconds on either database; the limit is 50 ms.
    counting = RawSQL(
        "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000) "
        "SELECT count(*) FROM c)",
        [],
    )
    slow = Organisation.objects.filter(pk=organisation.pk).annotate(n=counting).values_list("n")
    with pytest.raises(InvalidInput) as caught:
        raw_reads.read_rows(slow, field="group_by", seconds=0.05)
    assert "group_by" in caught.value.errors
    assert Organisation.objects.filter(pk=organisation.pk).count() == 1
