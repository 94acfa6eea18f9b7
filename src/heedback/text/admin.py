from django.contrib import admin

from heedback.text.models import EnrichmentCursor, TextAnalysis, Theme, ThemeSpace


@admin.register(TextAnalysis)
class TextAnalysisAdmin(admin.ModelAdmin):
    """Derived rows: operators read them; `heedback enrich-comments --redo` rebuilds them."""

    list_display = ["id", "response", "question_key", "language", "sentiment_label", "is_urgent"]
    list_filter = ["organisation", "status", "sentiment_label", "is_urgent"]
    raw_id_fields = ["response"]
    readonly_fields = [field.name for field in TextAnalysis._meta.fields]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "status", "origin", "size", "domain"]
    list_filter = ["organisation", "status", "origin"]
    raw_id_fields = ["space", "merged_into", "domain"]


admin.site.register(ThemeSpace)
admin.site.register(EnrichmentCursor)
