from django.apps import AppConfig


class CustomersConfig(AppConfig):
    """Customers, their interactions, merges, temperament and lapse detection."""

    name = "heedback.customers"
    label = "customers"
    # Run by `heedback worker` every few seconds (see ops/management/commands/worker.py).
    periodic_jobs = [
        "heedback.customers.services.refresh_lapse",
        "heedback.customers.services.refresh_loyalty",
    ]
    # This app's own contribution to a customer's timeline, merge, export and erasure,
    # declared the way every other app declares its own (see customers/hooks.py).
    customer_data = "heedback.customers.customer_data"
    # Continuum evidence this app measures (lapse tracking), found by continuum/registry.py.
    continuum_indicators = ["heedback.customers.indicators.INDICATORS"]
