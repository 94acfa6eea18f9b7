from django.urls import path

from heedback.surveys import views

# Mounted under o/<slug:org_slug>/ by the project's urls.
organisation_patterns = [
    path("surveys/", views.survey_list, name="survey-list"),
    path("surveys/new/", views.survey_create, name="survey-create"),
    path("surveys/<int:survey_id>/", views.survey_detail, name="survey-detail"),
    path("surveys/<int:survey_id>/edit/", views.survey_edit, name="survey-edit"),
    path("surveys/<int:survey_id>/preview/", views.survey_preview, name="survey-preview"),
    path("surveys/<int:survey_id>/publish/", views.survey_publish, name="survey-publish"),
    path("surveys/<int:survey_id>/close/", views.survey_close, name="survey-close"),
    path(
        "surveys/<int:survey_id>/questions/add/",
        views.question_add,
        name="survey-question-add",
    ),
    path(
        "surveys/<int:survey_id>/questions/<slug:question_key>/edit/",
        views.question_edit,
        name="survey-question-edit",
    ),
    path(
        "surveys/<int:survey_id>/questions/<slug:question_key>/move/",
        views.question_move,
        name="survey-question-move",
    ),
    path(
        "surveys/<int:survey_id>/questions/<slug:question_key>/delete/",
        views.question_delete,
        name="survey-question-delete",
    ),
    path("domains/", views.domain_list, name="domain-list"),
    path("domains/add/", views.domain_add, name="domain-add"),
    path("domains/defaults/", views.domain_seed, name="domain-seed"),
    path("domains/<slug:domain_key>/edit/", views.domain_edit, name="domain-edit"),
]
