from django.urls import path

from heedback.insights import drivers_page, gap_page, views

organisation_patterns = [
    path("surveys/<int:survey_id>/results/", views.survey_results, name="survey-results"),
    path("surveys/<int:survey_id>/drivers/", drivers_page.survey_drivers, name="survey-drivers"),
    path("perception-gap/", gap_page.perception_gap_page, name="perception-gap"),
]
