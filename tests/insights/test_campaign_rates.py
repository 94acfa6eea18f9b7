"""Response rate as an engine metric: invitations answered of invitations sent, with Wilson.

Campaigns are sent and answered through the collect app's services, as a guest would; the
expected rates and intervals are counted by hand here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from heedback.collect import campaigns, invitations
from heedback.collect.campaigns import CampaignInput, ContactInput
from heedback.collect.models import Invitation
from heedback.insights.metrics import wilson_interval
from heedback.insights.selectors import MetricQuery, compute_metric

pytestmark = pytest.mark.django_db


def send_and_answer(organisation, survey, *, answered: int, unanswered: int, prefix: str = "g"):
    """Send one invitation per contact now; answer the first ``answered`` of them."""
    contacts = [
        ContactInput(f"{prefix}{index}@example.com") for index in range(answered + unanswered)
    ]
    campaigns.create_campaign(
        organisation,
        CampaignInput(
            survey=survey,
            name=f"Stays {prefix}",
            subject="How was {unit}?",
            body="Tell us, {customer name}.",
            reminder_count=0,
            reminder_interval_days=3,
        ),
        contacts,
    )
    campaigns.send_due(now=timezone.now())
    sent = Invitation.objects.filter(email__startswith=prefix).order_by("pk")
    for invitation in sent[:answered]:
        invitations.finish_invitation(invitation, 0, {"nps": 9})


def assert_refused(response, field: str) -> None:
    """Assert the API refused the request with an error on ``field``."""
    assert response.status_code == 422
    assert field in response.json()["errors"]


def rate(survey, **changes):
    query = MetricQuery(
        organisation=survey.organisation, survey=survey, metric="response_rate", **changes
    )
    return compute_metric(query)


def test_response_rate_is_answered_of_sent_with_a_wilson_interval(
    organisation, published_survey, hotel
):
    send_and_answer(organisation, published_survey, answered=3, unanswered=5)
    result = rate(published_survey)
    (row,) = result.rows
    low, high = wilson_interval(3, 8)
    assert (row.value, row.n) == (100 * 3 / 8, 8)
    assert (row.ci_low, row.ci_high) == pytest.approx((100 * low, 100 * high), abs=1e-12)
    assert result.question is None
    assert result.metric.unit == "percent"


def test_response_rate_is_cut_by_unit_month_and_channel(
    organisation, published_survey, hotel, other_hotel
):
    send_and_answer(organisation, published_survey, answered=1, unanswered=3)
    today = timezone.localdate()
    by_unit = {
        row.group: (row.value, row.n) for row in rate(published_survey, group_by="unit").rows
    }
    # A campaign without a unit per contact invites on behalf of the whole organisation.
    unit_id = Invitation.objects.values_list("unit_id", flat=True).distinct().get()
    assert by_unit == {str(unit_id): (25.0, 4)}
    by_month = rate(published_survey, group_by="month").rows
    assert [(row.group, row.n) for row in by_month] == [(today.replace(day=1).isoformat(), 4)]
    by_channel = rate(published_survey, group_by="channel").rows
    assert [(row.group, row.value) for row in by_channel] == [("email", 25.0)]
    assert rate(published_survey, unit=other_hotel).rows[0].n == 0
    later = rate(published_survey, date_from=today + timedelta(days=1)).rows[0]
    assert (later.value, later.n) == (None, 0)
    assert rate(published_survey, filters=(("channel", "qr"),)).rows[0].n == 0


def test_the_api_serves_the_response_rate_and_refuses_a_question_or_themes(
    api, organisation, published_survey, hotel
):
    send_and_answer(organisation, published_survey, answered=2, unanswered=2)
    base = f"/api/v1/metrics?survey={published_survey.pk}&metric=response_rate"
    response = api.get(base)
    assert response.status_code == 200
    body = response.json()
    low, high = wilson_interval(2, 4)
    assert body["unit"] == "percent"
    assert body["question"] is None
    (row,) = body["results"]
    assert (row["value"], row["n"]) == (50.0, 4)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((100 * low, 100 * high))
    assert_refused(api.get(f"{base}&question=nps"), "question")
    assert_refused(api.get(f"{base}&group_by=theme"), "group_by")


def test_the_results_page_shows_the_response_rate_with_its_interval(
    admin_client, organisation, published_survey, hotel
):
    page = admin_client.get(f"/o/acme/surveys/{published_survey.pk}/results/")
    assert "Response rate" not in page.content.decode()
    send_and_answer(organisation, published_survey, answered=1, unanswered=3)
    text = admin_client.get(f"/o/acme/surveys/{published_survey.pk}/results/").content.decode()
    low, high = wilson_interval(1, 4)
    assert 'data-metric="Response rate"' in text
    assert ">25%<" in text
    assert f"95% interval {round(100 * low)}% to {round(100 * high)}%" in text
