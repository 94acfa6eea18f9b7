from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "heedback.insights"
    label = "insights"
    # Run by `heedback worker` every few seconds (see ops/management/commands/worker.py).
    periodic_jobs = ["heedback.insights.services.refresh_rollups"]
    customer_data = "heedback.insights.customer_data"  # falling scores on the at-risk list
