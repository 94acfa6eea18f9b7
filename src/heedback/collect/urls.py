from django.urls import path

from heedback.collect.views import campaigns, cards, exports, imports, invitation, paper
from heedback.collect.views import respond as views

urlpatterns = [
    path("s/<str:token>/", views.respond, name="respond"),
    path("s/<str:token>/thanks/", views.thanks, name="respond-thanks"),
    path("i/", invitation.invitation_page, name="invitation-page"),
    path("i/thanks/", invitation.invitation_thanks, name="invitation-thanks"),
    path(
        "i/unsubscribe/<str:code>/",
        invitation.invitation_unsubscribe,
        name="invitation-unsubscribe",
    ),
    path("i/<str:token>/", invitation.invitation_open, name="invitation-open"),
    path("c/", cards.short_code, name="short-code"),
    path("c/<str:code>/", cards.short_code, name="short-code-open"),
]

organisation_patterns = [
    path("surveys/<int:survey_id>/links/", views.survey_links, name="survey-links"),
    path("surveys/<int:survey_id>/paper/", paper.paper_entry, name="survey-paper-entry"),
    path(
        "surveys/<int:survey_id>/links/<int:unit_id>/card.svg",
        cards.link_card,
        {"file_format": "svg"},
        name="survey-link-card-svg",
    ),
    path(
        "surveys/<int:survey_id>/links/<int:unit_id>/card.pdf",
        cards.link_card,
        {"file_format": "pdf"},
        name="survey-link-card-pdf",
    ),
    path("surveys/<int:survey_id>/import/", imports.survey_import, name="survey-import"),
    path("imports/<int:job_id>/", imports.import_job, name="import-job"),
    path("imports/<int:job_id>/confirm/", imports.import_confirm, name="import-confirm"),
    path("imports/<int:job_id>/bad-rows/", imports.import_bad_rows, name="import-bad-rows"),
    path("surveys/<int:survey_id>/export/", exports.survey_export, name="survey-export"),
    path("campaigns/", campaigns.campaign_list, name="campaign-list"),
    path("campaigns/new/", campaigns.campaign_create, name="campaign-create"),
    path("campaigns/policy/", campaigns.invitation_policy_edit, name="invitation-policy"),
    path("campaigns/<int:campaign_id>/", campaigns.campaign_detail, name="campaign-detail"),
]
