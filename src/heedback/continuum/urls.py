from django.urls import path

from heedback.continuum import plan_views, views

# Mounted under o/<slug:org_slug>/ by the project's urls.
organisation_patterns = [
    path("continuum/", views.placement, name="continuum"),
    path("continuum/assess/", views.assess, name="continuum-assess"),
    path("continuum/export.csv", views.placement_csv, name="continuum-placement-csv"),
    path("continuum/export.pdf", views.placement_pdf, name="continuum-placement-pdf"),
    path("continuum/units/", views.unit_overview, name="continuum-units"),
    path("continuum/internal/", views.internal_customers, name="continuum-internal"),
    path(
        "continuum/internal/export.csv",
        views.internal_customers_csv,
        name="continuum-internal-csv",
    ),
    path("continuum/plans/", plan_views.plan_list, name="continuum-plans"),
    path("continuum/plans/new/", plan_views.plan_create, name="continuum-plan-create"),
    path("continuum/plans/<int:plan_id>/", plan_views.plan_detail, name="continuum-plan"),
    path(
        "continuum/plans/<int:plan_id>/targets/",
        plan_views.plan_target_add,
        name="continuum-plan-target-add",
    ),
    path(
        "continuum/targets/<int:target_id>/remove/",
        plan_views.plan_target_remove,
        name="continuum-plan-target-remove",
    ),
    path("continuum/plans/<int:plan_id>/plan.pdf", plan_views.plan_pdf, name="continuum-plan-pdf"),
    path("continuum/statements/", views.statements, name="continuum-statements"),
    path(
        "continuum/statements/<int:statement_id>/retire/",
        views.statement_retire,
        name="continuum-statement-retire",
    ),
]
