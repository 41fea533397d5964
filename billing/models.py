"""Payers, fee schedules, charges captured from completed exams, claims and export batches."""

from __future__ import annotations

from decimal import Decimal

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse

from billing.choices import (
    ChargeStatus,
    ClaimFormat,
    ClaimStatus,
    Component,
    Frequency,
    LineKind,
)
from billing.querysets import ChargeQuerySet, ClaimQuerySet, FeeQuerySet

payer_id_validator = RegexValidator(r"^[A-Za-z0-9]{2,80}$", "A payer ID is 2 to 80 letters or digits (X12 NM109).")


class InvalidTransition(ValidationError):
    """A charge or claim was asked to move to a status its current status does not lead to."""


class Payer(models.Model):
    """An insurer claims are sent to. A patient's coverage names its payer; they are matched by name."""

    name = models.CharField(max_length=60, unique=True, help_text="As on the patients' coverage records.")
    payer_id = models.CharField("payer ID", max_length=80, validators=[payer_id_validator])
    claim_format = models.CharField(max_length=4, choices=ClaimFormat.choices, default=ClaimFormat.X12_837P)
    requires_prior_auth = models.BooleanField(
        "requires prior authorisation", default=False, help_text="Claims need a prior-authorisation number."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FeeScheduleEntry(models.Model):
    """The price a payer pays for one CPT/HCPCS code with one modifier, from a date (to a date)."""

    payer = models.ForeignKey(Payer, on_delete=models.CASCADE, related_name="fees")
    code = models.CharField("CPT / HCPCS code", max_length=5)
    modifier = models.CharField(max_length=2, blank=True, help_text="Empty for global, TC or 26 for components.")
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)

    objects = FeeQuerySet.as_manager()

    class Meta:
        ordering = ["payer", "code", "modifier", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "code", "modifier", "effective_from"],
                name="fee_unique_per_payer_code_modifier_start",
                violation_error_message="This payer already has a price for this code and modifier from that date.",
            )
        ]

    def __str__(self) -> str:
        modifier = f"-{self.modifier}" if self.modifier else ""
        return f"{self.payer} {self.code}{modifier} {self.price}"

    def clean(self) -> None:
        from billing.validation import code_errors, modifier_errors

        errors = {}
        if self.code and (messages := code_errors(self.code)):
            errors["code"] = messages
        if self.modifier and (messages := modifier_errors([self.modifier])):
            errors["modifier"] = messages
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            errors["effective_to"] = ["The price cannot end before it starts."]
        if errors:
            raise ValidationError(errors)


class Charge(models.Model):
    """What one completed exam is billed for: one per order and component (global, or technical + professional).

    Captured by ``services.capture_charge`` when the order completes; coded and reviewed by billing staff.
    ``problems`` is what ``validation.charge_problems`` last found wrong (empty: clean).
    """

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="charges")
    component = models.CharField(max_length=12, choices=Component.choices)
    status = models.CharField(max_length=10, choices=ChargeStatus.choices, default=ChargeStatus.PENDING)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="charges")
    payer = models.ForeignKey(Payer, null=True, blank=True, on_delete=models.PROTECT, related_name="charges")
    coverage = models.ForeignKey(
        "patients.Coverage", null=True, blank=True, on_delete=models.SET_NULL, related_name="charges"
    )
    date_of_service = models.DateField(db_index=True)
    place_of_service = models.CharField(
        max_length=2, validators=[RegexValidator(r"^\d{2}$", "Two digits (CMS place of service code).")]
    )
    icd10_codes = models.JSONField("ICD-10 codes", default=list, blank=True)
    rendering_provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="rendered_charges"
    )
    rendering_npi = models.CharField("rendering NPI", max_length=10, blank=True)
    referring_npi = models.CharField("referring NPI", max_length=10, blank=True)
    referring_name = models.CharField(max_length=120, blank=True)
    prior_auth_number = models.CharField("prior-authorisation number", max_length=50, blank=True)
    hold_reason = models.CharField(max_length=300, blank=True)
    void_reason = models.CharField(max_length=300, blank=True)
    problems = models.JSONField(default=list, blank=True, editable=False)
    captured_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    objects = ChargeQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["order", "component"], name="charge_unique_per_order_component")]
        indexes = [models.Index(fields=["status", "-id"])]

    def __str__(self) -> str:
        return f"Charge {self.pk} ({self.get_component_display()})"

    def get_absolute_url(self) -> str:
        return reverse("billing:charge", args=[self.pk])

    @property
    def needs_attention(self) -> bool:
        return bool(self.problems)

    @property
    def total(self) -> Decimal:
        return sum((line.amount or Decimal(0)) * line.units for line in self.lines.all()) or Decimal("0.00")


