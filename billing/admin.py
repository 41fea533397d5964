from django.contrib import admin

from billing.models import Charge, Claim, ExportBatch, FeeScheduleEntry, Payer
from ris.audit.admin import AccessLoggedAdmin, ReadOnlyAdminMixin


@admin.register(Payer)
class PayerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Payers change through the billing pages (so waiting charges are checked again)."""

    list_display = ("name", "payer_id", "claim_format", "requires_prior_auth", "active")
    search_fields = ("name", "payer_id")


@admin.register(FeeScheduleEntry)
class FeeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("payer", "code", "modifier", "price", "effective_from", "effective_to")
    list_filter = ("payer",)
    search_fields = ("code",)


@admin.register(Charge)
class ChargeAdmin(ReadOnlyAdminMixin, AccessLoggedAdmin):
    """Charges are read here; they change through the billing pages so the state machine applies."""

    list_display = ("id", "order", "component", "status", "payer", "date_of_service")
    list_filter = ("status", "component")
    search_fields = ("order__accession_number", "patient__mrn")
    list_select_related = ("order__procedure", "payer")

    def patient_of(self, obj):
        return obj.patient_id


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdminMixin, AccessLoggedAdmin):
    list_display = ("number", "patient", "payer", "status", "frequency", "total", "date_of_service")
    list_filter = ("status", "frequency")
    search_fields = ("number", "patient__mrn")
    list_select_related = ("patient", "payer")

    def patient_of(self, obj):
        return obj.patient_id


@admin.register(ExportBatch)
class ExportBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("control_number", "format", "claim_count", "total", "created_at", "created_by")
