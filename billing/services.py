"""Business actions of billing: capture, coding, review, claims and their states, export.

Every status change of a charge or claim happens here, along the tables in ``choices.py``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone

from billing.choices import (
    CHARGE_TRANSITIONS,
    CLAIM_TRANSITIONS,
    COMPONENT_MODIFIER,
    EDITABLE_CHARGE_STATUSES,
    PAYER_OUTCOMES,
    SENT_STATUSES,
    BillingSplit,
    ChargeStatus,
    ClaimFormat,
    ClaimStatus,
    Component,
    Frequency,
    LineKind,
)
from billing.export import CLAIMS_PER_TRANSACTION
from billing.models import (
    Charge,
    ChargeLine,
    Claim,
    ClaimEvent,
    ExportBatch,
    FeeScheduleEntry,
    InvalidTransition,
    Payer,
)
from billing.validation import (
    MAX_POINTERS,
    charge_problems,
    claim_problems,
    code_errors,
    icd10_errors,
    modifier_errors,
    npi_errors,
)
from ris.accounts.models import ProviderProfile
from ris.audit.choices import Action
from ris.audit.services import record_access
from ris.numbering.models import next_value
from ris.orders.models import Order
from ris.orders.validators import normalize_icd10
from ris.patients.models import Coverage

# ---------------------------------------------------------------------------------------------------------------
# Capture


def _npi_of(user) -> str:
    profile = getattr(user, "provider_profile", None) if user is not None else None
    return profile.npi if profile is not None else ""


def _coverage_and_payer(patient, day: dt.date) -> tuple[Coverage | None, Payer | None]:
    """The patient's first active coverage in priority order valid on ``day``, and the payer it names."""
    coverages = [
        c
        for c in Coverage.objects.filter(patient=patient, active=True).order_by("priority", "-created_at")
        if (c.valid_from is None or c.valid_from <= day) and (c.valid_to is None or c.valid_to >= day)
    ]
    payers = {p.name.casefold(): p for p in Payer.objects.filter(active=True)}
    for coverage in coverages:
        payer = payers.get(coverage.payer_name.strip().casefold())
        if payer is not None:
            return coverage, payer
    return (coverages[0] if coverages else None), None


def _default_pointers(codes: list[str]) -> list[int]:
    return list(range(1, min(len(codes), MAX_POINTERS) + 1))


def _build_lines(order: Order, component: str, codes: list[str]) -> list[ChargeLine]:
    """The procedure's CPT code with the component's modifier, contrast when given, and recorded add-on codes."""
    modifier = COMPONENT_MODIFIER[component]
    modifiers = [modifier] if modifier else []
    pointers = _default_pointers(codes)
    lines = [ChargeLine(kind=LineKind.PROCEDURE, code=order.procedure.cpt_code, modifiers=modifiers)]
    if order.contrast_given and settings.LUMEN_BILLING_CONTRAST_CODE and component != Component.PROFESSIONAL:
        lines.append(ChargeLine(kind=LineKind.CONTRAST, code=settings.LUMEN_BILLING_CONTRAST_CODE, modifiers=[]))
    for code in order.addon_cpt_codes:
        lines.append(ChargeLine(kind=LineKind.ADDON, code=code, modifiers=list(modifiers)))
    for position, line in enumerate(lines, start=1):
        line.position = position
        line.units = 1
        line.diagnosis_pointers = list(pointers)
    return lines


def _price(charge: Charge, lines) -> None:
    """Each line's unit price from the payer's fee schedule on the date of service (None: no entry)."""
    for line in lines:
        line.amount = None
        if charge.payer_id is None:
            continue
        modifier = next((m for m in line.modifiers if m in ("TC", "26")), "")
        fee = (
            FeeScheduleEntry.objects.effective_on(charge.date_of_service)
            .filter(payer_id=charge.payer_id, code=line.code, modifier=modifier)
            .order_by("-effective_from")
            .first()
        )
        line.amount = fee.price if fee is not None else None


