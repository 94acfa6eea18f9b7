"""The API shapes: a response's text_analysis, the themes list, the comment search."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection

from heedback.text import search, selectors, services
from heedback.text.models import TextAnalysis

NOW = timedelta(0)


def test_text_analysis_of_a_response(respond):
    response = respond(
        "The staff were wonderful. The room was filthy and disgusting.",
        answers={"nps": 3, "comment": "I will report this to the health inspector."},
    )
    untouched = respond("Nothing read yet")
    services.enrich_pending(settle=NOW, time_budget=0, max_batches=1, batch_size=1)
    analyses = selectors.text_analyses([response.pk, untouched.pk])
    assert untouched.pk not in analyses  # null before the worker has read it
    analysis = analyses[response.pk]
    assert analysis["language"] == "en"
    assert analysis["status"] == "analysed"
    assert set(analysis["sentiment"]) == {"score", "label"}
    assert analysis["sentiment"]["label"] in {"mixed", "negative"}
    assert analysis["themes"] == []
    assert analysis["urgent"] is True
    assert analysis["urgency_reasons"] == ["legal"]
    comment, answer = analysis["texts"]
    assert comment["question_key"] == ""
    assert [sentence["score"] > 0 for sentence in comment["sentences"]] == [True, False]
    assert answer["question_key"] == "comment"
    evidence = answer["urgency_evidence"][0]
    text = TextAnalysis.objects.get(question_key="comment").body
    assert text[evidence["start"] : evidence["end"]] == "report this to the health inspector"


def test_text_analysis_of_an_unsupported_language(respond):
    response = respond("Das Zimmer war sehr schmutzig und das Personal war unfreundlich.")
    services.enrich_pending(settle=NOW, time_budget=0)
    analysis = selectors.text_analyses([response.pk])[response.pk]
    assert analysis["language"] == "de"
    assert analysis["status"] == "not_analysed"
    assert analysis["sentiment"] is None
    assert analysis["urgent"] is False


def test_text_analyses_costs_two_queries(respond, django_assert_num_queries):
    ids = [respond(f"Comment {number} was nice.").pk for number in range(5)]
    services.enrich_pending(settle=NOW, time_budget=0)
    with django_assert_num_queries(2):
        assert len(selectors.text_analyses(ids)) == 5


def test_themes_api_lists_the_organisations_themes(api, make_api_client, other_organisation):
    response = api.get("/api/v1/themes")
    assert response.status_code == 200
    assert response.json() == []
    assert make_api_client(other_organisation).get("/api/v1/themes").json() == []


def test_themes_api_validates_its_filters(api):
    response = api.get("/api/v1/themes", {"days": 0})
    assert response.status_code == 422
    assert "days" in response.json()["errors"]


def test_search_api_highlights_and_escapes(api, respond, make_api_client, other_organisation):
    respond("The <b>parking</b> was expensive. Breakfast was fine.")
    respond("Lovely breakfast.")
    services.enrich_pending(settle=NOW, time_budget=0)
    page = api.get("/api/v1/comments/search", {"q": "parking"}).json()
    assert page["count"] == 1
    assert page["count_capped"] is False
    (hit,) = page["results"]
    # SQLite keeps the tag as text, escaped; PostgreSQL's parser drops it: never raw HTML.
    assert "<mark>parking</mark>" in hit["snippet_html"]
    assert "<b>" not in hit["snippet_html"]
    assert set(hit) == {
        "response",
        "question_key",
        "submitted_at",
        "sentiment_label",
        "snippet_html",
    }
    assert api.get("/api/v1/comments/search", {"q": "breakfast"}).json()["count"] == 2
    assert api.get("/api/v1/comments/search").json() == {
        "count": 0,
        "count_capped": False,
        "results": [],
    }
    foreign = make_api_client(other_organisation)
    assert foreign.get("/api/v1/comments/search", {"q": "parking"}).json()["count"] == 0


def test_search_api_combines_with_filters(api, respond, published_survey, other_hotel):
    respond("Parking at the harbour.")
    respond("Parking on the hill.", unit=other_hotel)
    services.enrich_pending(settle=NOW, time_budget=0)
    page = api.get("/api/v1/comments/search", {"q": "parking", "unit": other_hotel.pk}).json()
    assert page["count"] == 1
    assert "hill" in page["results"][0]["snippet_html"]
    missing = api.get("/api/v1/comments/search", {"q": "parking", "survey": 999999})
    assert missing.status_code == 422
    assert missing.json()["errors"] == {"survey": ["not found"]}


def test_search_stems_words_on_this_database(respond, organisation):
    respond("Our flight was delayed twice.")
    services.enrich_pending(settle=NOW, time_budget=0)
    page = search.search_texts(organisation, "delays")
    assert page.count == 1, connection.vendor
    assert "<mark>delayed</mark>" in page.hits[0].snippet_html
    assert search.search_texts(organisation, '"flight was delayed"').count == 1
    assert search.search_texts(organisation, "*").count == 0


def test_text_analysis_matches_the_schema_the_lead_wires_in(respond):
    from heedback.text.schemas import TextAnalysisOut

    response = respond("Great staff. Never again though.", answers={"nps": 5, "comment": "Ok"})
    services.enrich_pending(settle=NOW, time_budget=0)
    analysis = selectors.text_analyses([response.pk])[response.pk]
    assert TextAnalysisOut.model_validate(analysis).model_dump() == analysis
