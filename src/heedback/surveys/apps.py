from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "heedback.surveys"
    label = "surveys"
