"""Rooms, modalities (acquisition devices with their DICOM identity), maintenance windows and log."""

from __future__ import annotations

import datetime as dt

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from ris.equipment.choices import DicomService, MaintenanceKind, ModalityType


def validate_ae_title(value: str) -> None:
    """An Application Entity title: 1-16 characters of the DICOM default repertoire, no backslash (PS3.5 6.2)."""
    if not value.strip():
        raise ValidationError("An AE title cannot be empty or only spaces.", code="ae_blank")
    if len(value) > 16:
        raise ValidationError("An AE title has at most 16 characters.", code="ae_length")
    if "\\" in value or not all(32 <= ord(ch) < 127 for ch in value):
        raise ValidationError("An AE title uses printable ASCII characters only, without backslash.", code="ae_chars")


class Room(models.Model):
    """A room or bay where exams happen (a site's CT room 1, ultrasound bay B)."""

    name = models.CharField(max_length=100, unique=True)
    site = models.CharField(max_length=100, blank=True, help_text="Building or facility, for multi-site networks.")
    description = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["site", "name"]

    def __str__(self) -> str:
        return f"{self.site} / {self.name}" if self.site else self.name


class ModalityQuerySet(models.QuerySet):
    def active(self) -> ModalityQuerySet:
        return self.filter(active=True)

    def by_ae_title(self, ae_title: str) -> ModalityQuerySet:
        return self.filter(ae_title=ae_title.strip())


class Modality(models.Model):
    """An acquisition device: its kind, its DICOM identity (AE title, host, port) and the services it may use."""

    name = models.CharField(max_length=100, unique=True)
    modality_type = models.CharField("type", max_length=4, choices=ModalityType.choices)
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.SET_NULL, related_name="modalities")
    ae_title = models.CharField("AE title", max_length=16, unique=True, validators=[validate_ae_title])
    host = models.CharField(max_length=253, help_text="Host name or IP address the device is reached at.")
    port = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(65535)], default=104)
    services = models.JSONField(
        default=list, blank=True, help_text="DICOM services the device may use: " + ", ".join(DicomService.values)
    )
    manufacturer = models.CharField(max_length=100, blank=True)
    model_name = models.CharField(max_length=100, blank=True)
    serial_number = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)

    objects = ModalityQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "modalities"

    def __str__(self) -> str:
        return f"{self.name} ({self.ae_title})"

    def clean(self) -> None:
        if not isinstance(self.services, list):
            raise ValidationError({"services": "List the allowed services."})
        unknown = sorted(set(self.services) - set(DicomService.values))
        if unknown:
            raise ValidationError({"services": f"Unknown DICOM services: {', '.join(unknown)}."})
        self.services = [s for s in DicomService.values if s in self.services]

    def may_use(self, service: str) -> bool:
        return self.active and service in self.services

    def maintenance_at(self, when: dt.datetime) -> MaintenanceWindow | None:
        return self.maintenance_windows.covering(when).first()


class MaintenanceWindowQuerySet(models.QuerySet):
    def covering(self, when: dt.datetime) -> MaintenanceWindowQuerySet:
        return self.filter(starts_at__lte=when, ends_at__gt=when)

    def overlapping(self, start: dt.datetime, end: dt.datetime) -> MaintenanceWindowQuerySet:
        return self.filter(starts_at__lt=end, ends_at__gt=start)

    def upcoming(self) -> MaintenanceWindowQuerySet:
        return self.filter(ends_at__gt=timezone.now())


class MaintenanceWindow(models.Model):
    """A planned or unplanned period when a modality cannot be used (scheduling treats it as blocked)."""

    modality = models.ForeignKey(Modality, on_delete=models.CASCADE, related_name="maintenance_windows")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MaintenanceWindowQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="maintenance_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.modality.name}: {self.starts_at:%Y-%m-%d %H:%M} - {self.ends_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The window must end after it starts."})


class MaintenanceLogEntry(models.Model):
    """Work done on a modality: service visits, repairs, calibrations, QA tests."""

    modality = models.ForeignKey(Modality, on_delete=models.CASCADE, related_name="maintenance_log")
    performed_on = models.DateField(default=timezone.localdate)
    kind = models.CharField(max_length=20, choices=MaintenanceKind.choices)
    description = models.TextField()
    performed_by = models.CharField(max_length=200, blank=True, help_text="Engineer or company.")
    downtime_minutes = models.PositiveIntegerField(default=0)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-performed_on", "-id"]
        verbose_name_plural = "maintenance log entries"

    def __str__(self) -> str:
        return f"{self.modality.name} {self.performed_on}: {self.get_kind_display()}"


auditlog.register(Room)
auditlog.register(Modality)
auditlog.register(MaintenanceWindow)
auditlog.register(MaintenanceLogEntry)
