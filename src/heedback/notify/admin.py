from django.contrib import admin, messages

from heedback.notify.choices import MessageStatus
from heedback.notify.models import OutboxMessage, Webhook
from heedback.notify.services import retry_now


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Operators watch delivery here and send messages that gave up once more."""

    list_display = ["idempotency_key", "kind", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "kind", "organisation"]
    search_fields = ["idempotency_key"]
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Send again now")
    def send_again(self, request, queryset) -> None:
        chosen = list(queryset.exclude(status=MessageStatus.SENT))
        for message in chosen:
            retry_now(message)
        self.message_user(request, f"{len(chosen)} message(s) queued again.", messages.SUCCESS)


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    """Operators see each organisation's receivers; failed deliveries are outbox messages."""

    list_display = ["url", "organisation", "format", "is_active", "created_at"]
    list_filter = ["is_active", "format", "organisation"]
    exclude = ["secret"]