def _refresh(charge: Charge, *, save_lines: bool = True) -> Charge:
    """Re-price the lines and re-check the charge; store what is wrong in ``problems``."""
    lines = list(charge.lines.all())
    _price(charge, lines)
    if save_lines:
        ChargeLine.objects.bulk_update(lines, ["amount"])
    charge.problems = charge_problems(charge, lines)
    charge.save(update_fields=["problems", "updated_at"])
    return charge


def _new_charge(order: Order, component: str, *, actor, day: dt.date, rendering=None) -> Charge | None:
    """Create the order's charge for ``component`` unless it exists (the unique constraint decides under races)."""
    codes = [normalize_icd10(c) for c in order.icd10_codes]
    coverage, payer = _coverage_and_payer(order.patient, day)
    referrer = order.referring_physician
    charge = Charge(
        order=order,
        component=component,
        patient=order.patient,
        payer=payer,
        coverage=coverage,
        date_of_service=day,
        place_of_service=settings.LUMEN_BILLING_PLACE_OF_SERVICE,
        icd10_codes=codes,
        rendering_provider=rendering,
        rendering_npi=_npi_of(rendering),
        referring_npi=_npi_of(referrer),
        referring_name=referrer.get_full_name() if referrer is not None else "",
        captured_by=actor,
    )
    lines = _build_lines(order, component, codes)
    _price(charge, lines)
    charge.problems = charge_problems(charge, lines)
    try:
        with transaction.atomic():  # a savepoint: a duplicate leaves the caller's transaction usable
            charge.save()
    except IntegrityError:
        return None
    for line in lines:
        line.charge = charge
    ChargeLine.objects.bulk_create(lines)
    return charge


def actor_of(actor_id):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=actor_id).first() if actor_id else None


@transaction.atomic
def capture_charge(*, order_id: int, actor=None, at: dt.datetime | None = None) -> list[Charge]:
    """Capture the charge of a completed exam, once: the global charge, or the technical component when billing is
    split (the professional one follows when the report is final, ``capture_professional``).

    Idempotent: a second completion event finds the charge and creates nothing. Never refuses for missing data
    (that would roll the exam's completion back): what is missing is recorded in the charge's ``problems``.
    Returns the charges created now (empty when they existed).
    """
    order = Order.objects.select_related("patient", "procedure", "referring_physician__provider_profile").get(
        pk=order_id
    )
    day = timezone.localdate(at or timezone.now())
    if order.charges.filter(component__in=[Component.GLOBAL, Component.TECHNICAL]).exists():
        return []  # captured already, perhaps under the other split setting: never a global and a technical charge
    component = Component.TECHNICAL if settings.LUMEN_BILLING_SPLIT == BillingSplit.SPLIT else Component.GLOBAL
    charge = _new_charge(order, component, actor=actor, day=day)
    return [charge] if charge is not None else []


@transaction.atomic
def capture_professional(*, order_id: int, signer_id: int | None, actor=None) -> Charge | None:
    """The report is final: the professional component goes to the signing radiologist (split billing), or the
    global charge gets its rendering provider. Idempotent; a charge already coded by billing staff is left alone.
    """
    signer = actor_of(signer_id)
    if signer is None:
        return None
    # The exam's own capture decides, not today's setting: a global charge made before the setting changed to split
    # gets its radiologist (no 26 on top of it), and a technical one gets its professional component.
    captured = set(
        Charge.objects.filter(order_id=order_id, component__in=[Component.GLOBAL, Component.TECHNICAL])
        .exclude(status=ChargeStatus.VOID)
        .values_list("component", flat=True)
    )
    split = Component.TECHNICAL in captured or (not captured and settings.LUMEN_BILLING_SPLIT == BillingSplit.SPLIT)
    if split:
        order = Order.objects.select_related("patient", "procedure", "referring_physician__provider_profile").get(
            pk=order_id
        )
        technical = order.charges.filter(component=Component.TECHNICAL).first()
        day = technical.date_of_service if technical else timezone.localdate()
        created = _new_charge(order, Component.PROFESSIONAL, actor=actor, day=day, rendering=signer)
        if created is not None:
            return created
        component = Component.PROFESSIONAL
    else:
        component = Component.GLOBAL
    charge = Charge.objects.select_for_update(of=("self",)).filter(order_id=order_id, component=component).first()
    if charge is None or charge.status not in EDITABLE_CHARGE_STATUSES or charge.rendering_npi:
        return charge
    charge.rendering_provider = signer
    charge.rendering_npi = _npi_of(signer)
    charge.save(update_fields=["rendering_provider", "rendering_npi", "updated_at"])
    return _refresh(charge, save_lines=False)


