from django.apps import AppConfig


class CollectConfig(AppConfig):
    name = "heedback.collect"
    label = "collect"
    # The customer's responses on their timeline, moved by merges, blanked by erasure.
    customer_data = "heedback.collect.customer_data"
    # Automatic campaigns read new interactions first, then due invitations and reminders
    # are written to the outbox (notify's deliver_due sends them in its next round).
    periodic_jobs = [
        "heedback.collect.campaigns.invite_from_interactions",
        "heedback.collect.campaigns.send_due",
    ]
    # An invitation email the mail server refused for good (5xx) counts as a bounce.
    delivery_refused = {"invitation-": "heedback.collect.bounces.invitation_refused"}
    delivery_prepare = {"invitation-": "heedback.collect.invitation_emails.reveal_token"}
