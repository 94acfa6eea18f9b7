from django.urls import path

from heedback.customers import at_risk_page, import_page, quiz_page, views, win_back_page

# Public: the temperament quiz a customer reaches after answering an invitation.
urlpatterns = [
    path("t/<str:token>/", quiz_page.temperament_quiz, name="temperament-quiz"),
]

organisation_patterns = [
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/settings/", views.customer_settings, name="customer-settings"),
    path("customers/loyalty/", views.loyalty, name="customer-loyalty"),
    path("customers/at-risk/", at_risk_page.at_risk_customers, name="customer-at-risk"),
    path("customers/at-risk.csv", at_risk_page.at_risk_csv, name="customer-at-risk-csv"),
    path("customers/lapsed.csv", at_risk_page.lapsed_csv, name="customer-lapsed-csv"),
    path("customers/win-back/", win_back_page.win_back_send, name="customer-win-back"),
    path(
        "customers/win-back/reasons/",
        win_back_page.win_back_reasons,
        name="customer-win-back-reasons",
    ),
    path("customers/import/", import_page.interaction_import_start, name="interaction-import"),
    path(
        "customers/imports/<int:import_id>/",
        import_page.interaction_import_job,
        name="interaction-import-job",
    ),
    path(
        "customers/imports/<int:import_id>/confirm/",
        import_page.interaction_import_confirm,
        name="interaction-import-confirm",
    ),
    path(
        "customers/imports/<int:import_id>/bad-rows/",
        import_page.interaction_import_bad_rows,
        name="interaction-import-bad-rows",
    ),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer-detail"),
    path(
        "customers/<int:customer_id>/temperament/",
        views.customer_temperament,
        name="customer-temperament",
    ),
    path("customers/<int:customer_id>/merge/", views.customer_merge, name="customer-merge"),
    path("customers/<int:customer_id>/export/", views.customer_export, name="customer-export"),
    path("customers/<int:customer_id>/erase/", views.customer_erase, name="customer-erase"),
]
