from django.urls import path

from heedback.text import views

organisation_patterns = [
    path("themes/", views.theme_list, name="theme-list"),
    path("themes/curate/", views.theme_curate, name="theme-curate"),
    path("comments/search/", views.comment_search, name="comment-search"),
]
