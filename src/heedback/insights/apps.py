from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "heedback.insights"
    label = "insights"
