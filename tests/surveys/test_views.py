"""Tests for the survey pages through HTTP: list, templates, the builder, preview, domains."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from heedback.collect.models import SurveyLink
from heedback.orgs.models import Unit
from heedback.surveys import services
from heedback.surveys.choices import SurveyStatus
from heedback.surveys.models import Domain, Survey, SurveyVersion
from heedback.surveys.views import revision_of

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def editor(organisation, make_member):
    return make_member(organisation, "admin")


@pytest.fixture
def editor_client(editor) -> Client:
    editor_client = Client()
    editor_client.force_login(editor.user)
    return editor_client


@pytest.fixture
def survey(organisation) -> Survey:
    return services.create_survey_from_template(
        organisation, template_key="post_service", name="After a visit"
    )


def url(name: str, survey: Survey | None = None, *args: object) -> str:
    if survey is None:
        return reverse(name, args=["acme", *args])
    return reverse(name, args=[survey.organisation.slug, survey.pk, *args])


def draft(survey: Survey) -> dict:
    return services.draft_of(survey).definition


def revision(survey: Survey) -> str:
    return revision_of(services.draft_of(survey))


def question(survey: Survey, key: str) -> dict:
    return next(item for item in draft(survey)["questions"] if item["key"] == key)


def keys(survey: Survey) -> list[str]:
    return [item["key"] for item in draft(survey)["questions"]]


def text_of(response) -> str:
    return response.content.decode()


RATING_FORM = {
    "text": "How satisfied are you with our staff?",
    "help": "Think of the person who served you.",
    "required": "on",
    "key": "staff",
    "domain": "frontline_behaviours",
    "scale_min": "1",
    "scale_max": "5",
    "min_label": "Very dissatisfied",
    "max_label": "Very satisfied",
    "condition_question": "",
    "condition_operator": "equals",
    "condition_values": "",
}


# --- the whole path -----------------------------------------------------------------------


def test_create_edit_add_refuse_and_publish_a_survey(editor_client, organisation, hotel):
    page = editor_client.get(url("survey-create"))
    assert page.status_code == 200
    assert "After a service visit" in text_of(page)
    assert "7 questions." in text_of(page)

    created = editor_client.post(
        url("survey-create"), {"template": "post_service", "name": "Visits"}
    )
    survey = Survey.objects.get()
    assert created.status_code == 302
    assert created["Location"] == url("survey-edit", survey)
    assert (survey.name, survey.status, survey.template_key) == ("Visits", "draft", "post_service")

    edited = editor_client.post(url("survey-question-edit", survey, "staff"), RATING_FORM)
    assert edited.status_code == 302
    assert edited["Location"] == url("survey-edit", survey) + "#question-staff"
    assert question(survey, "staff") == {
        "key": "staff",
        "type": "rating",
        "text": "How satisfied are you with our staff?",
        "help": "Think of the person who served you.",
        "required": True,
        "domain": "frontline_behaviours",
        "scale": {
            "min": 1,
            "max": 5,
            "min_label": "Very dissatisfied",
            "max_label": "Very satisfied",
        },
        "placeholder": "",
    }

    added = editor_client.post(
        url("survey-question-add", survey),
        {
            "type": "single_choice",
            "text": "How did you contact us?",
            "options": "phone: By phone\nIn the shop\n",
            "condition_question": "",
        },
    )
    assert added.status_code == 302
    assert added["Location"] == url("survey-edit", survey) + "#question-how_did_you_contact_us"
    assert question(survey, "how_did_you_contact_us") == {
        "key": "how_did_you_contact_us",
        "type": "single_choice",
        "text": "How did you contact us?",
        "help": "",
        "required": False,
        "options": [
            {"key": "phone", "label": "By phone"},
            {"key": "in_the_shop", "label": "In the shop"},
        ],
        "placeholder": "",
    }

    before = draft(survey)
    refused = editor_client.post(
        url("survey-question-edit", survey, "staff"), {**RATING_FORM, "scale_max": "20"}
    )
    assert refused.status_code == 422
    assert (
        '<ul class="errorlist" id="id_question_scale_max_error"><li>must be from 3 to 11</li></ul>'
        in text_of(refused)
    )
    assert 'aria-describedby="id_question_scale_max_helptext id_question_scale_max_error"' in (
        text_of(refused)
    )
    assert draft(survey) == before

    published = editor_client.post(url("survey-publish", survey))
    assert published.status_code == 302
    assert published["Location"] == url("survey-detail", survey)
    detail = editor_client.get(published["Location"])
    survey.refresh_from_db()
    assert (survey.status, survey.published_version.number) == ("published", 1)
    assert "Version 1 is published. Respondents now answer it." in text_of(detail)
    assert '<span class="badge published">Published</span>' in text_of(detail)
    assert "respondents answer version 1" in text_of(detail)
    assert (
        SurveyLink.objects.filter(survey=survey).count()
        == Unit.objects.filter(organisation=organisation).count()
    )


# --- permissions and tenancy --------------------------------------------------------------


def test_a_viewer_sees_the_survey_but_gets_403_on_editing_and_publishing(
    survey, organisation, make_member
):
    viewer = Client()
    viewer.force_login(make_member(organisation, "viewer").user)
    before = draft(survey)

    assert viewer.get(url("survey-detail", survey)).status_code == 200
    assert viewer.get(url("survey-preview", survey)).status_code == 200
    assert viewer.get(url("survey-edit", survey)).status_code == 403
    assert viewer.post(url("survey-question-edit", survey, "staff"), RATING_FORM).status_code == 403
    assert viewer.post(url("survey-publish", survey)).status_code == 403
    survey.refresh_from_db()
    assert (survey.status, draft(survey)) == ("draft", before)


def test_a_viewer_sees_no_edit_or_publish_buttons(survey, organisation, make_member):
    viewer = Client()
    viewer.force_login(make_member(organisation, "viewer").user)

    detail = text_of(viewer.get(url("survey-detail", survey)))

    assert url("survey-edit", survey) not in detail
    assert url("survey-publish", survey) not in detail
    assert url("survey-results", survey) in detail
    assert url("survey-links", survey) in detail


def test_a_member_of_another_organisation_gets_404(survey, other_organisation, make_member):
    outsider = Client()
    outsider.force_login(make_member(other_organisation, "owner").user)
    foreign = reverse("survey-edit", args=["rival", survey.pk])

    assert outsider.get(url("survey-detail", survey)).status_code == 404
    assert outsider.get(url("survey-edit", survey)).status_code == 404
    assert outsider.get(foreign).status_code == 404
    assert outsider.post(reverse("survey-publish", args=["rival", survey.pk])).status_code == 404
    assert Survey.objects.get(pk=survey.pk).status == SurveyStatus.DRAFT


# --- the list -----------------------------------------------------------------------------


def test_survey_list_shows_status_and_versions(editor_client, organisation, survey):
    live = services.create_survey_from_template(organisation, template_key="hotel_stay")
    services.publish_survey(live)
    services.save_draft(live, draft(live))

    page = text_of(editor_client.get(url("survey-list")))

    assert page.index("Hotel stay card") < page.index("After a visit")
    assert '<span class="badge published">Published</span>' in page
    assert '<span class="badge draft">Draft</span>' in page
    assert page.count("version 1") == 2  # live v1 of the stay card, draft v1 of the visit
    assert "version 2" in page


def test_survey_list_query_count_does_not_grow_with_surveys(
    editor_client, organisation, django_assert_max_num_queries
):
    for number in range(6):
        survey = services.create_survey_from_template(
            organisation, template_key="hotel_stay", name=f"Card {number}"
        )
        services.publish_survey(survey)
    # session, user, membership, count, page of surveys (with their versions joined)
    with django_assert_max_num_queries(5):
        response = editor_client.get(url("survey-list"))

    assert response.status_code == 200
    assert text_of(response).count('<span class="badge published">') == 6


# --- creating -----------------------------------------------------------------------------


def test_creating_without_a_template_shows_the_error_and_creates_nothing(editor_client):
    response = editor_client.post(url("survey-create"), {"template": "", "name": "X"})

    assert response.status_code == 422
    assert 'id="id_template_error"><li>Choose a template to start from.</li></ul>' in (
        text_of(response)
    )
    assert Survey.objects.count() == 0


def test_creating_from_a_template_whose_domains_are_missing_says_which(editor_client, organisation):
    Domain.objects.filter(organisation=organisation, key__in=["timeliness", "environment"]).delete()

    response = editor_client.post(url("survey-create"), {"template": "post_service"})

    assert response.status_code == 422
    assert (
        "This template rates domains your organisation does not have: timeliness. "
        "Add them on the Domains page, or choose another template."
    ) in text_of(response)
    assert Survey.objects.count() == 0


# --- the editor ---------------------------------------------------------------------------


def test_the_editor_of_a_draft_says_nobody_answers_it_yet(editor_client, survey):
    page = text_of(editor_client.get(url("survey-edit", survey)))

    assert "Editing version 1 (draft)." in page
    assert "Nobody can answer it until you publish." in page
    assert page.count('class="card question-item') == 7


def test_editing_a_published_survey_edits_version_2_and_says_so(editor_client, survey):
    services.publish_survey(survey)
    page = text_of(editor_client.get(url("survey-edit", survey)))
    assert "Your first change opens version 2 as a draft" in page

    response = editor_client.post(
        url("survey-question-edit", survey, "staff"), RATING_FORM, follow=True
    )

    assert "Editing version 2 (draft); respondents still answer version 1 until you publish." in (
        text_of(response)
    )
    first = SurveyVersion.objects.get(survey=survey, number=1)
    assert first.definition["questions"][4]["text"] == (
        "How satisfied are you with the way our staff treated you?"
    )
    assert question(survey, "staff")["text"] == "How satisfied are you with our staff?"


def test_an_htmx_request_gets_the_editor_block_only(editor_client, survey):
    response = editor_client.get(url("survey-question-edit", survey, "staff"), **HX)

    page = text_of(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="editor" class="editor">')
    assert "<html" not in page
    assert 'class="card question-item is-editing" id="question-staff"' in page


def test_an_htmx_edit_answers_with_the_fresh_editor_and_its_message(editor_client, survey):
    response = editor_client.post(url("survey-question-edit", survey, "staff"), RATING_FORM, **HX)

    page = text_of(response)
    assert response.status_code == 200
    assert '<li class="message success">Question saved.</li>' in page
    assert "How satisfied are you with our staff?" in page
    assert "is-editing" not in page


def test_an_htmx_refusal_is_422_with_the_form_and_its_errors(editor_client, survey):
    before = draft(survey)

    response = editor_client.post(
        url("survey-question-edit", survey, "staff"), {**RATING_FORM, "text": " "}, **HX
    )

    assert response.status_code == 422
    assert '<ul class="errorlist" id="id_question_text_error"><li>This field is required.</li>' in (
        text_of(response)
    )
    assert draft(survey) == before


def test_adding_through_htmx_opens_the_form_in_the_editor_then_shows_the_new_question(
    editor_client, survey
):
    opened = editor_client.get(url("survey-question-add", survey) + "?type=yes_no", **HX)
    assert "New question: Yes or no" in text_of(opened)
    assert '<input type="hidden" name="type" value="yes_no">' in text_of(opened)

    added = editor_client.post(
        url("survey-question-add", survey), {"type": "yes_no", "text": "Did we call back?"}, **HX
    )

    page = text_of(added)
    assert added.status_code == 200
    assert '<li class="message success">Question added.</li>' in page
    assert 'id="question-did_we_call_back"' in page
    assert keys(survey)[-1] == "did_we_call_back"


def test_saving_the_survey_settings(editor_client, survey):
    response = editor_client.post(
        url("survey-edit", survey),
        {
            "name": "Visit follow-up",
            "title": "Comment était notre visite ?",
            "intro": "Une minute.",
            "thanks": "Merci !",
            "language": "fr",
        },
    )

    assert response.status_code == 302
    survey.refresh_from_db()
    assert survey.name == "Visit follow-up"
    saved = draft(survey)
    assert (saved["title"], saved["intro"], saved["thanks"], saved["language"]) == (
        "Comment était notre visite ?",
        "Une minute.",
        "Merci !",
        "fr",
    )


def test_a_settings_error_shows_on_its_field_and_changes_nothing(editor_client, survey):
    before = draft(survey)

    response = editor_client.post(
        url("survey-edit", survey),
        {"name": "Renamed", "title": "", "intro": "", "thanks": "", "language": "de"},
    )

    page = text_of(response)
    assert response.status_code == 422
    assert '<ul class="errorlist" id="id_settings_title_error"><li>This field is required.' in page
    assert 'id="id_settings_language_error"><li>Select a valid choice. de is not one' in page
    assert draft(survey) == before
    assert Survey.objects.get(pk=survey.pk).name == "After a visit"


def test_a_display_condition_is_built_from_the_form(editor_client, survey):
    response = editor_client.post(
        url("survey-question-edit", survey, "staff"),
        {
            **RATING_FORM,
            "condition_question": "problem_resolved",
            "condition_operator": "equals",
            "condition_values": "yes",
        },
    )

    assert response.status_code == 302
    assert question(survey, "staff")["show_if"] == {"question": "problem_resolved", "equals": True}
    page = text_of(editor_client.get(url("survey-edit", survey)))
    assert "Shown only if question “problem_resolved” is yes." in page


def test_a_condition_on_a_choice_accepts_labels_and_lists(editor_client, organisation):
    survey = services.create_survey_from_template(organisation, template_key="win_back")

    response = editor_client.post(
        url("survey-question-edit", survey, "other_reason"),
        {
            "text": "What was it?",
            "key": "other_reason",
            "condition_question": "reasons",
            "condition_operator": "in",
            "condition_values": "other, The price",
        },
    )

    assert response.status_code == 302
    assert question(survey, "other_reason")["show_if"] == {
        "question": "reasons",
        "in": ["other", "price"],
    }


def test_an_unreadable_condition_value_is_shown_on_the_value_field(editor_client, survey):
    before = draft(survey)

    response = editor_client.post(
        url("survey-question-edit", survey, "staff"),
        {
            **RATING_FORM,
            "condition_question": "nps",
            "condition_operator": "equals",
            "condition_values": "ten",
        },
    )

    assert response.status_code == 422
    assert 'id="id_question_condition_values_error"><li>“ten” is not a whole number.</li>' in (
        text_of(response)
    )
    assert draft(survey) == before


def test_a_condition_value_off_the_scale_is_refused_by_the_validator_on_the_value_field(
    editor_client, survey
):
    response = editor_client.post(
        url("survey-question-edit", survey, "staff"),
        {
            **RATING_FORM,
            "condition_question": "nps",
            "condition_operator": "in",
            "condition_values": "9, 11",
        },
    )

    assert response.status_code == 422
    assert (
        'id="id_question_condition_values_error"><li>must be a whole number from 0 to 10</li>'
        in text_of(response)
    )


def test_renaming_a_key_to_one_in_use_is_refused_on_the_key_field(editor_client, survey):
    before = draft(survey)

    response = editor_client.post(
        url("survey-question-edit", survey, "staff"), {**RATING_FORM, "key": "nps"}
    )

    assert response.status_code == 422
    assert 'id="id_question_key_error"><li>Another question already uses this key.</li>' in text_of(
        response
    )
    assert draft(survey) == before


def test_an_invalid_key_is_refused_by_the_validator_on_the_key_field(editor_client, survey):
    response = editor_client.post(
        url("survey-question-edit", survey, "staff"), {**RATING_FORM, "key": "Staff Rating"}
    )

    assert response.status_code == 422
    assert (
        'id="id_question_key_error"><li>must start with a lowercase letter and contain only '
        in text_of(response)
    )


def test_renaming_a_key_carries_the_conditions_that_test_it(editor_client, survey):
    editor_client.post(
        url("survey-question-edit", survey, "problem_resolved"),
        {"text": "Was your problem resolved?", "key": "resolved", "required": "on"},
    )

    assert question(survey, "improvement")["show_if"] == {"question": "resolved", "equals": False}


def test_options_with_a_duplicate_key_are_refused_on_the_options_field(editor_client, organisation):
    survey = services.create_survey_from_template(organisation, template_key="win_back")

    response = editor_client.post(
        url("survey-question-edit", survey, "reasons"),
        {"text": "Why?", "key": "reasons", "options": "price: Price\nprice: Cost"},
    )

    assert response.status_code == 422
    assert (
        'id="id_question_options_error"><li>duplicate option key &#x27;price&#x27;</li>'
        in text_of(response)
    )


def test_adding_a_question_before_another(editor_client, survey):
    response = editor_client.post(
        url("survey-question-add", survey),
        {"type": "nps", "text": "Would you recommend our staff?", "position": "nps"},
    )

    assert response.status_code == 302
    assert keys(survey)[:2] == ["would_you_recommend_our_staff", "nps"]


def test_adding_a_question_of_each_type(editor_client, survey):
    for kind, extra in [
        ("ces", {}),
        ("yes_no", {}),
        ("text", {"placeholder": "Tell us"}),
        ("multi_choice", {"options": "A\nB"}),
        ("rating", {"scale_min": "0", "scale_max": "10"}),
    ]:
        response = editor_client.post(
            url("survey-question-add", survey), {"type": kind, "text": f"A {kind}?", **extra}
        )
        assert response.status_code == 302, kind

    assert keys(survey)[7:] == ["a_ces", "a_yes_no", "a_text", "a_multi_choice", "a_rating"]
    assert question(survey, "a_rating")["scale"] == {
        "min": 0,
        "max": 10,
        "min_label": "",
        "max_label": "",
    }


def test_adding_a_choice_question_without_options_is_refused_on_the_options_field(
    editor_client, survey
):
    before = draft(survey)

    response = editor_client.post(
        url("survey-question-add", survey), {"type": "single_choice", "text": "Which?"}
    )

    assert response.status_code == 422
    assert 'id="id_question_options_error"><li>This field is required.</li>' in text_of(response)
    assert draft(survey) == before


def test_the_add_page_without_a_type_asks_for_one(editor_client, survey):
    response = editor_client.get(url("survey-question-add", survey))

    assert response.status_code == 200
    assert '<select name="type" id="id_add_type">' in text_of(response)


def test_moving_questions_up_and_down(editor_client, survey):
    editor_client.post(url("survey-question-move", survey, "satisfaction"), {"direction": "up"})
    assert keys(survey)[:3] == ["satisfaction", "nps", "problem_resolved"]

    editor_client.post(url("survey-question-move", survey, "satisfaction"), {"direction": "down"})
    assert keys(survey)[:3] == ["nps", "satisfaction", "problem_resolved"]


def test_a_move_without_a_direction_is_a_bad_request(editor_client, survey):
    before = draft(survey)

    response = editor_client.post(url("survey-question-move", survey, "staff"), {"direction": ""})

    assert response.status_code == 400
    assert draft(survey) == before


def test_a_move_that_breaks_a_condition_is_refused_with_a_message(editor_client, survey):
    before = draft(survey)

    response = editor_client.post(
        url("survey-question-move", survey, "improvement"), {"direction": "up"}, follow=True
    )
    response = editor_client.post(
        url("survey-question-move", survey, "improvement"), {"direction": "up"}, follow=True
    )
    response = editor_client.post(
        url("survey-question-move", survey, "improvement"), {"direction": "up"}, follow=True
    )

    assert (
        "Question 3 (improvement): question &#x27;problem_resolved&#x27; must come before this one"
        in text_of(response)
    )
    assert keys(survey) == [
        "nps",
        "satisfaction",
        "problem_resolved",
        "improvement",
        "timeliness",
        "staff",
        "comment",
    ]
    assert draft(survey) != before


def test_deleting_a_question_frees_the_questions_that_depended_on_it(editor_client, survey):
    response = editor_client.post(
        url("survey-question-delete", survey, "problem_resolved"), follow=True
    )

    assert "Question deleted. These questions now always show: improvement." in text_of(response)
    assert "problem_resolved" not in keys(survey)
    assert "show_if" not in question(survey, "improvement")


def test_deleting_the_last_question_is_refused(editor_client, organisation):
    definition = {"title": "One", "questions": [{"key": "nps", "type": "nps", "text": "Rec?"}]}
    survey = services.create_survey(organisation, name="One", definition=definition)
    before = draft(survey)

    response = editor_client.post(url("survey-question-delete", survey, "nps"), follow=True)

    assert "A survey needs at least one question." in text_of(response)
    assert draft(survey) == before


def test_an_edit_from_a_stale_page_is_refused_with_409_and_changes_nothing(editor_client, survey):
    stale = revision(survey)
    editor_client.post(url("survey-question-delete", survey, "comment"), {"revision": stale})
    before = draft(survey)

    response = editor_client.post(
        url("survey-question-edit", survey, "staff"), {**RATING_FORM, "revision": stale}
    )

    assert response.status_code == 409
    assert "This survey was changed in another window or by someone else" in text_of(response)
    assert draft(survey) == before


def test_an_edit_with_the_current_revision_is_saved(editor_client, survey):
    response = editor_client.post(
        url("survey-question-edit", survey, "staff"), {**RATING_FORM, "revision": revision(survey)}
    )

    assert response.status_code == 302
    assert question(survey, "staff")["text"] == "How satisfied are you with our staff?"


def test_an_unknown_question_is_404(editor_client, survey):
    assert editor_client.get(url("survey-question-edit", survey, "nothing")).status_code == 404
    assert editor_client.post(url("survey-question-delete", survey, "nothing")).status_code == 404


# --- detail and preview -------------------------------------------------------------------


def test_the_detail_page_lists_versions_and_the_draft_changes(editor_client, survey):
    services.publish_survey(survey)
    editor_client.post(url("survey-question-delete", survey, "comment"))

    page = text_of(editor_client.get(url("survey-detail", survey)))

    assert "Questions of version 1 (live)" in page
    assert "Questions of version 2 (draft)" in page
    assert "<li>Removed: comment</li>" in page
    assert "Publish version 2" in page
    assert '<span class="badge published">Live</span>' in page
    assert '<span class="badge draft">Draft</span>' in page


def test_the_preview_shows_the_draft_without_a_way_to_send_it(editor_client, survey):
    editor_client.post(url("survey-question-delete", survey, "comment"))

    response = editor_client.get(url("survey-preview", survey))

    page = text_of(response)
    assert response.status_code == 200
    assert "Preview of version 1 (draft)." in page
    assert "Nothing you choose here is sent or saved" in page
    assert page.count('<fieldset class="question"') == 5
    assert page.count('<div class="question">') == 1  # the one text question left
    assert '<input type="radio" name="preview-nps" value="10">' in page
    assert "Shown only if question “problem_resolved” is no." in page
    assert 'type="submit"' not in page.split('class="preview"')[1]


def test_the_preview_of_an_older_version(editor_client, survey):
    services.publish_survey(survey)
    editor_client.post(url("survey-question-delete", survey, "comment"))

    page = text_of(editor_client.get(url("survey-preview", survey) + "?version=1"))

    assert "Preview of version 1 (published)." in page
    assert 'name="preview-comment"' in page


# --- publishing and closing ---------------------------------------------------------------


def test_publishing_again_says_it_is_already_published(editor_client, survey):
    editor_client.post(url("survey-publish", survey))

    response = editor_client.post(url("survey-publish", survey), follow=True)

    assert "Version 1 is already published." in text_of(response)
    assert survey.versions.count() == 1


def test_closing_a_published_survey(editor_client, survey):
    editor_client.post(url("survey-publish", survey))

    response = editor_client.post(url("survey-close", survey), follow=True)

    assert Survey.objects.get(pk=survey.pk).status == SurveyStatus.CLOSED
    assert '<span class="badge closed">Closed</span>' in text_of(response)


def test_closing_a_draft_is_refused_with_a_message(editor_client, survey):
    response = editor_client.post(url("survey-close", survey), follow=True)

    assert "Only a published survey can be closed." in text_of(response)
    assert Survey.objects.get(pk=survey.pk).status == SurveyStatus.DRAFT


# --- domains ------------------------------------------------------------------------------


def test_the_domain_list_shows_every_domain(editor_client, organisation):
    page = text_of(editor_client.get(url("domain-list")))

    assert page.count('class="card domain-item"') == 10
    assert "Front-line service behaviours" in page


def test_renaming_and_retiring_a_domain(editor_client, organisation):
    response = editor_client.post(
        url("domain-edit", None, "innovation"),
        {"name": "New ideas", "description": "", "is_retired": "on"},
    )

    assert response.status_code == 302
    domain = Domain.objects.get(organisation=organisation, key="innovation")
    assert (domain.name, domain.description, domain.is_retired) == ("New ideas", "", True)


def test_a_retired_domain_is_not_offered_to_questions(editor_client, organisation, survey):
    Domain.objects.filter(organisation=organisation, key="innovation").update(is_retired=True)

    page = text_of(editor_client.get(url("survey-question-edit", survey, "staff")))

    assert '<option value="innovation">' not in page
    assert '<option value="quality">Quality</option>' in page


def test_adding_a_domain_makes_its_key_from_the_name(editor_client, organisation):
    response = editor_client.post(
        url("domain-add"), {"name": "Parking & access", "description": "Cars"}
    )

    assert response.status_code == 302
    domain = Domain.objects.get(organisation=organisation, name="Parking & access")
    assert (domain.key, domain.description, domain.is_retired) == ("parking_access", "Cars", False)


def test_adding_a_domain_with_a_taken_key_is_refused(editor_client, organisation):
    response = editor_client.post(url("domain-add"), {"name": "Top quality", "key": "quality"})

    assert response.status_code == 422
    assert 'id="id_new_domain_key_error"><li>Another domain already uses this key.</li>' in (
        text_of(response)
    )
    assert Domain.objects.get(organisation=organisation, key="quality").name == "Quality"


def test_adding_back_the_default_domains(editor_client, organisation):
    Domain.objects.filter(organisation=organisation, key="value").delete()

    response = editor_client.post(url("domain-seed"), follow=True)

    assert "Default domains added: 1." in text_of(response)
    assert Domain.objects.for_org(organisation).count() == 10


def test_an_htmx_domain_change_answers_with_the_domain_block(editor_client, organisation):
    response = editor_client.post(
        url("domain-edit", None, "value"), {"name": "Value for money", "description": ""}, **HX
    )

    page = text_of(response)
    assert page.lstrip().startswith('<div id="domains">')
    assert '<li class="message success">Domain “Value for money” saved.</li>' in page
    assert Domain.objects.get(organisation=organisation, key="value").name == "Value for money"


def test_a_viewer_cannot_change_domains(organisation, make_member):
    viewer = Client()
    viewer.force_login(make_member(organisation, "viewer").user)

    page = viewer.get(url("domain-list"))
    refused = viewer.post(url("domain-add"), {"name": "Parking"})

    assert page.status_code == 200
    assert "Add a domain" not in text_of(page)
    assert refused.status_code == 403
    assert not Domain.objects.filter(organisation=organisation, name="Parking").exists()
