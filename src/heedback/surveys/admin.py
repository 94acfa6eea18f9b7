from django.contrib import admin

from heedback.core.kept import ChangesWriteTargets
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
class SurveyAdmin(ChangesWriteTargets, admin.ModelAdmin):
    list_display = ["name", "organisation", "kind", "status", "template_key", "created_at"]
    list_filter = ["organisation", "status", "kind"]
    search_fields = ["name"]
    readonly_fields = ["published_version"]
    inlines = [SurveyVersionInline]