def _signature(lines) -> list[tuple]:
    return [(line.kind, line.code, list(line.modifiers), line.units) for line in lines]


@transaction.atomic
def apply_performed_details(
    *, order_id: int, previous_contrast_given: bool | None, previous_addon_cpt_codes: list[str], actor=None
) -> list[Charge]:
    """The technologist changed contrast or add-on codes after the exam's charges were captured.

    A charge still under review whose lines are as captured gets its lines rebuilt from what was performed; one
    whose lines billing staff have coded is put on hold with the change in words, so nobody's coding is lost or
    billed stale. A released charge refuses (ValidationError): the technologist's change is rolled back until
    billing reopens the charge. Returns the charges it changed.
    """
    order = Order.objects.select_related("procedure").get(pk=order_id)
    captured_as = Order(
        pk=order.pk,
        procedure=order.procedure,
        contrast_given=previous_contrast_given,
        addon_cpt_codes=list(previous_addon_cpt_codes),
    )
    changed = []
    charges = Charge.objects.select_for_update(of=("self",)).filter(order_id=order_id).exclude(status=ChargeStatus.VOID)
    for charge in charges.order_by("pk"):
        performed = _signature(_build_lines(order, charge.component, charge.icd10_codes))
        as_captured = _signature(_build_lines(captured_as, charge.component, charge.icd10_codes))
        if performed == as_captured:
            continue  # nothing billable changed (contrast "not recorded" became "not given", say)
        if charge.status not in EDITABLE_CHARGE_STATUSES:
            raise ValidationError(
                f"The exam’s {charge.get_component_display().lower()} charge is {charge.get_status_display().lower()}; "
                "ask billing staff to reopen it before changing the contrast or add-on codes."
            )
        current = _signature(charge.lines.order_by("position"))
        if current == as_captured:
            charge.lines.all().delete()
            lines = _build_lines(order, charge.component, charge.icd10_codes)
            for line in lines:
                line.charge = charge
            _price(charge, lines)
            ChargeLine.objects.bulk_create(lines)
            changed.append(_refresh(charge, save_lines=False))
        else:
            what = f"contrast {'given' if order.contrast_given else 'not given'}; add-on codes " + (
                ", ".join(order.addon_cpt_codes) or "none"
            )
            reason = f"The technologist changed what was performed after coding ({what}): review the lines."
            if charge.status == ChargeStatus.HELD:
                charge.hold_reason = reason[:300]
                charge.save(update_fields=["hold_reason", "updated_at"])
            else:
                _move_charge(charge, ChargeStatus.HELD, hold_reason=reason[:300])
            changed.append(charge)
    return changed


# ---------------------------------------------------------------------------------------------------------------
# Review and coding

CHARGE_FIELDS = frozenset(
    {"icd10_codes", "rendering_npi", "referring_npi", "prior_auth_number", "place_of_service", "payer"}
)


def _check_transition(obj, to: str, table: dict[str, frozenset[str]], labels) -> None:
    if to not in table[obj.status]:
        allowed = ", ".join(labels(s).label for s in labels.values if s in table[obj.status]) or "none"
        raise InvalidTransition(
            {
                "status": f"A {obj._meta.verbose_name} that is {obj.get_status_display().lower()} cannot become "
                f"{labels(to).label.lower()}. Allowed next: {allowed}."
            }
        )


