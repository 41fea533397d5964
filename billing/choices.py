"""Billing's vocabularies and the two state machines: charges and claims."""

from django.db import models


class ClaimFormat(models.TextChoices):
    X12_837P = "x12", "ANSI X12 837P (005010X222A1)"
    CSV = "csv", "CSV"


class BillingSplit(models.TextChoices):
    """How an exam is billed: one global charge, or a technical (TC) and a professional (26) component."""

    GLOBAL = "global", "Global"
    SPLIT = "split", "Technical (TC) + professional (26)"


class Component(models.TextChoices):
    GLOBAL = "global", "Global"
    TECHNICAL = "technical", "Technical (TC)"
    PROFESSIONAL = "professional", "Professional (26)"


# The CPT modifier each component carries on its procedure lines.
COMPONENT_MODIFIER = {Component.GLOBAL: "", Component.TECHNICAL: "TC", Component.PROFESSIONAL: "26"}


class LineKind(models.TextChoices):
    PROCEDURE = "procedure", "Procedure"
    CONTRAST = "contrast", "Contrast"
    ADDON = "addon", "Add-on"


class ChargeStatus(models.TextChoices):
    PENDING = "pending", "In review"
    HELD = "held", "On hold"
    RELEASED = "released", "Released"
    VOID = "void", "Void"


C = ChargeStatus
# The only moves a charge's status may make (services.py raises InvalidTransition for anything else).
CHARGE_TRANSITIONS: dict[str, frozenset[str]] = {
    C.PENDING: frozenset({C.HELD, C.RELEASED, C.VOID}),
    C.HELD: frozenset({C.PENDING, C.VOID}),
    C.RELEASED: frozenset({C.PENDING, C.VOID}),  # reopened for coding while its claim is still a draft
    C.VOID: frozenset(),
}
EDITABLE_CHARGE_STATUSES = frozenset({C.PENDING, C.HELD})


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    READY = "ready", "Ready to export"
    EXPORTED = "exported", "Exported"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    PAID = "paid", "Paid"
    DENIED = "denied", "Denied"
    CANCELLED = "cancelled", "Cancelled"  # discarded before it was ever exported
    REPLACED = "replaced", "Replaced"  # a replacement claim (frequency 7) supersedes it
    VOIDED = "voided", "Voided"  # a void claim (frequency 8) cancels it at the payer


K = ClaimStatus
CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
    K.DRAFT: frozenset({K.READY, K.CANCELLED}),
    K.READY: frozenset({K.DRAFT, K.EXPORTED, K.CANCELLED}),
    K.EXPORTED: frozenset({K.ACCEPTED, K.REJECTED, K.PAID, K.DENIED, K.REPLACED, K.VOIDED}),
    K.ACCEPTED: frozenset({K.PAID, K.DENIED, K.REPLACED, K.VOIDED}),
    # Rejected before adjudication (999/277CA): cancel it, fix the charges and send them on a new original claim.
    K.REJECTED: frozenset({K.CANCELLED, K.REPLACED, K.VOIDED}),
    K.PAID: frozenset({K.REPLACED, K.VOIDED}),
    K.DENIED: frozenset({K.REPLACED, K.VOIDED}),
    K.CANCELLED: frozenset(),
    K.REPLACED: frozenset(),
    K.VOIDED: frozenset(),
}
# The payer's answers billing staff record by hand on an exported claim.
PAYER_OUTCOMES = frozenset({K.ACCEPTED, K.REJECTED, K.PAID, K.DENIED})
# Claims already sent: they can only be corrected (frequency 7) or voided (frequency 8) by a new claim.
SENT_STATUSES = frozenset({K.EXPORTED, K.ACCEPTED, K.REJECTED, K.PAID, K.DENIED})
# Claims that still hold their charges (a charge belongs to at most one of these at a time).
LIVE_STATUSES = frozenset({K.DRAFT, K.READY, *SENT_STATUSES})


class Frequency(models.TextChoices):
    """Claim frequency type code (CLM05-3, NUBC UB-04 type of bill position 3)."""

    ORIGINAL = "1", "Original"
    REPLACEMENT = "7", "Replacement of prior claim"
    VOID = "8", "Void / cancel of prior claim"
