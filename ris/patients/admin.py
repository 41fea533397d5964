from django.contrib import admin

from ris.audit.admin import AccessLoggedAdmin
from ris.patients.models import Consent, Coverage, Patient


class CoverageInline(admin.TabularInline):
    model = Coverage
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Patient)
class PatientAdmin(AccessLoggedAdmin):
    list_display = ("mrn", "issuer", "family_name", "given_name", "birth_date", "sex", "merged_into")
    search_fields = ("mrn", "family_name", "given_name")
    list_filter = ("sex", "issuer")
    inlines = [CoverageInline]
    list_select_related = ("merged_into",)

    # Patients are registered, edited and merged on Lumen's own pages, through the services that keep MRNs,
    # merges and the search index right; here they are only looked at.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Consent)
class ConsentAdmin(AccessLoggedAdmin):
    list_display = ("patient", "kind", "decision", "recorded_by", "recorded_at")
    list_filter = ("kind", "decision")
    list_select_related = ("patient", "recorded_by")

    def patient_of(self, obj):
        return obj.patient_id

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