def _lock_charge(charge: Charge) -> Charge:
    return Charge.objects.select_for_update(of=("self",)).select_related("order", "payer").get(pk=charge.pk)


def live_claim(charge: Charge) -> Claim | None:
    return charge.claims.live().order_by("-id").first()


@transaction.atomic
def update_charge(*, charge: Charge, actor, lines: list[dict] | None = None, **fields: Any) -> Charge:
    """Code a charge: diagnoses, provider NPIs, prior authorisation, place of service, payer and the billed lines
    (each a dict with code, modifiers, units, diagnosis_pointers). Bad codes are refused with field messages;
    what is merely missing stays on the charge's list of problems.
    """
    unknown = set(fields) - CHARGE_FIELDS
    if unknown:
        raise TypeError(f"these charge fields cannot be edited: {', '.join(sorted(unknown))}")
    charge = _lock_charge(charge)
    if charge.status not in EDITABLE_CHARGE_STATUSES:
        raise ValidationError(
            f"A {charge.get_status_display().lower()} charge cannot be edited; reopen it first."
            if charge.status == ChargeStatus.RELEASED
            else "A void charge cannot be edited."
        )
    errors: dict[str, list[str]] = defaultdict(list)
    if "icd10_codes" in fields:
        codes = [normalize_icd10(c) for c in fields["icd10_codes"] if c.strip()]
        errors["icd10_codes"].extend(icd10_errors(codes))
        fields["icd10_codes"] = list(dict.fromkeys(codes))
    for name, label in (("rendering_npi", "Rendering provider"), ("referring_npi", "Referring provider")):
        if fields.get(name):
            fields[name] = fields[name].strip()
            errors[name].extend(npi_errors(fields[name], label))
    if "place_of_service" in fields and not (
        len(fields["place_of_service"]) == 2 and fields["place_of_service"].isdigit()
    ):
        errors["place_of_service"].append("Two digits (CMS place of service code).")
    codes = fields.get("icd10_codes", charge.icd10_codes)
    new_lines = []
    if lines is not None:
        for position, data in enumerate(lines, start=1):
            code = data["code"].strip().upper()
            modifiers = [m.strip().upper() for m in data.get("modifiers", []) if m.strip()]
            pointers = list(data.get("diagnosis_pointers") or _default_pointers(codes))
            units = int(data.get("units") or 1)
            label = f"Line {position}"
            errors["lines"].extend(f"{label}: {m}" for m in code_errors(code) + modifier_errors(modifiers))
            if not 1 <= units <= 999:
                errors["lines"].append(f"{label}: units must be 1 to 999.")
            if len(pointers) > MAX_POINTERS or any(not 1 <= p <= len(codes) for p in pointers):
                errors["lines"].append(
                    f"{label}: diagnosis pointers must be 1 to {MAX_POINTERS} positions among the "
                    f"{len(codes)} diagnosis codes."
                )
            kind = data.get("kind") or LineKind.PROCEDURE
            new_lines.append(
                ChargeLine(
                    charge=charge,
                    position=position,
                    kind=kind,
                    code=code,
                    modifiers=modifiers,
                    units=units,
                    diagnosis_pointers=pointers,
                )
            )
        if not new_lines:
            errors["lines"].append("A charge bills at least one code.")
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise ValidationError(errors)
    for name, value in fields.items():
        setattr(charge, name, value)
    if "rendering_npi" in fields:
        # The radiologist with that NPI, when Lumen knows them (their name goes on the claim).
        profile = ProviderProfile.objects.select_related("user").filter(npi=fields["rendering_npi"]).first()
        charge.rendering_provider = profile.user if profile is not None and fields["rendering_npi"] else None
    charge.save(
        update_fields=[
            *(f for f in fields),
            *(["rendering_provider"] if "rendering_npi" in fields else []),
            "updated_at",
        ]
    )
    if lines is not None:
        charge.lines.all().delete()
        ChargeLine.objects.bulk_create(new_lines)
    elif "icd10_codes" in fields:
        # Pointers past the end of a shorter list of diagnoses are cut back to the codes that exist.
        for line in charge.lines.all():
            kept = [p for p in line.diagnosis_pointers if p <= len(codes)] or _default_pointers(codes)
            if kept != line.diagnosis_pointers:
                line.diagnosis_pointers = kept
                line.save(update_fields=["diagnosis_pointers"])
    return _refresh(charge)


