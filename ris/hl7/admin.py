from django.contrib import admin

from ris.audit.admin import AccessLoggedAdmin, ReadOnlyAdminMixin
from ris.hl7.models import Message, Partner


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "host", "port", "application", "facility", "message_types", "use_tls", "enabled")
    list_filter = ("enabled", "use_tls")
    search_fields = ("name", "application", "facility", "host")


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, AccessLoggedAdmin):
    """The log is read here; replay and resend are on Lumen's HL7 pages."""

    list_display = ("created_at", "direction", "message_type", "control_id", "sender", "partner", "status")
    list_filter = ("direction", "status", "partner")
    search_fields = ("control_id", "message_type")
    list_select_related = ("partner",)

    def patient_of(self, obj):
        return obj.patient_id
