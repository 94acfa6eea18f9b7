from django.apps import AppConfig


class CollectConfig(AppConfig):
    name = "heedback.collect"
    label = "collect"