def _move_charge(charge: Charge, to: str, **fields: Any) -> Charge:
    _check_transition(charge, to, CHARGE_TRANSITIONS, ChargeStatus)
    charge.status = to
    for name, value in fields.items():
        setattr(charge, name, value)
    charge.save(update_fields=["status", *fields, "updated_at"])
    return charge


@transaction.atomic
def hold_charge(*, charge: Charge, actor, reason: str) -> Charge:
    """Keep a charge out of claims until someone releases or reopens it (e.g. waiting for the referrer)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the charge is on hold."})
    return _move_charge(_lock_charge(charge), ChargeStatus.HELD, hold_reason=reason)


@transaction.atomic
def reopen_charge(*, charge: Charge, actor) -> Charge:
    """Back to review: from hold, or a released charge whose claim is not ready or sent yet."""
    charge = _lock_charge(charge)
    claim = live_claim(charge)
    if claim is not None and claim.status != ClaimStatus.DRAFT:
        raise ValidationError(
            f"The charge is on claim {claim.number}, which is {claim.get_status_display().lower()}; "
            "move the claim back to draft (or correct it) first."
        )
    return _move_charge(charge, ChargeStatus.PENDING, hold_reason="")


@transaction.atomic
def release_charge(*, charge: Charge, actor) -> Charge:
    """Release a clean charge for claims. A charge with problems is refused with the list of them."""
    charge = _lock_charge(charge)
    _refresh(charge)
    if charge.problems:
        raise ValidationError({"status": [f"The charge cannot be released: {p}" for p in charge.problems]})
    return _move_charge(charge, ChargeStatus.RELEASED, hold_reason="")


@transaction.atomic
def void_charge(*, charge: Charge, actor, reason: str) -> Charge:
    """Void a charge that must never be billed (the exam was repeated at no cost, entered in error...)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the charge is void."})
    charge = _lock_charge(charge)
    claim = live_claim(charge)
    if claim is not None and claim.frequency != Frequency.VOID:
        if claim.status in SENT_STATUSES:
            raise ValidationError(
                f"The charge was billed on claim {claim.number} ({claim.get_status_display().lower()}); void that "
                "claim first with a void claim (frequency code 8)."
            )
        if claim.status == ClaimStatus.READY:
            raise ValidationError(
                f"The charge is on claim {claim.number}, ready to export; move it back to draft first."
            )
        claim.charges.remove(charge)
        _retotal(claim)
    return _move_charge(charge, ChargeStatus.VOID, void_reason=reason)


def recheck_charges(queryset=None) -> int:
    """Check again the charges still in review (after a payer or fee schedule change); attach payers that now
    exist to charges that had none. Returns how many were checked."""
    queryset = Charge.objects.all() if queryset is None else queryset
    count = 0
    for charge in queryset.filter(status__in=[ChargeStatus.PENDING, ChargeStatus.HELD]).select_related(
        "order", "payer"
    ):
        if charge.payer_id is None:
            charge.coverage, charge.payer = _coverage_and_payer(charge.patient, charge.date_of_service)
            charge.save(update_fields=["coverage", "payer", "updated_at"])
        _refresh(charge)
        count += 1
    return count


# ---------------------------------------------------------------------------------------------------------------
# Payers and fee schedules


@transaction.atomic
def save_payer(*, actor, payer: Payer | None = None, **fields: Any) -> Payer:
    payer = payer or Payer()
    for name, value in fields.items():
        setattr(payer, name, value)
    payer.full_clean()
    payer.save()
    recheck_charges(Charge.objects.filter(payer__isnull=True) | Charge.objects.filter(payer=payer))
    return payer


