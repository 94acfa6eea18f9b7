from django.urls import path

from heedback.collect.views import respond as views

urlpatterns = [
    path("s/<str:token>/", views.respond, name="respond"),
    path("s/<str:token>/thanks/", views.thanks, name="respond-thanks"),
]

organisation_patterns = [
    path("surveys/<int:survey_id>/links/", views.survey_links, name="survey-links"),
]
