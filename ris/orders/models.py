"""The procedure catalog, orders (one accession number each) and their status history."""

from __future__ import annotations

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse

from ris.equipment.choices import ModalityType
from ris.orders.choices import TRANSITIONS, OrderStatus, Priority
from ris.orders.querysets import OrderQuerySet
from ris.orders.validators import messages_of, normalize_icd10, validate_cpt, validate_icd10


class InvalidTransition(ValidationError):
    """An order was asked to move to a status its current status does not lead to."""


class Procedure(models.Model):
    """A procedure the department performs (the catalog the front desk orders from)."""

    code = models.CharField(
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9._\-]+$", "Use letters, digits and . _ - only.")],
        help_text="Local procedure code (HL7 OBR-4, DICOM Requested Procedure Code).",
    )
    name = models.CharField(max_length=200)
    modality_type = models.CharField("modality", max_length=4, choices=ModalityType.choices)
    cpt_code = models.CharField("CPT code", max_length=5, validators=[validate_cpt])
    body_part = models.CharField(max_length=64, blank=True, help_text="DICOM Body Part Examined, e.g. CHEST.")
    default_duration = models.PositiveIntegerField(
        "default duration (minutes)", default=15, validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    preparation_instructions = models.TextField(blank=True, help_text="Printed for the patient with the booking.")
    contrast = models.BooleanField("uses contrast", default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["modality_type", "name"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Order(models.Model):
    """An imaging order: one requested procedure for one patient, identified by its accession number."""

    accession_number = models.CharField(max_length=16, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="orders")
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="orders")
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.ROUTINE)
    reason = models.TextField("reason for exam", max_length=1000)
    icd10_codes = models.JSONField("ICD-10 codes", default=list, blank=True)
    referring_physician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="referred_orders"
    )
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.ORDERED, editable=False)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    images_received_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the first images of this order reached the archive."
    )
    placer_order_number = models.CharField(max_length=50, blank=True, help_text="The ordering system's ID (ORC-2).")
    study_instance_uid = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        editable=False,
        help_text="Given at entry; the worklist hands it to the modality so images link by themselves.",
    )
    contrast_given = models.BooleanField(
        null=True, editable=False, help_text="Recorded by the technologist when the exam is performed."
    )
    addon_cpt_codes = models.JSONField(
        "add-on CPT codes",
        default=list,
        blank=True,
        editable=False,
        help_text="Add-on procedure codes the technologist recorded as performed (billed with the exam).",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    objects = OrderQuerySet.as_manager()

    class Meta:
        # Newest first by id: ids grow with creation time, and the primary key orders pages without a sort.
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "-id"]),
            models.Index(fields=["patient", "-id"]),
            models.Index(fields=["referring_physician", "-id"]),
        ]

    def __str__(self) -> str:
        return f"{self.accession_number} {self.procedure.name}"

    def get_absolute_url(self) -> str:
        return reverse("orders:detail", args=[self.pk])

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if not isinstance(self.icd10_codes, list) or not all(isinstance(c, str) for c in self.icd10_codes):
            errors["icd10_codes"] = ["Give the ICD-10 codes as a list."]
        else:
            messages = messages_of(validate_icd10, self.icd10_codes)
            if messages:
                errors["icd10_codes"] = messages
            else:
                self.icd10_codes = list(dict.fromkeys(normalize_icd10(c) for c in self.icd10_codes))
        if self.procedure_id and not self.procedure.active and self._state.adding:
            errors["procedure"] = [f"“{self.procedure}” is no longer offered; choose an active procedure."]
        if self.referring_physician_id and not self.referring_physician.has_role("referring_physician"):
            errors["referring_physician"] = [
                "The referring physician must be a user with the referring physician role."
            ]
        if errors:
            raise ValidationError(errors)

    def can_transition(self, to: str) -> bool:
        return to in TRANSITIONS[self.status]

    def allowed_transitions(self) -> list[str]:
        return [s for s in OrderStatus.values if s in TRANSITIONS[self.status]]


class OrderStatusChange(models.Model):
    """One move of an order's status: who, when, from where to where, and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=OrderStatus.choices)
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '-'} -> {self.to_status}"


auditlog.register(Procedure)
auditlog.register(Order, exclude_fields=["updated_at"])