@transaction.atomic
def save_fee(*, actor, fee: FeeScheduleEntry | None = None, **fields: Any) -> FeeScheduleEntry:
    """Add or change a price; the charges in review for that payer are priced again."""
    fee = fee or FeeScheduleEntry()
    for name, value in fields.items():
        setattr(fee, name, value.strip().upper() if name in ("code", "modifier") else value)
    fee.full_clean()
    fee.save()
    recheck_charges(Charge.objects.filter(payer=fee.payer))
    return fee


# ---------------------------------------------------------------------------------------------------------------
# Claims


def _retotal(claim: Claim) -> None:
    claim.total = sum((c.total for c in claim.charges.prefetch_related("lines")), Decimal("0.00"))
    claim.save(update_fields=["total"])


def _new_claim_number() -> str:
    return f"LC{next_value('billing-claim'):08d}"


def _event(claim: Claim, *, actor, from_status: str = "", to_status: str = "", note: str = "") -> ClaimEvent:
    return ClaimEvent.objects.create(claim=claim, from_status=from_status, to_status=to_status, note=note, actor=actor)


@transaction.atomic
def build_claims(*, actor, charges=None, make_ready: bool = False) -> list[Claim]:
    """Group released charges on no live claim into draft claims: one per patient, payer, coverage and date.

    With ``make_ready`` each claim with nothing wrong goes on to ready at once; the others stay drafts to fix."""
    queryset = (charges if charges is not None else Charge.objects.all()).claimable().select_for_update(of=("self",))
    groups: dict[tuple, list[Charge]] = defaultdict(list)
    for charge in queryset.order_by("id"):
        if charge.payer_id is None:
            continue
        groups[(charge.patient_id, charge.payer_id, charge.coverage_id, charge.date_of_service)].append(charge)
    claims = []
    for (patient_id, payer_id, coverage_id, day), members in groups.items():
        claim = Claim.objects.create(
            number=_new_claim_number(),
            patient_id=patient_id,
            payer_id=payer_id,
            coverage_id=coverage_id,
            date_of_service=day,
            created_by=actor,
        )
        claim.charges.set(members)
        _retotal(claim)
        _event(claim, actor=actor, to_status=ClaimStatus.DRAFT, note=f"{len(members)} charge(s) grouped.")
        if make_ready and not current_problems(claim):
            _move_claim(claim, ClaimStatus.READY, actor=actor)
        claims.append(claim)
    return claims


def _lock_claim(claim: Claim) -> Claim:
    return Claim.objects.select_for_update(of=("self",)).select_related("patient", "payer", "coverage").get(pk=claim.pk)


def current_problems(claim: Claim) -> list[str]:
    """The claim's problems after checking its charges again (prices and codes may have changed)."""
    charges = list(claim.charges.select_related("order", "payer").prefetch_related("lines"))
    for charge in charges:
        if charge.status != ChargeStatus.VOID:
            _refresh(charge)
    return claim_problems(claim, charges)


def _move_claim(claim: Claim, to: str, *, actor, note: str = "") -> Claim:
    _check_transition(claim, to, CLAIM_TRANSITIONS, ClaimStatus)
    previous = claim.status
    claim.status = to
    claim.status_changed_at = timezone.now()
    claim.save(update_fields=["status", "status_changed_at"])
    _event(claim, actor=actor, from_status=previous, to_status=to, note=note)
    return claim


