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
        "heedback.loop.services.send_due_digests",
    ]
    # Evidence for the continuum (see continuum/registry.py): these measure the continuum's
    # placeholders for follow-up, time to the front line, time to close and solved rate.
    continuum_indicators = ["heedback.loop.indicators.INDICATORS"]
