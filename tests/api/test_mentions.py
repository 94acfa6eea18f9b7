"""POST /api/v1/mentions: public reviews and social posts from connectors, into one inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from heedback.collect.models import Answer, Mention, MentionInbox, Response
from heedback.loop import services as loop_services
from heedback.loop.models import Case, ResponseTag
from heedback.text import services as text_services
from heedback.text.models import TextAnalysis

pytestmark = pytest.mark.django_db

POSTED = "2026-11-02T09:30:00Z"


def review(**extra) -> dict:
    return {
        "channel": "review",
        "site": "TripAdvisor",
        "author_handle": "@weary_traveller",
        "public_url": "https://www.tripadvisor.example/r/123",
        "external_id": "r123",
        "rating": 2,
        "rating_best": 5,
        "text": "The room was dirty and nobody at the desk cared.",
        "posted_at": POSTED,
        **extra,
    }


def test_a_review_is_stored_as_a_response_of_the_mention_inbox(api, organisation, hotel):
    answer = api.post("/api/v1/mentions", review(unit=hotel.pk))
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    inbox = MentionInbox.objects.get(organisation=organisation)
    assert body == {
        "id": body["id"],
        "survey": inbox.survey_id,
        "unit": hotel.pk,
        "channel": "review",
        "site": "tripadvisor",
        "author_handle": "@weary_traveller",
        "public_url": "https://www.tripadvisor.example/r/123",
        "external_id": "r123",
        "rating": 2.0,
        "rating_worst": 1,
        "rating_best": 5,
        "inbox_rating": 2,
        "text": "The room was dirty and nobody at the desk cared.",
        "posted_at": "2026-11-02T09:30:00Z",
        "customer": None,  # an unknown author stays anonymous
    }
    stored = Response.objects.get(pk=body["id"])
    assert (stored.channel, stored.unit, stored.survey_id) == ("review", hotel, inbox.survey_id)
    assert stored.comment == "The room was dirty and nobody at the desk cared."
    assert list(Answer.objects.filter(response=stored).values_list("question_key", "number")) == [
        ("rating", 2)
    ]
    assert inbox.survey.name == "Public reviews and mentions"
    assert inbox.survey.status == "published"


def test_ratings_on_other_scales_land_on_one_to_five(api, organisation):
    posts = [
        review(external_id="a", public_url="", rating=8, rating_worst=0, rating_best=10),
        review(external_id="b", public_url="", rating=4.5),
        review(external_id="c", public_url="", rating=1, rating_worst=1, rating_best=10),
        {**review(external_id="d", public_url="", channel="social"), "rating": None},
    ]
    answer = api.post("/api/v1/mentions", posts)
    assert answer.json()["created"] == 4
    ids = [result["id"] for result in answer.json()["results"]]
    numbers = [
        Answer.objects.filter(response_id=response_id).values_list("number", flat=True).first()
        for response_id in ids
    ]
    assert numbers == [4, 5, 1, None]
    assert Response.objects.get(pk=ids[3]).channel == "social"
    mention = Mention.objects.get(response_id=ids[0])
    assert (mention.rating, mention.rating_worst, mention.rating_best) == (8.0, 0, 10)


def test_a_repeat_by_external_id_or_by_public_url_is_a_duplicate(api, organisation):
    first = api.post("/api/v1/mentions", review())
    assert first.status_code == 201
    same_id = api.post("/api/v1/mentions", review(public_url="https://elsewhere.example/x"))
    same_url = api.post("/api/v1/mentions", review(external_id="other-id"))
    assert (same_id.status_code, same_url.status_code) == (200, 200)
    assert same_id.json()["id"] == same_url.json()["id"] == first.json()["id"]
    assert same_id.json()["external_id"] == "r123"  # the stored mention, as first sent
    # Another site may reuse the id: a different post.
    other_site = api.post("/api/v1/mentions", review(site="google", public_url=""))
    assert other_site.status_code == 201
    assert Response.objects.count() == Mention.objects.count() == 2


def test_a_list_reports_created_duplicate_and_invalid_items_and_resends_safely(
    api, organisation, hotel
):
    items = [
        review(external_id="1", public_url="https://t.example/1"),
        review(external_id="2", public_url="https://t.example/1"),  # same post, in the list
        review(external_id="3", public_url="", rating=6),
        review(external_id="", public_url=""),
        review(external_id="5", public_url="ftp://t.example/5", channel="email"),
        review(external_id="6", public_url="", unit=999_999),
        review(external_id="7", public_url="", posted_at="2026-11-02T09:30:00"),
        "not an object",
        review(external_id="9", public_url="", rating=None, text=""),
    ]
    answer = api.post("/api/v1/mentions", items)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["created"], body["duplicate"], body["invalid"]) == (1, 1, 7)
    results = body["results"]
    assert [r["status"] for r in results] == ["created", "duplicate"] + ["invalid"] * 7
    assert results[1]["id"] == results[0]["id"]
    assert results[2]["errors"] == {"rating": ["Give a rating from 1 to 5."]}
    assert results[3]["errors"] == {
        "external_id": ["Give the site's id of the post or its public_url."]
    }
    assert results[4]["errors"] == {
        "channel": ["Input should be 'review' or 'social'"],
    }
    assert results[5]["errors"] == {"unit": ["not found"]}
    assert list(results[6]["errors"]) == ["posted_at"]
    assert results[7]["errors"] == {"__all__": ["Send a JSON object."]}
    assert results[8]["errors"] == {"rating": ["Answer at least one question."]}
    assert Response.objects.count() == Mention.objects.count() == 1
    again = api.post("/api/v1/mentions", items[:3]).json()
    assert (again["created"], again["duplicate"], again["invalid"]) == (0, 2, 1)
    assert Response.objects.count() == 1


def test_an_invalid_single_mention_is_refused_with_field_errors_and_nothing_stored(
    api, organisation
):
    answer = api.post(
        "/api/v1/mentions",
        review(public_url="javascript:alert(1)", external_id="", rating_worst=5, rating_best=5),
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == {
        "public_url": ["Give the post's http or https address."],
        "rating_best": ["Give a scale with 0 ≤ worst < best ≤ 100."],
    }
    assert Response.objects.count() == Mention.objects.count() == 0
    assert api.post("/api/v1/mentions", []).status_code == 422


def test_a_public_complaint_opens_a_case_and_its_text_is_read(api, organisation, hotel):
    just_now = (timezone.now() - timedelta(hours=1)).isoformat()
    bad = api.post("/api/v1/mentions", review(unit=hotel.pk, posted_at=just_now)).json()
    good = api.post(
        "/api/v1/mentions",
        review(external_id="r2", public_url="", rating=5, text="Lovely stay.", posted_at=just_now),
    ).json()
    assert loop_services.evaluate_new_responses() == 2
    case = Case.objects.get()
    assert (case.response_id, case.priority, case.unit) == (bad["id"], "high", hotel)
    assert list(ResponseTag.objects.values_list("response_id", "tag")) == [(bad["id"], "public")]
    text_services.enrich_pending(settle=timedelta(0), time_budget=0)
    assert set(TextAnalysis.objects.values_list("response_id", flat=True)) == {
        bad["id"],
        good["id"],
    }


def test_the_results_page_links_to_the_public_post(api, organisation, admin_client):
    created = api.post("/api/v1/mentions", review()).json()
    page = admin_client.get(f"/o/acme/surveys/{created['survey']}/results/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="https://www.tripadvisor.example/r/123"' in html
    assert "@weary_traveller" in html


def test_mentions_need_a_key_that_may_write(organisation, make_api_client):
    reader = make_api_client(organisation, role="analyst")
    assert reader.post("/api/v1/mentions", review()).status_code == 403
    assert Client().post("/api/v1/mentions", review()).status_code == 401
    assert Response.objects.count() == 0