@transaction.atomic
def change_claim_status(*, claim: Claim, to: str, actor, note: str = "") -> Claim:
    """Move a claim: draft ⇄ ready (ready only when nothing is wrong), cancel before export, and record the payer's
    answer (accepted, rejected, paid, denied) on an exported claim. Exporting, correcting and voiding have their
    own services."""
    claim = _lock_claim(claim)
    note = note.strip()
    if to == ClaimStatus.EXPORTED:
        raise ValidationError({"status": "A claim becomes exported by exporting it (export_claims)."})
    if to in (ClaimStatus.REPLACED, ClaimStatus.VOIDED) or (
        to == ClaimStatus.CANCELLED and claim.status in SENT_STATUSES - {ClaimStatus.REJECTED}
    ):
        raise ValidationError(
            {
                "status": f"Claim {claim.number} was sent to the payer: correct it with a replacement claim (frequency "
                "code 7) or void it with a void claim (frequency code 8)."
            }
        )
    if to == ClaimStatus.READY and claim.status == ClaimStatus.DRAFT:
        problems = current_problems(claim)
        if problems:
            raise ValidationError({"status": problems})
        _retotal(claim)  # charges may have been recoded while the claim was a draft
    if to == ClaimStatus.CANCELLED and not note:
        raise ValidationError({"note": "Say why the claim is cancelled."})
    if to in (ClaimStatus.REJECTED, ClaimStatus.DENIED) and not note:
        raise ValidationError({"note": f"Note the payer's reason for {ClaimStatus(to).label.lower()}."})
    if to in PAYER_OUTCOMES and claim.status not in SENT_STATUSES:
        raise ValidationError({"status": "Only an exported claim gets an answer from the payer."})
    return _move_claim(claim, to, actor=actor, note=note)


@transaction.atomic
def add_claim_note(*, claim: Claim, actor, note: str) -> ClaimEvent:
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Write the note."})
    return _event(claim, actor=actor, note=note)


def _follow_up(claim: Claim, *, actor, frequency: str, payer_claim_number: str, note: str) -> Claim:
    if claim.status not in SENT_STATUSES:
        state = claim.get_status_display().lower()
        raise ValidationError(
            {
                "status": f"Claim {claim.number} is {state}: only a claim sent to the payer is corrected or voided "
                "by a new claim (a draft or ready claim is simply cancelled)."
            }
        )
    payer_claim_number = payer_claim_number.strip() or claim.payer_claim_number
    if not payer_claim_number:
        raise ValidationError({"payer_claim_number": "Give the payer's claim number of the claim being corrected."})
    new = Claim.objects.create(
        number=_new_claim_number(),
        patient=claim.patient,
        payer=claim.payer,
        coverage=claim.coverage,
        date_of_service=claim.date_of_service,
        frequency=frequency,
        original=claim,
        payer_claim_number=payer_claim_number,
        created_by=actor,
    )
    new.charges.set(claim.charges.all())
    _retotal(new)
    label = "Replacement" if frequency == Frequency.REPLACEMENT else "Void"
    _event(new, actor=actor, to_status=ClaimStatus.DRAFT, note=f"{label} of claim {claim.number}. {note}".strip())
    _move_claim(
        claim,
        ClaimStatus.REPLACED if frequency == Frequency.REPLACEMENT else ClaimStatus.VOIDED,
        actor=actor,
        note=f"{label} claim {new.number}. {note}".strip(),
    )
    return new


@transaction.atomic
def correct_claim(*, claim: Claim, actor, payer_claim_number: str = "", note: str = "") -> Claim:
    """A replacement claim (frequency code 7) for a sent claim, as a draft: reopen its charges, fix them, release,
    and export it like any claim. The original becomes replaced."""
    return _follow_up(
        _lock_claim(claim),
        actor=actor,
        frequency=Frequency.REPLACEMENT,
        payer_claim_number=payer_claim_number,
        note=note,
    )


