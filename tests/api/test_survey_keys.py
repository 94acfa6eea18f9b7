"""API keys for one survey: created on the page or the command, refused for another's survey."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from heedback.collect.models import Response
from heedback.core.errors import InvalidInput
from heedback.orgs.models import ApiKey
from heedback.orgs.services import create_api_key
from heedback.surveys import services as survey_services
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_the_page_creates_a_key_for_one_survey_that_submits_there_only(
    admin_client, organisation, published_survey, hotel
):
    other = survey_services.create_survey_from_template(
        organisation, template_key="hotel_stay", name="Other survey"
    )
    page = admin_client.post(
        "/o/acme/api-keys/", {"name": "Kiosk sync", "role": "admin", "survey": published_survey.pk}
    )
    secret = re.search(rb'data-testid="new-api-key">([^<]+)<', page.content).group(1).decode()
    assert ApiKey.objects.get(name="Kiosk sync").survey == published_survey
    listing = admin_client.get("/o/acme/api-keys/").content.decode()
    assert "<td>Stay card</td>" in listing
    client = ApiClient(secret)
    body = {"idempotency_key": "k", "unit": hotel.pk, "answers": {"nps": 9}}
    assert client.post(f"/api/v1/surveys/{published_survey.pk}/responses", body).status_code == 201
    assert client.post(f"/api/v1/surveys/{other.pk}/responses", body).status_code == 404
    assert client.get("/api/v1/surveys").status_code == 404
    assert Response.objects.filter(survey=other).count() == 0


def test_the_page_offers_only_the_organisations_surveys(
    admin_client, organisation, other_organisation
):
    foreign = survey_services.create_survey_from_template(
        other_organisation, template_key="hotel_stay", name="Rival survey"
    )
    page = admin_client.post(
        "/o/acme/api-keys/", {"name": "Sneaky", "role": "admin", "survey": foreign.pk}
    )
    assert page.status_code == 200
    assert "Select a valid choice." in page.content.decode()
    assert not ApiKey.objects.filter(name="Sneaky").exists()


def test_the_service_refuses_another_organisations_survey(organisation, other_organisation):
    foreign = survey_services.create_survey_from_template(
        other_organisation, template_key="hotel_stay", name="Rival survey"
    )
    with pytest.raises(InvalidInput) as refused:
        create_api_key(organisation, name="Sneaky", survey=foreign)
    assert refused.value.errors == {"survey": ["The survey does not exist."]}
    assert ApiKey.objects.count() == 0


def test_the_command_takes_a_survey(organisation, published_survey):
    out = StringIO()
    call_command("create_api_key", org="acme", name="CLI", survey=published_survey.pk, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == f"API key 'CLI' for acme (admin, survey {published_survey.pk} only); " + (
        "it is shown only once:"
    )
    assert ApiKey.objects.get(name="CLI").survey == published_survey
    with pytest.raises(CommandError, match="--survey: no survey 999999 in acme"):
        call_command("create_api_key", org="acme", name="CLI 2", survey=999999, stdout=out)
    assert ApiKey.objects.count() == 1
