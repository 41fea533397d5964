from django.contrib import admin

from ris.equipment.models import MaintenanceLogEntry, MaintenanceWindow, Modality, Room


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "active")


class MaintenanceWindowInline(admin.TabularInline):
    model = MaintenanceWindow
    extra = 0
    exclude = ("created_by",)


@admin.register(Modality)
class ModalityAdmin(admin.ModelAdmin):
    list_display = ("name", "modality_type", "ae_title", "host", "port", "room", "active")
    list_filter = ("modality_type", "active")
    search_fields = ("name", "ae_title", "host")
    inlines = [MaintenanceWindowInline]


@admin.register(MaintenanceLogEntry)
class MaintenanceLogEntryAdmin(admin.ModelAdmin):
    list_display = ("modality", "performed_on", "kind", "performed_by", "downtime_minutes")
    list_filter = ("kind", "modality")