@transaction.atomic
def void_claim(*, claim: Claim, actor, reason: str, payer_claim_number: str = "") -> Claim:
    """Void a claim. A draft or ready one is cancelled; a sent one is voided at the payer by a void claim (frequency
    code 8), made ready to export at once when nothing is wrong with it. Returns the claim that carries the void."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the claim is void."})
    claim = _lock_claim(claim)
    if claim.status in (ClaimStatus.DRAFT, ClaimStatus.READY):
        return _move_claim(claim, ClaimStatus.CANCELLED, actor=actor, note=reason)
    new = _follow_up(claim, actor=actor, frequency=Frequency.VOID, payer_claim_number=payer_claim_number, note=reason)
    if not claim_problems(new):
        _move_claim(new, ClaimStatus.READY, actor=actor)
    return new


# ---------------------------------------------------------------------------------------------------------------
# Export

CHUNK = 500


class NothingToExport(ValidationError):
    """An export was asked for and no claim is ready."""


@transaction.atomic
def export_claims(*, actor, format: str, claims=None, request=None, channel: str = "ui") -> ExportBatch:
    """Export the ready claims (or the ready ones among ``claims``) of the payers billed in ``format`` (each payer's
    ``claim_format``: X12 837P to a clearinghouse, or CSV for billing done elsewhere) as one batch.

    Every claim is checked first; if any has a problem nothing is exported and the error lists, per claim, exactly
    what is wrong. The claims become exported, the batch gets the next interchange control number (a counter that
    never goes back), and the export is written to the access log. The file itself is streamed from the batch by
    ``billing.export.render`` after this commits.
    """
    if format not in ClaimFormat.values:
        raise ValidationError({"format": f"“{format}” is not an export format; use x12 or csv."})
    queryset = (claims if claims is not None else Claim.objects.all()).ready()
    ids = list(
        queryset.filter(payer__claim_format=format)
        .select_for_update(of=("self",))
        .order_by("id")
        .values_list("id", flat=True)
    )
    if not ids:
        others = queryset.count()
        if others:
            raise NothingToExport(
                f"No ready claim is for a payer billed by {ClaimFormat(format).label}; the {others} ready claim(s) "
                "are for payers billed in the other format."
            )
        raise NothingToExport("No claims are ready to export.")
    errors: dict[str, list[str]] = {}
    total = Decimal("0.00")
    patients = set()
    for start in range(0, len(ids), CHUNK):
        chunk = (
            Claim.objects.filter(pk__in=ids[start : start + CHUNK])
            .select_related("patient", "payer", "coverage")
            .prefetch_related("charges__lines", Prefetch("charges__order", Order.objects.only("accession_number")))
        )
        for claim in chunk:
            problems = claim_problems(claim, list(claim.charges.all()))
            if problems:
                errors[claim.number] = problems
            total += claim.total
            patients.add(claim.patient_id)
    if errors:
        raise ValidationError(errors)
    first_transaction = None
    if format == ClaimFormat.X12_837P:
        # ST02 never repeats across exports either: one number per transaction set from its own counter (locked
        # until this commits, so the batch's numbers are consecutive).
        transactions = -(-len(ids) // CLAIMS_PER_TRANSACTION)
        first_transaction = next_value("billing-x12-transaction")
        for _ in range(transactions - 1):
            next_value("billing-x12-transaction")
    batch = ExportBatch.objects.create(
        format=format,
        control_number=next_value("billing-x12-interchange"),
        first_transaction_number=first_transaction,
        created_by=actor,
        claim_count=len(ids),
        total=total,
    )
    now = timezone.now()
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        Claim.objects.filter(pk__in=part).update(status=ClaimStatus.EXPORTED, batch=batch, status_changed_at=now)
        ClaimEvent.objects.bulk_create(
            ClaimEvent(
                claim_id=pk,
                from_status=ClaimStatus.READY,
                to_status=ClaimStatus.EXPORTED,
                actor=actor,
                note=f"Export {batch.control_number:09d}",
            )
            for pk in part
        )
    log_export(batch, actor=actor, request=request, channel=channel)
    return batch


def log_export(batch: ExportBatch, *, actor, request=None, channel: str = "ui"):
    """Each file produced (first export or a later download) is one access-log entry naming its claims."""
    claims = list(batch.claims.values_list("id", "patient_id"))
    return record_access(
        request=request,
        user=actor,
        action=Action.EXPORT,
        obj=batch,
        channel=channel,
        detail={
            "format": batch.format,
            "control_number": batch.control_number,
            "claim_ids": [c for c, _ in claims],
            "patient_ids": sorted({p for _, p in claims}),
        },
    )
