from django.contrib import admin

from ris.audit.admin import AccessLoggedAdmin, ReadOnlyAdminMixin
from scheduling.models import Appointment, Block, PerformedStep, Resource, WorkingHours


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    """Bookable resources and their weekly hours (the calendar's set-up)."""

    list_display = ("code", "name", "modality_type", "modality", "slot_minutes", "capacity", "active")
    list_filter = ("modality_type", "active")
    inlines = [WorkingHoursInline]


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    """Blocked times and holidays (no resource: the whole department)."""

    list_display = ("resource", "starts_at", "ends_at", "reason")
    list_filter = ("resource",)


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdminMixin, AccessLoggedAdmin):
    """Read here; appointments change through the scheduling pages so orders and events follow."""

    list_display = ("start", "resource", "order", "status")
    list_filter = ("status", "resource")
    list_select_related = ("resource", "order")

    def patient_of(self, obj):
        return obj.order.patient_id


@admin.register(PerformedStep)
class PerformedStepAdmin(ReadOnlyAdminMixin, AccessLoggedAdmin):
    list_display = ("sop_instance_uid", "status", "review", "order", "station_ae_title", "created_at")
    list_filter = ("status", "review")

    def patient_of(self, obj):
        return obj.order.patient_id if obj.order_id else None
