from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operator commands that span apps: serve, worker, demo, createadmin."""

    name = "heedback.ops"
    label = "ops"
