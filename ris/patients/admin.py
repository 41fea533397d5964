from django.contrib import admin

from ris.audit.admin import AccessLoggedAdmin, ReadOnlyAdminMixin
from ris.patients.models import Consent, Coverage, Patient


class CoverageInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Coverage
    extra = 0


@admin.register(Patient)
class PatientAdmin(ReadOnlyAdminMixin, AccessLoggedAdmin):
    list_display = ("mrn", "issuer", "family_name", "given_name", "birth_date", "sex", "merged_into")
    search_fields = ("mrn", "family_name", "given_name")
    list_filter = ("sex", "issuer")
    inlines = [CoverageInline]
    list_select_related = ("merged_into",)


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdminMixin, AccessLoggedAdmin):
    list_display = ("patient", "kind", "decision", "recorded_by", "recorded_at")
    list_filter = ("kind", "decision")
    list_select_related = ("patient", "recorded_by")

    def patient_of(self, obj):
        return obj.patient_id
