"""Appointment, performed-step and note kinds, with the appointment state machine."""

from django.db import models


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Arrived"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


A = AppointmentStatus
# The only moves an appointment may make (a reschedule keeps it booked; the exam itself follows the order).
TRANSITIONS: dict[str, frozenset[str]] = {
    A.BOOKED: frozenset({A.ARRIVED, A.CANCELLED, A.NO_SHOW}),
    A.ARRIVED: frozenset({A.CANCELLED}),
    A.CANCELLED: frozenset(),
    A.NO_SHOW: frozenset(),
}
# Appointments that hold their slot.
LIVE_STATUSES = frozenset({A.BOOKED, A.ARRIVED})


class StepStatus(models.TextChoices):
    """Performed Procedure Step Status (0040,0252), PS3.3 C.4.14."""

    IN_PROGRESS = "IN PROGRESS", "In progress"
    COMPLETED = "COMPLETED", "Completed"
    DISCONTINUED = "DISCONTINUED", "Discontinued"


STEP_TRANSITIONS: dict[str, frozenset[str]] = {
    StepStatus.IN_PROGRESS: frozenset({StepStatus.IN_PROGRESS, StepStatus.COMPLETED, StepStatus.DISCONTINUED}),
    StepStatus.COMPLETED: frozenset(),
    StepStatus.DISCONTINUED: frozenset(),
}


class StepReview(models.TextChoices):
    MATCHED = "matched", "Matched to its order"
    NEEDS_REVIEW = "needs_review", "Needs review"
    RESOLVED = "resolved", "Reviewed"


class NoteKind(models.TextChoices):
    CONTRAST = "contrast", "Contrast"
    DOSE = "dose", "Dose"
    QA = "qa", "QA issue"
    REPEAT = "repeat", "Repeat"
    OTHER = "other", "Other"


class NotificationKind(models.TextChoices):
    BOOKED = "booked", "Booking confirmation"
    CHANGED = "changed", "Appointment changed"
    CANCELLED = "cancelled", "Appointment cancelled"
    REMINDER = "reminder", "Reminder"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    NONE = "none", "No contact on file"


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"
