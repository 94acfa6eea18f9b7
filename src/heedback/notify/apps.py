from django.apps import AppConfig


class NotifyConfig(AppConfig):
    """Email, webhooks and alerts, all through the outbox."""

    name = "heedback.notify"
    label = "notify"
    periodic_jobs = ["heedback.notify.services.deliver_due"]
    customer_data = "heedback.notify.customer_data"  # erasure reaches the outbox
