from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "heedback.orgs"
    label = "orgs"
