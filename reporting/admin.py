from django.contrib import admin

from reporting.models import ReportTemplate


@admin.register(ReportTemplate)
class ReportTemplateAdmin(admin.ModelAdmin):
    """Administrators edit templates here: sections as a JSON list of {key, title, text, choices} (choices are the
    section's pick-list of phrases), macros as {name: text}."""

    list_display = ("name", "procedure", "modality_type", "active", "updated_at")
    list_filter = ("modality_type", "active")
    search_fields = ("name", "procedure__code", "procedure__name")
    autocomplete_fields = ("procedure",)
