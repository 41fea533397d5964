from django.contrib import admin

from ris.audit.models import AccessLog


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Read-only: nobody, administrators included, can add, change or delete entries."""

    list_display = ("at", "username", "action", "outcome", "object_type", "object_id", "patient", "address")
    list_filter = ("action", "outcome", "channel", "object_type")
    search_fields = ("username", "patient__mrn", "object_id")
    date_hierarchy = "at"
    list_select_related = ("patient",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
