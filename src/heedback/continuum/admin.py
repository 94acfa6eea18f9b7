from django.contrib import admin

from heedback.continuum.models import Assessment, AssessmentAnswer, CustomStatement


class AssessmentAnswerInline(admin.TabularInline):
    model = AssessmentAnswer
    extra = 0
    fields = ["statement_id", "agreement"]
    readonly_fields = fields
    can_delete = False


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    """Assessments are read here, not edited: answers are facts, written by the services."""

    list_display = ["pk", "organisation", "unit", "respondent_label", "status", "submitted_at"]
    list_filter = ["organisation", "status"]
    readonly_fields = [
        "organisation",
        "unit",
        "respondent",
        "respondent_label",
        "respondent_role",
        "instrument_version",
        "status",
        "created_at",
        "updated_at",
        "submitted_at",
    ]
    inlines = [AssessmentAnswerInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CustomStatement)
class CustomStatementAdmin(admin.ModelAdmin):
    list_display = ["text", "organisation", "factor", "level", "is_retired"]
    list_filter = ["organisation", "factor", "is_retired"]
    readonly_fields = ["organisation", "factor", "level", "text", "created_by", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False
