from django.apps import AppConfig


class LoopConfig(AppConfig):
    """Rules that turn feedback into cases, and the follow-up of those cases."""

    name = "heedback.loop"
    label = "loop"
    customer_data = "heedback.loop.customer_data"  # cases on the timeline, erased with them
    # Run by `heedback worker` every few seconds (see ops/management/commands/worker.py):
    # new responses are checked against the rules, then overdue cases are escalated.
    periodic_jobs = [
        "heedback.loop.services.evaluate_new_responses",
        "heedback.loop.services.escalate_overdue",
    ]
