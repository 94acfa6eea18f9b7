from django.urls import path

from heedback.loop import public_views, views

# Public pages, beside the respondent's (by the survey link's token).
urlpatterns = [
    path("s/<str:token>/contact/", public_views.contact, name="customer-contact"),
]

organisation_patterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("digest/", views.digest_settings, name="digest-settings"),
    path("cases/", views.case_list, name="case-list"),
    path("cases/bulk/", views.case_bulk, name="case-bulk"),
    path("cases/metrics/", views.loop_dashboard, name="loop-dashboard"),
    path("cases/<int:case_id>/", views.case_detail, name="case-detail"),
    path("cases/<int:case_id>/follow-up/", views.case_follow_up, name="case-follow-up"),
    path("cases/<int:case_id>/status/", views.case_status, name="case-status"),
    path("cases/<int:case_id>/resolve/", views.case_resolve, name="case-resolve"),
    path("cases/<int:case_id>/reopen/", views.case_reopen, name="case-reopen"),
    path("cases/<int:case_id>/assign/", views.case_assign, name="case-assign"),
    path("rules/", views.rule_list, name="rule-list"),
    path("rules/new/", views.rule_create, name="rule-create"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule-edit"),
    path("rules/<int:rule_id>/try/", views.rule_try, name="rule-try"),
    path("rules/<int:rule_id>/switch/", views.rule_toggle, name="rule-toggle"),
    path("deliveries/failed/", views.dead_letter_list, name="dead-letter-list"),
    path("deliveries/<int:message_id>/retry/", views.dead_letter_retry, name="dead-letter-retry"),
]
