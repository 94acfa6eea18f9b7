from django.apps import AppConfig


class TextConfig(AppConfig):
    """Text enrichment: sentiment, language, urgency, themes and search over comments."""

    name = "heedback.text"
    label = "text"
    customer_data = "heedback.text.customer_data"
    # Run by `heedback worker`: enrichment from its watermark, then themes where due.
    periodic_jobs = [
        "heedback.text.services.enrich_pending",
        "heedback.text.services.discover_themes_where_due",
        "heedback.text.services.assign_pending_themes",
    ]

    def ready(self) -> None:
        from heedback.text import checks  # noqa: F401  (registers the check)
