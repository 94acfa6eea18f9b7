from django.urls import path

from heedback.insights import churn_page, views

organisation_patterns = [
    path("surveys/<int:survey_id>/results/", views.survey_results, name="survey-results"),
    path("customers/churn/", churn_page.churn_analysis, name="churn-analysis"),
]
