from django.apps import AppConfig


class ContinuumConfig(AppConfig):
    name = "heedback.continuum"
    label = "continuum"
    # Evidence indicators this app declares (see continuum/registry.py): any app may list its
    # own the same way, and one that measures a key replaces the placeholder declared here.
    continuum_indicators = ["heedback.continuum.indicators.INDICATORS"]
