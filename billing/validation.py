"""What is wrong with a charge or a claim: one function each, used by the work queue and to block export.

Every message names exactly what to fix; an empty list means the charge (or claim) can go out.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError

from billing.choices import Component
from ris.accounts.validators import validate_npi
from ris.orders.validators import messages_of, normalize_icd10, validate_cpt, validate_icd10

_HCPCS = re.compile(r"^[A-V]\d{4}$")
# CPT/HCPCS modifiers are two letters or digits (26, TC, LT, RT, 59, XU ...).
_MODIFIER = re.compile(r"^[A-Z0-9]{2}$")
MAX_DIAGNOSES = 12  # X12 HI segment: principal (ABK) + 11 more (ABF)
MAX_POINTERS = 4  # SV107: up to four diagnosis code pointers per line
MAX_MODIFIERS = 4  # SV101-3..6
MAX_LINES = 50  # loop 2400 repeats at most 50 times per claim


def code_errors(code: str) -> list[str]:
    """A CPT code (validated by the orders app) or a HCPCS Level II code (one letter A-V and four digits)."""
    if _HCPCS.match(code or ""):
        return []
    try:
        validate_cpt(code)
    except ValidationError:
        return [f"“{code}” is not a CPT or HCPCS code."]
    return []


def modifier_errors(modifiers: list[str]) -> list[str]:
    errors = [f"“{m}” is not a modifier: two letters or digits." for m in modifiers if not _MODIFIER.match(m)]
    if len(modifiers) > MAX_MODIFIERS:
        errors.append(f"At most {MAX_MODIFIERS} modifiers per code.")
    if len(set(modifiers)) != len(modifiers):
        errors.append("A modifier is given twice.")
    return errors


def icd10_errors(codes: list[str]) -> list[str]:
    return messages_of(validate_icd10, codes)


def npi_errors(npi: str, label: str) -> list[str]:
    try:
        validate_npi(npi)
    except ValidationError as exc:
        return [f"{label} NPI {npi}: {m}" for m in exc.messages]
    return []


def charge_problems(charge, lines=None) -> list[str]:
    """Everything that stops this charge from being billed, in the words the work queue shows."""
    from billing.models import FeeScheduleEntry

    lines = list(charge.lines.all()) if lines is None else lines
    problems: list[str] = []
    codes = [normalize_icd10(c) for c in charge.icd10_codes]
    if not codes:
        problems.append("Missing diagnosis: add at least one ICD-10-CM code.")
    problems.extend(icd10_errors(codes))
    if len(codes) > MAX_DIAGNOSES:
        problems.append(f"At most {MAX_DIAGNOSES} diagnosis codes fit on a claim.")
    if charge.component in (Component.GLOBAL, Component.PROFESSIONAL):
        if not charge.rendering_npi:
            problems.append("Missing rendering provider NPI (the radiologist who signs the report).")
        else:
            problems.extend(npi_errors(charge.rendering_npi, "Rendering provider"))
    if not charge.referring_npi:
        problems.append("Missing referring provider NPI.")
    else:
        problems.extend(npi_errors(charge.referring_npi, "Referring provider"))
    if charge.payer_id is None:
        problems.append("No payer: the patient has no active coverage with a payer known to billing.")
    elif charge.payer.requires_prior_auth and not charge.prior_auth_number.strip():
        problems.append(f"Missing prior-authorisation number ({charge.payer} requires one).")
    if not lines:
        problems.append("No billed codes.")
    for line in lines:
        label = f"Line {line.position} ({line.code})"
        problems.extend(f"{label}: {m}" for m in code_errors(line.code))
        problems.extend(f"{label}: {m}" for m in modifier_errors(line.modifiers))
        bad = [p for p in line.diagnosis_pointers if not (isinstance(p, int) and 1 <= p <= len(codes))]
        if bad or len(line.diagnosis_pointers) > MAX_POINTERS:
            problems.append(f"{label}: diagnosis pointers must be 1 to {MAX_POINTERS} positions of the codes.")
        elif codes and not line.diagnosis_pointers:
            problems.append(f"{label}: points at no diagnosis.")
        if charge.payer_id is not None and line.amount is None:
            modifier = next((m for m in line.modifiers if m in ("TC", "26")), "")
            shown = f"{line.code}-{modifier}" if modifier else line.code
            if not FeeScheduleEntry.objects.filter(
                payer_id=charge.payer_id, code=line.code, modifier=modifier
            ).exists():
                problems.append(f"{label}: no fee schedule entry for {shown} with {charge.payer}.")
            else:
                problems.append(f"{label}: no price for {shown} with {charge.payer} on {charge.date_of_service}.")
    return problems


BILLING_PROVIDER_SETTINGS = {
    "LUMEN_BILLING_NAME": "billing provider name",
    "LUMEN_BILLING_NPI": "billing provider NPI",
    "LUMEN_BILLING_TAX_ID": "billing provider tax ID",
    "LUMEN_BILLING_ADDRESS": "billing provider street address",
    "LUMEN_BILLING_CITY": "billing provider city",
    "LUMEN_BILLING_STATE": "billing provider state",
    "LUMEN_BILLING_ZIP": "billing provider ZIP+4",
    "LUMEN_BILLING_SUBMITTER_ID": "X12 submitter ID",
    "LUMEN_BILLING_RECEIVER_ID": "X12 receiver ID",
}


def provider_problems() -> list[str]:
    """Settings every claim needs (see ris/settings.py, Billing)."""
    return [
        f"The {label} is not set ({name})."
        for name, label in BILLING_PROVIDER_SETTINGS.items()
        if not getattr(settings, name, "")
    ]


def claim_problems(claim, charges=None) -> list[str]:
    """Everything that stops this claim from being exported: its own fields, then each charge's problems."""
    if charges is None:
        charges = list(claim.charges.select_related("order", "payer").prefetch_related("lines"))
    problems: list[str] = []
    patient = claim.patient
    if not claim.payer.payer_id:
        problems.append(f"Payer {claim.payer} has no payer ID.")
    coverage = claim.coverage
    if coverage is None:
        problems.append("No insurance coverage on the claim (member ID needed).")
    elif not coverage.member_id:
        problems.append("The coverage has no member ID.")
    if not (patient.address_line and patient.city and patient.state and patient.postal_code):
        problems.append("Patient address is incomplete: street, city, state and ZIP code go on the claim.")
    elif not re.fullmatch(r"[A-Z]{2}", patient.state) or not re.fullmatch(r"\d{5}(\d{4})?", patient.postal_code):
        problems.append("Patient address: the state must be a two-letter code and the ZIP code 5 or 9 digits.")
    if claim.frequency != "1" and not claim.payer_claim_number:
        problems.append("A replacement or void claim needs the payer's claim number of the original claim.")
    if not charges:
        problems.append("The claim has no charges.")
    for charge in charges:
        if charge.status != "released" and claim.frequency != "8":
            problems.append(f"Charge {charge.pk} ({charge.order.accession_number}) is not released.")
        for problem in charge.problems:
            problems.append(f"Charge {charge.pk} ({charge.order.accession_number}): {problem}")
        # Checked here too: the payer may have started requiring it after the charge was released.
        prior_auth = f"Missing prior-authorisation number ({claim.payer} requires one)."
        if (
            claim.payer.requires_prior_auth
            and claim.frequency != "8"
            and not charge.prior_auth_number.strip()
            and prior_auth not in charge.problems
        ):
            problems.append(f"Charge {charge.pk} ({charge.order.accession_number}): {prior_auth}")
    diagnoses = {c for charge in charges for c in charge.icd10_codes}
    if len(diagnoses) > MAX_DIAGNOSES:
        problems.append(f"The claim's charges have {len(diagnoses)} diagnosis codes; at most {MAX_DIAGNOSES} fit.")
    if sum(len(charge.lines.all()) for charge in charges) > MAX_LINES:
        problems.append(f"At most {MAX_LINES} service lines fit on one claim.")
    return problems + provider_problems()
