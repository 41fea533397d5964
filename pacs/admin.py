from django.contrib import admin

from pacs.models import DicomNode, Study
from ris.audit.admin import AccessLoggedAdmin, ReadOnlyAdminMixin


@admin.register(DicomNode)
class DicomNodeAdmin(admin.ModelAdmin):
    """Registered DICOM nodes: who may associate with Lumen, from where, for which services."""

    list_display = ("ae_title", "host", "port", "services", "description", "active")
    list_filter = ("active",)
    search_fields = ("ae_title", "host", "description")


@admin.register(Study)
class StudyAdmin(ReadOnlyAdminMixin, AccessLoggedAdmin):
    """Studies are read here; they change through ingest and reconciliation."""

    list_display = (
        "study_date",
        "accession_number",
        "dicom_patient_id",
        "patient_name",
        "match_state",
        "number_of_instances",
    )
    list_filter = ("match_state",)
    search_fields = ("accession_number", "dicom_patient_id", "study_instance_uid")

    def patient_of(self, obj):
        return obj.patient_id
