from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data app: no models, only the ``seed_demo`` command and its generator."""

    name = "heedback.demo"
    label = "demo"
    verbose_name = "Demo data"
