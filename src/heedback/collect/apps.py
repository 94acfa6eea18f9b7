from django.apps import AppConfig


class CollectConfig(AppConfig):
    name = "heedback.collect"
    label = "collect"
    # The customer's responses on their timeline, moved by merges, blanked by erasure.
    customer_data = "heedback.collect.customer_data"
