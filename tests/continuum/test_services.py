"""Services of the continuum: drafts, submissions, the API's one-shot assessment, statements."""

from __future__ import annotations

import pytest

from heedback.continuum import selectors, services
from heedback.continuum.choices import AssessmentStatus
from heedback.continuum.instrument import Level
from heedback.continuum.models import Assessment, AssessmentAnswer, CustomStatement
from heedback.core.errors import Conflict, InvalidInput
from heedback.orgs.models import AuditEvent
from tests.continuum.conftest import answers_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def me(admin):
    return services.Respondent.of(admin)


def test_saving_starts_one_draft_and_resuming_adds_to_it(organisation, me):
    first = services.save_draft(organisation, None, me, {"cf_problems_fixed": 4})
    again = services.save_draft(organisation, None, me, {"cf_problems_fixed": 5, "en_blame": None})
    assert first.pk == again.pk
    assert Assessment.objects.count() == 1
    assert selectors.answers_of(again) == {"cf_problems_fixed": 5, "en_blame": None}
    assert again.status == AssessmentStatus.DRAFT
    assert again.respondent_role == "admin"
    assert again.instrument_version == 1


def test_a_person_has_one_draft_per_scope(organisation, hotel, me):
    whole = services.save_draft(organisation, None, me, {"cf_problems_fixed": 4})
    unit = services.save_draft(organisation, hotel, me, {"cf_problems_fixed": 2})
    assert whole.pk != unit.pk
    assert selectors.draft_for(organisation, me.user, hotel) == unit
    assert selectors.draft_for(organisation, me.user, None) == whole


def test_unknown_statements_and_bad_values_are_named_and_nothing_is_stored(organisation, me):
    with pytest.raises(InvalidInput) as caught:
        services.save_draft(
            organisation, None, me, {"nope": 3, "en_blame": 6, "en_silos": True, "cf_reactive": 2}
        )
    assert caught.value.errors == {
        "answers.nope": ["unknown statement"],
        "answers.en_blame": ["must be a whole number from 1 to 5, or null for don't know"],
        "answers.en_silos": ["must be a whole number from 1 to 5, or null for don't know"],
    }
    assert not Assessment.objects.exists()
    assert not AssessmentAnswer.objects.exists()


def test_submitting_scores_and_audits_and_the_next_save_starts_a_new_draft(organisation, me):
    services.save_draft(organisation, None, me, answers_at(Level.FRIENDLY))
    submitted = services.submit_draft(organisation, None, me, {})
    assert submitted.status == AssessmentStatus.SUBMITTED
    assert submitted.submitted_at is not None
    assert selectors.placement_of(submitted).overall.level == Level.FRIENDLY
    event = AuditEvent.objects.get(action="continuum.assessment_submit")
    assert event.detail == {"assessment_id": submitted.pk, "unit_id": None}
    fresh = services.save_draft(organisation, None, me, {"cf_problems_fixed": 1})
    assert fresh.pk != submitted.pk


def test_a_draft_without_an_answer_cannot_be_submitted(organisation, me):
    with pytest.raises(InvalidInput) as caught:
        services.submit_draft(organisation, None, me, {"cf_problems_fixed": None})
    assert caught.value.errors == {"answers": ["answer at least one statement"]}
    assert selectors.draft_for(organisation, me.user, None).status == AssessmentStatus.DRAFT


def test_record_assessment_stores_a_submitted_assessment_at_once(organisation, hotel):
    assessment = services.record_assessment(
        services.AssessmentInput(
            organisation=organisation,
            unit=hotel,
            answers=answers_at(Level.FOCUSED),
            respondent=services.Respondent(None, "Ops survey 2025", "api"),
        )
    )
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert assessment.respondent is None
    assert assessment.answers.count() == 34
    assert selectors.placement_of(assessment).overall.level == Level.FOCUSED


def test_record_assessment_refuses_only_dont_knows(organisation):
    with pytest.raises(InvalidInput) as caught:
        services.record_assessment(
            services.AssessmentInput(
                organisation, None, {"en_blame": None}, services.Respondent(None, "x", "api")
            )
        )
    assert caught.value.errors == {"answers": ["answer at least one statement"]}
    assert not Assessment.objects.exists()


def test_custom_statements_join_the_instrument_and_count_after_retirement(organisation, me, admin):
    statement = services.add_custom_statement(
        organisation,
        factor="customer_focus",
        level=4,
        text="  Key accounts have  a named contact. ",
    )
    assert statement.text == "Key accounts have a named contact."
    instrument = selectors.instrument_for(organisation)
    assert instrument.statement(statement.statement_id).level == Level.FOCUSED
    assert len(instrument.statements) == 35
    answers = answers_at(Level.FOCUSED) | {statement.statement_id: 1, "cf_proactive_contact": 2}
    submitted = services.record_assessment(
        services.AssessmentInput(organisation, None, answers, me)
    )
    services.retire_custom_statement(statement, actor=admin.user)
    assert selectors.instrument_for(organisation).statement(statement.statement_id) is None
    # Retired, it still counts in the assessment that answered it: (5 + 2 + 1) / 3 < 3.5.
    assert selectors.placement_of(submitted).factors[0].level == Level.FRIENDLY
    with pytest.raises(InvalidInput) as caught:
        services.save_draft(organisation, None, me, {statement.statement_id: 3})
    assert caught.value.errors == {f"answers.{statement.statement_id}": ["unknown statement"]}


def test_custom_statements_are_checked(organisation):
    with pytest.raises(InvalidInput) as caught:
        services.add_custom_statement(organisation, factor="luck", level=9, text=" ")
    assert set(caught.value.errors) == {"factor", "level", "text"}
    services.add_custom_statement(organisation, factor="environment", level=3, text="We smile.")
    with pytest.raises(Conflict):
        services.add_custom_statement(organisation, factor="environment", level=4, text="we smile.")
    for number in range(services.MAX_CUSTOM_STATEMENTS - 1):
        services.add_custom_statement(
            organisation, factor="environment", level=3, text=f"Practice {number}"
        )
    with pytest.raises(Conflict):
        services.add_custom_statement(organisation, factor="environment", level=3, text="One more")
    assert CustomStatement.objects.count() == services.MAX_CUSTOM_STATEMENTS


def test_another_organisations_statements_are_not_asked(organisation, other_organisation):
    theirs = services.add_custom_statement(
        other_organisation, factor="environment", level=3, text="Rival practice"
    )
    assert selectors.instrument_for(organisation).statement(theirs.statement_id) is None
