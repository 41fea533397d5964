from django.contrib import admin

from ris.audit.admin import AccessLoggedAdmin, ReadOnlyAdminMixin
from ris.orders.models import Order, Procedure


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "modality_type", "cpt_code", "body_part", "default_duration", "contrast", "active")
    list_filter = ("modality_type", "contrast", "active")
    search_fields = ("code", "name", "cpt_code")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, AccessLoggedAdmin):
    """Orders are read here; they change through the order pages so the state machine applies."""

    list_display = ("accession_number", "patient", "procedure", "priority", "status", "created_at")
    list_filter = ("status", "priority", "procedure__modality_type")
    search_fields = ("accession_number", "patient__mrn")
    list_select_related = ("patient", "procedure")

    def patient_of(self, obj):
        return obj.patient_id
