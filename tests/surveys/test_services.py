"""Tests for the surveys app's writes: templates, drafts, versions, publishing and domains."""

import copy

import pytest

from heedback.core.errors import Conflict, InvalidInput
from heedback.orgs import services as org_services
from heedback.orgs.models import AuditEvent
from heedback.surveys import editing, services
from heedback.surveys.builtin_templates import TEMPLATES
from heedback.surveys.choices import SurveyStatus
from heedback.surveys.definition import dump_definition, parse_definition
from heedback.surveys.domains import DEFAULT_DOMAINS
from heedback.surveys.models import Domain, Survey, SurveyVersion


@pytest.fixture
def organisation(db):
    organisation = org_services.create_organisation(name="Acme Hotels", slug="acme")
    services.seed_default_domains(organisation)
    return organisation


@pytest.fixture
def author(db):
    return org_services.create_user(email="cx@example.com", password="x" * 12)


@pytest.fixture
def survey(organisation, author):
    return services.create_survey_from_template(
        organisation, template_key="post_service", name="After a visit", actor=author
    )


def publish_events(organisation) -> list[dict]:
    return list(
        AuditEvent.objects.filter(organisation=organisation, action="survey.publish").values_list(
            "detail", flat=True
        )
    )


# --- creating -----------------------------------------------------------------------------


@pytest.mark.parametrize("template_key", sorted(TEMPLATES))
def test_create_survey_from_each_template_makes_a_draft_copy(organisation, author, template_key):
    template = TEMPLATES[template_key]

    survey = services.create_survey_from_template(
        organisation, template_key=template_key, actor=author
    )

    assert (survey.name, survey.kind, survey.template_key) == (
        template.name,
        template.kind,
        template_key,
    )
    assert (survey.status, survey.published_version, survey.created_by) == (
        SurveyStatus.DRAFT,
        None,
        author,
    )
    versions = list(survey.versions.all())
    assert [(version.number, version.published_at) for version in versions] == [(1, None)]
    assert versions[0].definition == dump_definition(parse_definition(template.definition))


def test_create_survey_from_a_template_takes_the_name_given(organisation):
    survey = services.create_survey_from_template(
        organisation, template_key="hotel_stay", name="  Room card  "
    )

    assert survey.name == "Room card"


def test_a_survey_copies_its_template_so_editing_it_leaves_the_template_alone(survey):
    before = copy.deepcopy(TEMPLATES["post_service"].definition)
    version = services.draft_of(survey)

    services.save_draft(survey, editing.remove_question(version.definition, "nps"))

    assert TEMPLATES["post_service"].definition == before


def test_an_unknown_template_is_refused_and_nothing_is_written(organisation):
    with pytest.raises(InvalidInput) as refused:
        services.create_survey_from_template(organisation, template_key="nope")

    assert list(refused.value.errors) == ["template"]
    assert Survey.objects.count() == 0


def test_a_bad_definition_is_refused_with_the_exact_path_and_nothing_is_written(organisation):
    definition = copy.deepcopy(TEMPLATES["post_service"].definition)
    definition["questions"][1]["scale"]["max"] = 20

    with pytest.raises(InvalidInput) as refused:
        services.create_survey(organisation, name="Broken", definition=definition)

    assert refused.value.message == "The survey definition is not valid."
    assert refused.value.errors == {"questions.1.scale.max": ["must be from 3 to 11"]}
    assert (Survey.objects.count(), SurveyVersion.objects.count()) == (0, 0)


def test_a_domain_the_organisation_lacks_is_refused_at_its_path(organisation):
    definition = copy.deepcopy(TEMPLATES["post_service"].definition)
    definition["questions"][4]["domain"] = "parking"

    with pytest.raises(InvalidInput) as refused:
        services.create_survey(organisation, name="Broken", definition=definition)

    assert refused.value.errors == {"questions.4.domain": ["unknown domain 'parking'"]}
    assert Survey.objects.count() == 0


# --- drafts and versions ------------------------------------------------------------------


def test_save_draft_rewrites_the_unpublished_version(survey):
    version = services.draft_of(survey)
    edited = editing.remove_question(version.definition, "improvement")

    saved = services.save_draft(survey, edited, name="Visit follow-up")

    survey.refresh_from_db()
    assert (saved.pk, saved.number) == (version.pk, 1)
    assert SurveyVersion.objects.get(pk=version.pk).definition == edited
    assert survey.name == "Visit follow-up"
    assert survey.versions.count() == 1


def test_save_draft_refuses_a_bad_definition_with_its_path_and_changes_nothing(survey):
    version = services.draft_of(survey)
    before = copy.deepcopy(version.definition)
    edited = copy.deepcopy(before)
    edited["questions"][2]["text"] = "   "

    with pytest.raises(InvalidInput) as refused:
        services.save_draft(survey, edited, name="Renamed")

    assert refused.value.errors == {"questions.2.text": ["must not be empty"]}
    assert SurveyVersion.objects.get(pk=version.pk).definition == before
    assert Survey.objects.get(pk=survey.pk).name == "After a visit"


