from django.contrib import admin

from heedback.loop.models import (
    BusinessHours,
    Case,
    CaseCode,
    EvaluatedResponse,
    LoopSettings,
    Rule,
)


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    """Operators look at rules here; organisations change them on their rules page."""

    list_display = ["name", "organisation", "is_enabled", "opens_case", "case_priority"]
    list_filter = ["is_enabled", "organisation"]
    readonly_fields = ["system_key", "created_at", "updated_at"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read only: every change to a case goes through the services, which keep its log."""

    list_display = ["title", "organisation", "status", "priority", "due_at", "escalation_level"]
    list_filter = ["status", "priority", "organisation"]
    search_fields = ["title"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CaseCode)
class CaseCodeAdmin(admin.ModelAdmin):
    list_display = ["label", "kind", "key", "organisation", "is_retired"]
    list_filter = ["kind", "organisation"]


@admin.register(LoopSettings)
class LoopSettingsAdmin(admin.ModelAdmin):
    list_display = ["organisation", "currency", "escalation_step_hours"]


@admin.register(BusinessHours)
class BusinessHoursAdmin(admin.ModelAdmin):
    list_display = ["organisation", "unit", "time_zone", "opens", "closes"]


@admin.register(EvaluatedResponse)
class EvaluatedResponseAdmin(admin.ModelAdmin):
    """The evaluation ledger: responses the rules could not handle show their error here."""

    list_display = ["response", "at", "matched", "error"]
    list_filter = ["matched"]
    readonly_fields = ["response", "at", "matched", "error"]
