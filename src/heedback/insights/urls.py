from django.urls import path

from heedback.insights import views

organisation_patterns = [
    path("surveys/<int:survey_id>/results/", views.survey_results, name="survey-results"),
]
