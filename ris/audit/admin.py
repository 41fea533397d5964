from django.contrib import admin

from ris.audit.choices import Action
from ris.audit.models import AccessLog
from ris.audit.services import query_of, record_access


class ReadOnlyAdminMixin:
    """Records shown in the admin but changed only through Lumen's own pages and services (which keep their
    rules: merges, the order state machine, append-only logs)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AccessLoggedAdmin(admin.ModelAdmin):
    """A ModelAdmin over patient data: its list and record pages are written to the access log.

    ``patient_of(obj)`` says whose data a record is (the patient itself by default).
    """

    def patient_of(self, obj):
        return obj

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:  # None: a redirect or an error page, no records shown
            record_access(
                request=request,
                action=Action.SEARCH,
                object_type=self.model._meta.label_lower,
                channel="admin",
                detail={"query": query_of(request.GET), "returned_ids": [o.pk for o in changelist.result_list]},
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET":
            record_access(request=request, action=Action.VIEW, obj=obj, patient=self.patient_of(obj), channel="admin")
        return response


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: nobody, administrators included, can add, change or delete entries."""

    list_display = ("at", "username", "action", "outcome", "object_type", "object_id", "patient", "address")
    list_filter = ("action", "outcome", "channel", "object_type")
    search_fields = ("username", "patient__mrn", "object_id")
    date_hierarchy = "at"
    list_select_related = ("patient",)
