"""Writes of the surveys app: domains, surveys, drafts and publishing."""

from __future__ import annotations

import copy

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from heedback.core.errors import Conflict, InvalidInput, NotFound
from heedback.core.kept import WRITE_TARGETS, rows_changed
from heedback.orgs.models import Organisation
from heedback.orgs.services import record_audit
from heedback.surveys.builtin_templates import TEMPLATES
from heedback.surveys.choices import SurveyStatus
from heedback.surveys.definition import (
    DefinitionError,
    check_domains,
    dump_definition,
    parse_definition,
)
from heedback.surveys.domains import DEFAULT_DOMAINS
from heedback.surveys.models import Domain, Survey, SurveyVersion


def seed_default_domains(organisation: Organisation) -> list[Domain]:
    """Give an organisation the ten domains of satisfaction, keeping any it already has."""
    domains = []
    for position, spec in enumerate(DEFAULT_DOMAINS):
        domain, _created = Domain.objects.get_or_create(
            organisation=organisation,
            key=spec.key,
            defaults={"name": spec.name, "description": spec.description, "position": position},
        )
        domains.append(domain)
    return domains


def save_domain(
    organisation: Organisation,
    *,
    key: str,
    name: str,
    description: str = "",
    is_retired: bool = False,
) -> Domain:
    """Add a domain, or rename or retire one; keys never change, so answers keep their link."""
    name = name.strip()
    if not name:
        raise InvalidInput.from_pairs(
            _("The domain is not valid."), [("name", _("Give the domain a name."))]
        )
    position = Domain.objects.for_org(organisation).aggregate(top=Max("position"))["top"]
    domain, _created = Domain.objects.update_or_create(
        organisation=organisation,
        key=key,
        defaults={"name": name, "description": description.strip(), "is_retired": is_retired},
        create_defaults={
            "name": name,
            "description": description.strip(),
            "is_retired": is_retired,
            "position": (position or 0) + 1,
        },
    )
    return domain


def validate_definition(organisation: Organisation, data: object) -> dict:
    """Return the normalised definition, or raise InvalidInput naming every bad field's path.

    Domains must be ones the organisation knows (retired ones included, so an old survey
    can be republished after a domain is retired).
    """
    if not isinstance(data, dict):
        raise InvalidInput(
            _("The definition must be an object."), errors={"definition": [_("expected an object")]}
        )
    try:
        definition = parse_definition(data)
        known = set(Domain.objects.for_org(organisation).values_list("key", flat=True))
        check_domains(definition, known)
    except DefinitionError as error:
        raise InvalidInput.from_pairs(
            _("The survey definition is not valid."),
            [(field.path, field.message) for field in error.errors],
        ) from error
    return dump_definition(definition)


@transaction.atomic
def create_survey(
    organisation: Organisation,
    *,
    name: str,
    definition: dict,
    template_key: str = "",
    actor: AbstractBaseUser | None = None,
) -> Survey:
    """Create a draft survey from a full definition."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput.from_pairs(
            _("The survey is not valid."),
            [("name", _("Give the survey a name of 1–200 characters."))],
        )
    clean = validate_definition(organisation, definition)
    survey = Survey.objects.create(
        organisation=organisation,
        name=name,
        kind=clean.get("kind", "customer"),
        template_key=template_key,
        created_by=actor if actor is not None and actor.pk else None,
    )
    SurveyVersion.objects.create(
        organisation=organisation, survey=survey, number=1, definition=clean
    )
    record_audit(
        organisation, actor, "survey.create", name, survey_id=survey.pk, template=template_key
    )
    return survey


def create_survey_from_template(
    organisation: Organisation,
    *,
    template_key: str,
    name: str = "",
    actor: AbstractBaseUser | None = None,
) -> Survey:
    """Create a draft survey as a copy of a built-in template."""
    template = TEMPLATES.get(template_key)
    if template is None:
        raise InvalidInput.from_pairs(
            _("Unknown template."), [("template", _("Choose one of: %s.") % ", ".join(TEMPLATES))]
        )
    return create_survey(
        organisation,
        name=name.strip() or str(template.name),
        definition=copy.deepcopy(template.definition),
        template_key=template.key,
        actor=actor,
    )


def draft_of(survey: Survey) -> SurveyVersion:
    """Return the survey's newest version (its draft when not yet published)."""
    version = survey.versions.order_by("-number").first()
    if version is None:
        raise NotFound(_("The survey has no version."))
    return version


@transaction.atomic
def save_draft(
    survey: Survey,
    definition: dict,
    *,
    name: str | None = None,
    actor: AbstractBaseUser | None = None,
) -> SurveyVersion:
    """Store an edited definition as the draft, opening a new version if the last one is frozen."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    clean = validate_definition(survey.organisation, definition)
    latest = draft_of(survey)
    if latest.is_frozen:
        latest = SurveyVersion.objects.create(
            organisation=survey.organisation,
            survey=survey,
            number=latest.number + 1,
            definition=clean,
        )
    else:
        latest.definition = clean
        latest.save(update_fields=["definition"])
    fields = ["updated_at"]
    if name is not None and name.strip():
        survey.name = name.strip()[:200]
        fields.append("name")
    survey.updated_at = timezone.now()
    survey.save(update_fields=fields)
    return latest


@transaction.atomic
def publish_survey(survey: Survey, *, actor: AbstractBaseUser | None = None) -> SurveyVersion:
    """Freeze the draft and make it the version respondents answer.

    Publishing a survey whose newest version is already frozen is a no-op that returns it,
    so a retried publish is harmless.
    """
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    version = draft_of(survey)
    validate_definition(survey.organisation, version.definition)
    if not version.is_frozen:
        version.published_at = timezone.now()
        version.save(update_fields=["published_at"])
        record_audit(
            survey.organisation,
            actor,
            "survey.publish",
            survey.name,
            survey_id=survey.pk,
            version=version.number,
        )
    survey.published_version = version
    survey.status = SurveyStatus.PUBLISHED
    survey.updated_at = timezone.now()
    survey.save(update_fields=["published_version", "status", "updated_at"])
    rows_changed(WRITE_TARGETS)
    return version


@transaction.atomic
def close_survey(survey: Survey, *, actor: AbstractBaseUser | None = None) -> Survey:
    """Stop accepting responses; links then show a 'survey closed' page."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.published_version_id is None:
        raise Conflict(_("Only a published survey can be closed."))
    survey.status = SurveyStatus.CLOSED
    survey.updated_at = timezone.now()
    survey.save(update_fields=["status", "updated_at"])
    rows_changed(WRITE_TARGETS)
    record_audit(survey.organisation, actor, "survey.close", survey.name, survey_id=survey.pk)
    return survey
