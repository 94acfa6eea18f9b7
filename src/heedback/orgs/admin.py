from django.contrib import admin

from heedback.core.kept import ChangesWriteTargets
from heedback.orgs.models import (
    ApiKey,
    AuditEvent,
    MemberInvitation,
    Membership,
    Organisation,
    Unit,
)
from heedback.orgs.services import organisation_changed


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "created_at"]
    search_fields = ["name", "slug"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        organisation_changed()


@admin.register(Unit)
class UnitAdmin(ChangesWriteTargets, admin.ModelAdmin):
    list_display = ["name", "kind", "organisation", "parent", "path"]
    list_filter = ["organisation", "kind"]
    search_fields = ["name"]
    readonly_fields = ["path"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "unit"]
    list_filter = ["organisation", "role"]
    search_fields = ["user__email"]
    raw_id_fields = ["user", "unit"]


@admin.register(MemberInvitation)
class MemberInvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "role", "created_at", "expires_at", "accepted_at"]
    list_filter = ["organisation"]
    exclude = ["token_hash"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are created on the organisation's page or with the CLI, where the secret is shown."""

    list_display = ["name", "organisation", "role", "prefix", "last_used_at", "revoked_at"]
    list_filter = ["organisation", "role"]
    exclude = ["key_hash"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log is read-only, for operators too."""

    list_display = ["at", "organisation", "actor_label", "action", "target"]
    list_filter = ["organisation", "action"]
    search_fields = ["actor_label", "target"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