class ChargeLine(models.Model):
    """One billed code of a charge (a service line, X12 loop 2400): the procedure, contrast, or an add-on."""

    charge = models.ForeignKey(Charge, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=LineKind.choices, default=LineKind.PROCEDURE)
    code = models.CharField("CPT / HCPCS code", max_length=5)
    modifiers = models.JSONField(default=list, blank=True)
    units = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(999)])
    diagnosis_pointers = models.JSONField(
        default=list, blank=True, help_text="1-based positions in the charge's codes."
    )
    amount = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, help_text="Unit price from the fee schedule."
    )

    class Meta:
        ordering = ["charge", "position"]
        constraints = [models.UniqueConstraint(fields=["charge", "position"], name="charge_line_position_unique")]

    def __str__(self) -> str:
        return f"{self.code} {' '.join(self.modifiers)}".strip()

    @property
    def line_total(self) -> Decimal | None:
        return None if self.amount is None else self.amount * self.units


class ExportBatch(models.Model):
    """One export of ready claims: an X12 interchange or a CSV file. Re-downloadable: the file is rebuilt from the
    claims it holds (which are locked once exported) and the control number it was given."""

    format = models.CharField(max_length=4, choices=ClaimFormat.choices)
    control_number = models.PositiveIntegerField(unique=True, help_text="X12 ISA13 / GS06.")
    first_transaction_number = models.PositiveIntegerField(
        null=True, blank=True, help_text="X12 ST02 of the first transaction set; each further one takes the next."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    claim_count = models.PositiveIntegerField(default=0)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Export {self.control_number:09d} ({self.get_format_display()})"

    @property
    def filename(self) -> str:
        return f"claims-{self.control_number:09d}.{'x12' if self.format == ClaimFormat.X12_837P else 'csv'}"


class Claim(models.Model):
    """A bill to one payer for one patient's services on one date (an X12 2300 loop)."""

    number = models.CharField(max_length=20, unique=True, editable=False, help_text="Patient control number (CLM01).")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="claims")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="claims")
    coverage = models.ForeignKey(
        "patients.Coverage", null=True, blank=True, on_delete=models.SET_NULL, related_name="claims"
    )
    date_of_service = models.DateField(db_index=True)
    status = models.CharField(max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT)
    frequency = models.CharField(max_length=1, choices=Frequency.choices, default=Frequency.ORIGINAL)
    original = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections", editable=False
    )
    payer_claim_number = models.CharField(
        max_length=50, blank=True, help_text="The payer's claim control number (needed to correct or void)."
    )
    charges = models.ManyToManyField(Charge, related_name="claims")
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    batch = models.ForeignKey(
        ExportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="claims", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "id"])]

    def __str__(self) -> str:
        return f"Claim {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("billing:claim", args=[self.pk])


class ClaimEvent(models.Model):
    """A status move of a claim, or a note on it: who, when, and what they wrote."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=ClaimStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=ClaimStatus.choices, blank=True)
    note = models.TextField(blank=True, max_length=2000)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.from_status or '-'} -> {self.to_status or '-'}"


auditlog.register(Payer)
auditlog.register(FeeScheduleEntry)
auditlog.register(Charge, exclude_fields=["updated_at", "problems"])
auditlog.register(ChargeLine)
auditlog.register(Claim)
