"""Set up a new organisation with what every app gives it by default.

This sits above the apps (like urls and cli) because onboarding touches several of them:
the orgs app makes the organisation, the surveys app its domain taxonomy, the loop app
its default rules (every detractor, every public complaint) and case lists.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from heedback.loop.services import seed_loop_defaults
from heedback.orgs import services as org_services
from heedback.orgs.models import Organisation
from heedback.surveys import services as survey_services


@transaction.atomic
def create_organisation(
    *, name: str, slug: str, time_zone: str = "UTC", actor: AbstractBaseUser | None = None
) -> Organisation:
    """Create an organisation with its root unit, the ten domains and the default loop rules."""
    organisation = org_services.create_organisation(
        name=name, slug=slug, time_zone=time_zone, actor=actor
    )
    survey_services.seed_default_domains(organisation)
    seed_loop_defaults(organisation)
    return organisation
