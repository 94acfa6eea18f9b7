from django.urls import path

from heedback.continuum import views

# Mounted under o/<slug:org_slug>/ by the project's urls.
organisation_patterns = [
    path("continuum/", views.placement, name="continuum"),
    path("continuum/assess/", views.assess, name="continuum-assess"),
    path("continuum/units/", views.unit_overview, name="continuum-units"),
    path("continuum/internal/", views.internal_customers, name="continuum-internal"),
    path(
        "continuum/internal/export.csv",
        views.internal_customers_csv,
        name="continuum-internal-csv",
    ),
    path("continuum/statements/", views.statements, name="continuum-statements"),
    path(
        "continuum/statements/<int:statement_id>/retire/",
        views.statement_retire,
        name="continuum-statement-retire",
    ),
]