def test_save_draft_on_a_published_survey_opens_version_2_and_freezes_version_1(survey):
    first = services.publish_survey(survey)
    frozen = copy.deepcopy(first.definition)
    published_at = first.published_at
    edited = editing.remove_question(first.definition, "staff")

    draft = services.save_draft(survey, edited)

    survey.refresh_from_db()
    first.refresh_from_db()
    assert (draft.number, draft.published_at, draft.definition) == (2, None, edited)
    assert (first.definition, first.published_at) == (frozen, published_at)
    assert (survey.status, survey.published_version_id) == (SurveyStatus.PUBLISHED, first.pk)


def test_a_second_edit_after_publishing_changes_the_same_draft(survey):
    first = services.publish_survey(survey)
    services.save_draft(survey, editing.remove_question(first.definition, "staff"))
    second = editing.remove_question(services.draft_of(survey).definition, "comment")

    draft = services.save_draft(survey, second)

    assert [version.number for version in survey.versions.order_by("number")] == [1, 2]
    assert (draft.number, draft.definition) == (2, second)


# --- publishing and closing ---------------------------------------------------------------


def test_publish_freezes_the_draft_and_makes_it_live(survey, author):
    version = services.publish_survey(survey, actor=author)

    survey.refresh_from_db()
    assert (version.number, version.is_frozen) == (1, True)
    assert (survey.status, survey.published_version_id) == (SurveyStatus.PUBLISHED, version.pk)
    assert publish_events(survey.organisation) == [{"survey_id": survey.pk, "version": 1}]


def test_publish_twice_is_harmless(survey):
    first = services.publish_survey(survey)

    again = services.publish_survey(survey)

    assert (again.pk, again.published_at) == (first.pk, first.published_at)
    assert survey.versions.count() == 1
    assert publish_events(survey.organisation) == [{"survey_id": survey.pk, "version": 1}]


def test_publishing_an_edited_survey_makes_version_2_live(survey):
    first = services.publish_survey(survey)
    services.save_draft(survey, editing.remove_question(first.definition, "staff"))

    second = services.publish_survey(survey)

    survey.refresh_from_db()
    assert second.number == 2
    assert survey.published_version_id == second.pk
    assert editing.question_keys(second.definition) == [
        "nps",
        "satisfaction",
        "problem_resolved",
        "timeliness",
        "improvement",
        "comment",
    ]


def test_close_stops_a_published_survey(survey, author):
    services.publish_survey(survey)
    survey.refresh_from_db()

    closed = services.close_survey(survey, actor=author)

    assert closed.status == SurveyStatus.CLOSED
    assert Survey.objects.get(pk=survey.pk).status == SurveyStatus.CLOSED
    assert AuditEvent.objects.filter(action="survey.close", target="After a visit").count() == 1


def test_close_refuses_a_survey_never_published(survey):
    with pytest.raises(Conflict) as refused:
        services.close_survey(survey)

    assert refused.value.message == "Only a published survey can be closed."
    assert Survey.objects.get(pk=survey.pk).status == SurveyStatus.DRAFT


def test_publishing_a_closed_survey_reopens_it(survey):
    version = services.publish_survey(survey)
    survey.refresh_from_db()
    services.close_survey(survey)

    again = services.publish_survey(survey)

    assert again.pk == version.pk
    assert Survey.objects.get(pk=survey.pk).status == SurveyStatus.PUBLISHED


# --- domains ------------------------------------------------------------------------------


def test_seed_default_domains_gives_the_ten_domains_once(organisation):
    services.seed_default_domains(organisation)

    assert list(Domain.objects.for_org(organisation).values_list("key", flat=True)) == [
        spec.key for spec in DEFAULT_DOMAINS
    ]


def test_seed_default_domains_keeps_a_renamed_domain(organisation):
    services.save_domain(organisation, key="value", name="Value for money")

    services.seed_default_domains(organisation)

    assert Domain.objects.get(organisation=organisation, key="value").name == "Value for money"
    assert Domain.objects.for_org(organisation).count() == 10


def test_save_domain_adds_renames_and_retires(organisation):
    added = services.save_domain(organisation, key="parking", name=" Parking ", description="Cars")
    services.save_domain(organisation, key="innovation", name="New ideas", is_retired=True)

    assert (added.name, added.description, added.position, added.is_retired) == (
        "Parking",
        "Cars",
        10,
        False,
    )
    innovation = Domain.objects.get(organisation=organisation, key="innovation")
    assert (innovation.name, innovation.is_retired) == ("New ideas", True)


def test_save_domain_refuses_an_empty_name_and_changes_nothing(organisation):
    with pytest.raises(InvalidInput) as refused:
        services.save_domain(organisation, key="quality", name="  ")

    assert refused.value.errors == {"name": ["Give the domain a name."]}
    assert Domain.objects.get(organisation=organisation, key="quality").name == "Quality"


def test_a_retired_domain_still_validates_so_old_surveys_can_be_republished(survey):
    services.save_domain(survey.organisation, key="timeliness", name="Timeliness", is_retired=True)

    version = services.publish_survey(survey)

    assert version.definition["questions"][3]["domain"] == "timeliness"
