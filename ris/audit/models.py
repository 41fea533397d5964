"""The access log: an append-only record of who read, searched or exported which patient data."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ris.audit.choices import Action, Outcome


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an access-log entry."""


class AccessLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Access-log entries cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Access-log entries cannot be deleted.")

    def for_patient(self, patient_id: int) -> AccessLogQuerySet:
        return self.filter(patient_id=patient_id)


class AccessLog(models.Model):
    """One access to patient data (or one sign-in event).

    Append-only: the model refuses updates and deletes, the admin offers neither, and on PostgreSQL a
    trigger refuses UPDATE and DELETE on the table itself.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True, help_text="As it was when the entry was written.")
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    object_type = models.CharField(max_length=60, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    address = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=20, blank=True, help_text="ui, api, export, dicom, hl7, fhir")
    detail = models.JSONField(default=dict, blank=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "-at"]), models.Index(fields=["user", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Access-log entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Access-log entries cannot be deleted.")
