from django.urls import path

from heedback.insights import (
    churn_page,
    compare_page,
    dashboard_pages,
    drivers_page,
    gap_page,
    report_pdf,
    scorecard_page,
    settings_page,
    views,
)

organisation_patterns = [
    path("surveys/<int:survey_id>/results/", views.survey_results, name="survey-results"),
    path("surveys/<int:survey_id>/drivers/", drivers_page.survey_drivers, name="survey-drivers"),
    path("perception-gap/", gap_page.perception_gap_page, name="perception-gap"),
    path("dashboard/", dashboard_pages.overview, name="dashboard"),
    path("dashboard/report.pdf", report_pdf.overview_pdf, name="dashboard-pdf"),
    path("units/<int:unit_id>/dashboard/", dashboard_pages.unit_dashboard, name="unit-dashboard"),
    path("front-line/", dashboard_pages.front_line, name="front-line"),
    path("scorecards/", scorecard_page.scorecard, name="scorecards"),
    path("compare/", compare_page.compare, name="compare"),
    path("insights/settings/", settings_page.insights_settings, name="insights-settings"),
    path("customers/churn/", churn_page.churn_analysis, name="churn-analysis"),
]
