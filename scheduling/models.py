"""Bookable resources and their calendars, appointments, performed procedure steps (MPPS), technologists' notes
and patient notifications."""

from __future__ import annotations

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from ris.equipment.choices import ModalityType
from scheduling.choices import (
    TRANSITIONS,
    AppointmentStatus,
    Channel,
    NoteKind,
    NotificationKind,
    NotificationStatus,
    StepReview,
    StepStatus,
)
from scheduling.querysets import AppointmentQuerySet, BlockQuerySet


class Resource(models.Model):
    """Something exams are booked on: a modality in its room (its AE title is the worklist's station)."""

    code = models.CharField(
        max_length=16, unique=True, validators=[RegexValidator(r"^[A-Za-z0-9_\-]+$", "Letters, digits, _ and - only.")]
    )
    name = models.CharField(max_length=100)
    modality_type = models.CharField("modality", max_length=4, choices=ModalityType.choices)
    modality = models.ForeignKey(
        "equipment.Modality", null=True, blank=True, on_delete=models.PROTECT, related_name="resources"
    )
    room = models.ForeignKey("equipment.Room", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    slot_minutes = models.PositiveSmallIntegerField(
        "slot grid (minutes)",
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(120)],
        help_text="Appointments start on this grid; their length comes from the procedure's duration.",
    )
    capacity = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Exams at the same time. More than 1 allows overbooking.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["modality_type", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def station_ae_title(self) -> str:
        return self.modality.ae_title if self.modality_id else ""


class WorkingHours(models.Model):
    """One opening period of a resource in the weekly template (several per weekday allowed, e.g. split shifts)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(
        choices=[(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"), (5, "Saturday"),
                 (6, "Sunday")]
    )  # fmt: skip
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["resource", "weekday", "opens"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(condition=models.Q(closes__gt=models.F("opens")), name="hours_close_after_open")
        ]

    def __str__(self) -> str:
        return f"{self.resource}: {self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Block(models.Model):
    """A time a resource cannot be booked (``resource`` empty: a holiday closing the whole department).

    Equipment's maintenance windows block their modality's resources too, without a row here.
    """

    resource = models.ForeignKey(Resource, null=True, blank=True, on_delete=models.CASCADE, related_name="blocks")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = BlockQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="block_ends")]

    def __str__(self) -> str:
        return f"{self.resource or 'All resources'}: {self.reason}"


class Appointment(models.Model):
    """One booking of an order on a resource; its id is the worklist's Scheduled Procedure Step ID."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="appointments")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED)
    performing_physician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.CharField(max_length=500, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["start"]), models.Index(fields=["resource", "start"])]
        constraints = [models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="appointment_ends")]

    def __str__(self) -> str:
        return f"{self.resource} {self.start:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("scheduling:appointment", args=[self.pk])

    @property
    def step_id(self) -> str:
        """Scheduled Procedure Step ID (0040,0009), SH."""
        return f"SPS{self.pk}"

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    def can_transition(self, to: str) -> bool:
        return to in TRANSITIONS[self.status]

    def has_begun(self) -> bool:
        """Its start time has passed (a patient can be a no-show only then)."""
        return self.start <= timezone.now()


class PerformedStep(models.Model):
    """A Modality Performed Procedure Step received over MPPS (PS3.4 F.7), kept whatever it refers to."""

    sop_instance_uid = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=12, choices=StepStatus.choices)
    review = models.CharField(max_length=12, choices=StepReview.choices, default=StepReview.MATCHED)
    problem = models.CharField(max_length=300, blank=True, help_text="Why the step needs review.")
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="performed_steps"
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="performed_steps"
    )
    station_ae_title = models.CharField(max_length=16, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    discontinuation_reason = models.CharField(max_length=200, blank=True)
    performed_series = models.JSONField(default=list, blank=True)
    dose = models.JSONField(default=dict, blank=True)
    attributes = models.JSONField(default=dict, blank=True, help_text="The attributes as last received (DICOM JSON).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"MPPS {self.sop_instance_uid} {self.status}"

    @property
    def image_count(self) -> int:
        return sum(int(s.get("images", 0)) for s in self.performed_series)


class ExamNote(models.Model):
    """A technologist's note on an exam: contrast, dose, a QA issue, a repeat and why."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="exam_notes")
    kind = models.CharField(max_length=10, choices=NoteKind.choices)
    text = models.CharField(max_length=1000)
    reason = models.CharField(max_length=300, blank=True, help_text="Why, for repeats.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:40]}"

    def clean(self) -> None:
        if self.kind == NoteKind.REPEAT and not self.reason.strip():
            raise ValidationError({"reason": "Say why the images were repeated."})


class Notification(models.Model):
    """A message for the patient about an appointment, ready for an e-mail or SMS sender to pick up."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=10, choices=NotificationKind.choices)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    recipient = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED)
    for_start = models.DateTimeField(help_text="The appointment time the message is about.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "kind", "for_start"],
                condition=models.Q(kind="reminder"),
                name="one_reminder_per_appointment_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.channel})"


auditlog.register(Resource)
auditlog.register(WorkingHours)
auditlog.register(Block)
auditlog.register(Appointment, exclude_fields=["updated_at"])
auditlog.register(PerformedStep, exclude_fields=["updated_at", "attributes"])
