from django.contrib import admin

from heedback.customers.models import (
    Customer,
    CustomerMerge,
    Interaction,
    LapseSettings,
    TemperamentGuidance,
)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    """Operators may look customers up; changes go through the staff pages (merge, erase)."""

    list_display = ["id", "external_id", "email", "name", "organisation", "last_interaction_at"]
    list_filter = ["organisation", "lapse_basis", "temperament"]
    search_fields = ["external_id", "email", "name"]
    raw_id_fields = ["merged_into", "temperament_set_by"]
    readonly_fields = [
        "visit_count",
        "gap_count",
        "first_interaction_at",
        "last_interaction_at",
        "lapse_basis",
        "typical_gap_seconds",
        "at_risk_gap_seconds",
        "lapse_gap_seconds",
        "at_risk_at",
        "lapse_at",
        "lapse_stale",
        "lapse_computed_at",
        "merged_into",
        "erased_at",
    ]


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    """Interactions are facts: operators may read them, not edit them."""

    list_display = ["id", "external_id", "kind", "occurred_at", "customer", "unit"]
    list_filter = ["organisation", "kind"]
    date_hierarchy = "occurred_at"
    raw_id_fields = ["customer", "unit", "staff"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CustomerMerge)
class CustomerMergeAdmin(admin.ModelAdmin):
    list_display = ["id", "survivor", "merged", "actor_label", "at", "interactions_moved"]
    list_filter = ["organisation"]
    raw_id_fields = ["survivor", "merged", "actor"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


admin.site.register(LapseSettings)
admin.site.register(TemperamentGuidance)
