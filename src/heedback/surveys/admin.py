from django.contrib import admin

from heedback.core.kept import WRITE_TARGETS, rows_changed
from heedback.surveys.models import Domain, Survey, SurveyVersion


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "organisation", "position", "is_retired"]
    list_filter = ["organisation", "is_retired"]


class SurveyVersionInline(admin.TabularInline):
    """Versions are shown, never edited here: a definition changes through the survey builder."""

    model = SurveyVersion
    fields = ["number", "created_at", "published_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "kind", "status", "template_key", "created_at"]
    list_filter = ["organisation", "status", "kind"]
    search_fields = ["name"]
    readonly_fields = ["published_version"]
    inlines = [SurveyVersionInline]

    # The web processes keep surveys to write responses to (``core.kept``): a status
    # changed or a survey deleted here must reach them at once.
    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        rows_changed(WRITE_TARGETS)

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        rows_changed(WRITE_TARGETS)

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        rows_changed(WRITE_TARGETS)
