"""The themes page, its curation form and the comment search page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from heedback.text import services
from heedback.text.models import Theme, ThemeSpace

NOW = timedelta(0)


@pytest.fixture
def space(organisation) -> ThemeSpace:
    """A theme space with two hand-made themes found by keywords."""
    space = ThemeSpace.objects.create(
        organisation=organisation, representation="tfidf", threshold=1
    )
    for name, words in (("Parking", ["parking"]), ("Breakfast", ["breakfast"])):
        theme = Theme.objects.create(organisation=organisation, space=space, name=name)
        services.set_keywords(theme, words)
    return space


def client_for(member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def test_theme_list_shows_volume_and_sentiment(
    respond, space, admin_client, django_assert_max_num_queries
):
    respond("The parking was awful.")
    respond("Lovely breakfast and easy parking.")
    services.enrich_pending(settle=NOW, time_budget=0)
    services.assign_pending_themes(time_budget=0)
    with django_assert_max_num_queries(8):
        page = admin_client.get("/o/acme/themes/")
    assert page.status_code == 200
    rows = {row["name"]: row for row in page.context["themes"]}
    assert rows["Parking"]["volume"] == 2
    assert rows["Breakfast"]["volume"] == 1
    assert rows["Parking"]["negative"] == 1
    assert b"Curate a theme" in page.content


def test_curation_renames_and_refuses_bad_input(space, admin_client):
    parking = Theme.objects.get(name="Parking")
    response = admin_client.post(
        "/o/acme/themes/curate/", {"action": "rename", "theme": parking.pk, "name": "Car park"}
    )
    assert response.status_code == 302
    assert Theme.objects.get(pk=parking.pk).name == "Car park"
    response = admin_client.post(
        "/o/acme/themes/curate/",
        {"action": "rename", "theme": parking.pk, "name": " "},
        follow=True,
    )
    assert "Give the new name." in response.content.decode()
    assert Theme.objects.get(pk=parking.pk).name == "Car park"


def test_curation_merges_two_themes(space, admin_client):
    parking, breakfast = Theme.objects.get(name="Parking"), Theme.objects.get(name="Breakfast")
    admin_client.post(
        "/o/acme/themes/curate/", {"action": "merge", "theme": breakfast.pk, "into": parking.pk}
    )
    breakfast.refresh_from_db()
    assert breakfast.status == "merged"
    assert Theme.objects.get(pk=parking.pk).keywords == ["breakfast", "parking"]


def test_a_viewer_sees_themes_but_cannot_curate(space, organisation, make_member):
    client = client_for(make_member(organisation, "viewer"))
    page = client.get("/o/acme/themes/")
    assert page.status_code == 200
    assert b"Curate a theme" not in page.content
    parking = Theme.objects.get(name="Parking")
    response = client.post("/o/acme/themes/curate/", {"action": "archive", "theme": parking.pk})
    assert response.status_code == 403
    assert Theme.objects.get(pk=parking.pk).status == "active"


def test_search_page_highlights_and_keeps_a_manager_to_their_units(
    respond, organisation, other_hotel, make_member, admin_client
):
    respond("Parking by the harbour was easy.")
    respond("Parking on the hill was full.", unit=other_hotel)
    services.enrich_pending(settle=NOW, time_budget=0)
    page = admin_client.get("/o/acme/comments/search/", {"q": "parking"})
    assert page.context["found"].count == 2
    assert "<mark>Parking</mark>" in page.content.decode()
    manager = client_for(make_member(organisation, "manager", unit=other_hotel))
    page = manager.get("/o/acme/comments/search/", {"q": "parking"})
    assert page.context["found"].count == 1
    assert "hill" in page.content.decode()
    assert "harbour" not in page.content.decode()
