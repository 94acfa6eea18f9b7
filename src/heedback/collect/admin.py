from django.contrib import admin

from heedback.collect.models import (
    Answer,
    Campaign,
    ImportJob,
    ImportMapping,
    Invitation,
    InvitationPolicy,
    Mention,
    Response,
    Suppression,
    SurveyLink,
)


@admin.register(SurveyLink)
class SurveyLinkAdmin(admin.ModelAdmin):
    list_display = ["survey", "unit", "organisation", "is_active", "created_at"]
    list_filter = ["organisation", "is_active"]
    readonly_fields = ["token"]


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ["question_key", "number", "text", "choices"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    """Responses are facts: operators may read them, not edit them."""

    list_display = ["id", "survey", "unit", "channel", "submitted_at"]
    list_filter = ["organisation", "channel"]
    date_hierarchy = "submitted_at"
    inlines = [AnswerInline]
    raw_id_fields = ["survey", "version", "unit", "link"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Operators follow imports here; jobs are started from the survey's import page."""

    list_display = ["id", "organisation", "survey", "status", "created_at"]
    list_filter = ["organisation", "status"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "survey"]
    list_filter = ["organisation"]


@admin.register(InvitationPolicy)
class InvitationPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "organisation",
        "days_between_invitations",
        "default_reminder_count",
        "quiet_hours_start",
        "quiet_hours_end",
    ]


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin):
    """Read-only: a mention and its response are written together by the API only."""

    list_display = ["site", "author_handle", "public_url", "organisation", "received_at"]
    list_filter = ["organisation", "site"]
    readonly_fields = ["response"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "survey", "organisation", "send_at", "trigger_kind"]
    list_filter = ["organisation"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "campaign", "status", "skip_reason", "sent_at", "completed_at"]
    list_filter = ["status", "skip_reason"]
    # The token is never stored; its hash and seed are not for display either.
    exclude = ["nonce", "token_hash", "draft"]
    readonly_fields = ["campaign", "customer", "response", "interaction"]


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "reason", "created_at"]
    list_filter = ["organisation", "reason"]
