"""Inbound HL7: what ADT and ORM/OMI messages do to Lumen (HL7 v2.5.1 chapters 3 and 4).

Each handler reads the parsed message and calls the patients and orders services, the same ones the web
pages call. A handler raises :class:`HL7Error` for content it cannot accept; the caller rolls its effects
back and answers AE/AR. Handlers return the patient and order the message was about, for the message log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from ris.accounts.models import ProviderProfile
from ris.hl7.choices import ORC5_TO_ORDER_STATUS, ErrorCode
from ris.hl7.parsing import HL7Error, Parsed, parse_date, repetitions, value
from ris.orders import services as order_services
from ris.orders.models import Order, Procedure
from ris.patients import services as patient_services
from ris.patients.models import Patient


@dataclass
class Outcome:
    patient: Patient | None = None
    order: Order | None = None
    note: str = ""


# ---------------------------------------------------------------------------------------------------------------
# PID: identifiers and demographics
# ---------------------------------------------------------------------------------------------------------------


def identifier(segment, field: int, location: str) -> tuple[str, str]:
    """(issuer, MRN) from a CX list (PID-3, MRG-1): the repetition typed MR, else the first one.

    CX.1 is the ID, CX.4 (HD) the assigning authority whose namespace ID is Lumen's issuer.
    """
    count = repetitions(segment, field)
    chosen = 1
    for rep in range(1, count + 1):
        if value(segment, field, 5, rep) == "MR":
            chosen = rep
            break
    mrn = value(segment, field, 1, chosen)
    issuer = value(segment, field, 4, chosen)
    if not mrn:
        raise HL7Error(
            f"{location.replace('^1^', '-')} patient identifier is missing.",
            code=ErrorCode.REQUIRED_FIELD_MISSING,
            location=location,
        )
    if not issuer:
        raise HL7Error(
            f"{location.replace('^1^', '-')} identifier {mrn} has no assigning authority (CX.4).",
            code=ErrorCode.REQUIRED_FIELD_MISSING,
            location=location,
        )
    return issuer, mrn


SEX = {"F": "F", "M": "M", "O": "O", "U": "U", "A": "O", "N": "U", "X": "O"}
# ISO 3166 alpha-3 (what XAD.6 usually holds) -> the two letters Lumen keeps, for the countries met most.
COUNTRY3 = {"USA": "US", "CAN": "CA", "GBR": "GB", "DEU": "DE", "FRA": "FR", "NLD": "NL", "CHE": "CH", "AUT": "AT"}


def demographics(pid) -> dict:
    """Patient fields from PID-5 (XPN), -7, -8, -11 (XAD), -13 (XTN)."""
    family = value(pid, 5, 1)
    if not family:
        raise HL7Error("PID-5 patient name is missing.", code=ErrorCode.REQUIRED_FIELD_MISSING, location="PID^1^5")
    birth = parse_date(value(pid, 7), "PID^1^7")
    if birth is None:
        raise HL7Error("PID-7 date of birth is missing.", code=ErrorCode.REQUIRED_FIELD_MISSING, location="PID^1^7")
    sex = value(pid, 8).upper()
    if sex and sex not in SEX:
        raise HL7Error(
            f"PID-8 sex {sex!r} is not in HL7 table 0001.", code=ErrorCode.TABLE_VALUE_NOT_FOUND, location="PID^1^8"
        )
    country = value(pid, 11, 6).upper()
    fields = {
        "family_name": family,
        "given_name": value(pid, 5, 2),
        "middle_name": value(pid, 5, 3),
        "suffix": value(pid, 5, 4),
        "prefix": value(pid, 5, 5),
        "birth_date": birth,
        "sex": SEX.get(sex, "U"),
        "address_line": " ".join(p for p in (value(pid, 11, 1), value(pid, 11, 2)) if p),
        "city": value(pid, 11, 3),
        "state": value(pid, 11, 4),
        "postal_code": value(pid, 11, 5),
        "country": COUNTRY3.get(country, country if len(country) == 2 else ""),
    }
    for rep in range(1, repetitions(pid, 13) + 1):
        if value(pid, 13, 2, rep) == "NET" and value(pid, 13, 4, rep):
            fields.setdefault("email", value(pid, 13, 4, rep))
        elif value(pid, 13, 1, rep) or value(pid, 13, 7, rep):
            phone = value(pid, 13, 1, rep) or "".join(value(pid, 13, c, rep) for c in (5, 6, 7))
            fields.setdefault("phone", phone[:40])
    return fields


def find_patient(issuer: str, mrn: str) -> Patient | None:
    return Patient.objects.filter(issuer=issuer, mrn=mrn).first()


def service_error(exc: ValidationError, location: str = "") -> HL7Error:
    """A service's refusal as an AE, with its messages (field names kept)."""
    if hasattr(exc, "error_dict"):
        text = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    else:
        text = " ".join(exc.messages)
    return HL7Error(text, code=ErrorCode.APPLICATION_ERROR, location=location)


def register_or_update(parsed: Parsed, *, update: bool = True) -> Patient:
    """The PID's patient registered when unknown; when known, its demographics brought up to date (ADT), or
    left as registered (``update=False``: an order's PID may carry less than the registration did)."""
    pid = parsed.require("PID")
    issuer, mrn = identifier(pid, 3, "PID^1^3")
    patient = find_patient(issuer, mrn)
    if patient is not None and patient.is_merged:
        raise HL7Error(
            f"Patient {mrn} from {issuer} was merged into another record; send the surviving identifier.",
            code=ErrorCode.UNKNOWN_KEY,
            location="PID^1^3",
        )
    if patient is not None and not update:
        return patient
    fields = demographics(pid)
    try:
        if patient is None:
            return patient_services.register_patient(actor=None, mrn=mrn, issuer=issuer, **fields)
        return patient_services.update_patient(patient=patient, actor=None, **fields)
    except ValidationError as exc:
        raise service_error(exc, "PID") from None


# ---------------------------------------------------------------------------------------------------------------
# ADT
# ---------------------------------------------------------------------------------------------------------------


# HL7 table 0063 (relationship) -> Lumen's subscriber relationship.
RELATIONSHIP = {"SEL": "self", "SPO": "spouse", "CHD": "child"}


def insurance(parsed: Parsed, patient: Patient) -> list[str]:
    """Each IN1 (HL7 v2.5.1 6.5.6) recorded as the patient's coverage: payer IN1-4 (else the plan IN1-2),
    member ID IN1-36 policy number (else IN1-49 insured's ID), plan IN1-2, group IN1-8, dates IN1-12/13,
    insured IN1-16/17, priority IN1-1. An IN1 without payer or member ID is skipped (the registration still
    stands); the returned notes say which, for the message log."""
    notes = []
    for index, in1 in enumerate(parsed.segments("IN1"), 1):
        location = f"IN1^{index}"
        payer = value(in1, 4) or value(in1, 2, 2) or value(in1, 2)
        member = value(in1, 36) or value(in1, 49)
        if not payer or not member:
            missing = "payer (IN1-4)" if not payer else "member ID (IN1-36)"
            notes.append(f"Coverage of IN1 segment {index} skipped: no {missing}.")
            continue
        relationship = RELATIONSHIP.get(value(in1, 17).upper(), "other" if value(in1, 17) else "self")
        insured = " ".join(p for p in (value(in1, 16, 2), value(in1, 16, 1)) if p)
        try:
            set_id = int(value(in1, 1) or index)
        except ValueError:
            set_id = index
        fields = {
            "plan_name": value(in1, 2, 2) or value(in1, 2),
            "group_number": value(in1, 8),
            "valid_from": parse_date(value(in1, 12), f"{location}^12"),
            "valid_to": parse_date(value(in1, 13), f"{location}^13"),
            "subscriber_relationship": relationship,
            "subscriber_name": "" if relationship == "self" else insured,
            "priority": min(max(set_id, 1), 3),
            "active": True,
        }
        try:
            patient_services.record_coverage(
                patient=patient, actor=None, payer_name=payer[:200], member_id=member[:64], **fields
            )
        except ValidationError as exc:
            raise service_error(exc, location) from None
    return notes


def adt_register(parsed: Parsed) -> Outcome:
    """A01 admit, A04 register, A05 pre-admit, A08 update: the patient exists afterwards with these details,
    and the coverages its IN1 segments name."""
    patient = register_or_update(parsed)
    return Outcome(patient=patient, note=" ".join(insurance(parsed, patient)))


def adt_visit_only(parsed: Parsed) -> Outcome:
    """A03 discharge, A11 cancel admit: Lumen keeps no inpatient visits; the patient must be known."""
    pid = parsed.require("PID")
    issuer, mrn = identifier(pid, 3, "PID^1^3")
    patient = find_patient(issuer, mrn)
    if patient is None:
        raise HL7Error(f"No patient {mrn} from {issuer} is known.", code=ErrorCode.UNKNOWN_KEY, location="PID^1^3")
    return Outcome(patient=patient, note="Lumen keeps no visits: nothing to change.")


def adt_merge(parsed: Parsed) -> Outcome:
    """A40 merge patient identifier list: MRG-1's patient merges into PID-3's (the foundation's merge service)."""
    pid = parsed.require("PID")
    mrg = parsed.require("MRG")
    issuer, mrn = identifier(pid, 3, "PID^1^3")
    old_issuer, old_mrn = identifier(mrg, 1, "MRG^1^1")
    target = find_patient(issuer, mrn)
    if target is None:
        raise HL7Error(
            f"The surviving patient {mrn} from {issuer} is not known.", code=ErrorCode.UNKNOWN_KEY, location="PID^1^3"
        )
    source = find_patient(old_issuer, old_mrn)
    if source is None:
        raise HL7Error(
            f"The patient to merge, {old_mrn} from {old_issuer}, is not known.",
            code=ErrorCode.UNKNOWN_KEY,
            location="MRG^1^1",
        )
    try:
        patient_services.merge_patients(source=source, target=target, actor=None)
    except ValidationError as exc:
        raise service_error(exc, "MRG") from None
    return Outcome(patient=target, note=f"Merged {old_mrn} ({old_issuer}) into {mrn} ({issuer}).")


# ---------------------------------------------------------------------------------------------------------------
# ORM^O01 / OMI^O23
# ---------------------------------------------------------------------------------------------------------------

PRIORITY = {"S": "stat", "A": "urgent", "R": "routine", "P": "routine", "T": "urgent", "C": "routine"}


def procedure_of(obr) -> Procedure:
    code = value(obr, 4, 1)
    if not code:
        raise HL7Error(
            "OBR-4 universal service identifier (procedure code) is missing.",
            code=ErrorCode.REQUIRED_FIELD_MISSING,
            location="OBR^1^4",
        )
    procedure = Procedure.objects.filter(code=code).first()
    if procedure is None:
        raise HL7Error(
            f"OBR-4 procedure code {code!r} is not in Lumen's procedure catalog.",
            code=ErrorCode.TABLE_VALUE_NOT_FOUND,
            location="OBR^1^4",
        )
    if not procedure.active:
        raise HL7Error(
            f"OBR-4 procedure {code!r} is no longer offered.", code=ErrorCode.TABLE_VALUE_NOT_FOUND, location="OBR^1^4"
        )
    return procedure


def order_fields(parsed: Parsed, orc, obr) -> dict:
    """What the order asks: reason (OBR-31, else ORC-16 / OBR-13), priority (TQ1-9, ORC-7.6, OBR-27.6),
    diagnoses (DG1-3), referrer (ORC-12 / OBR-16 by NPI), notes (NTE)."""
    reason = value(obr, 31, 2) or value(obr, 31, 1) or value(obr, 13) or value(orc, 16, 2) or value(orc, 16, 1)
    if not reason:
        raise HL7Error(
            "OBR-31 reason for study is missing.", code=ErrorCode.REQUIRED_FIELD_MISSING, location="OBR^1^31"
        )
    tq1 = parsed.segment("TQ1")
    priority_code = (value(tq1, 9, 1) or value(orc, 7, 6) or value(obr, 27, 6) or "R").upper()
    if priority_code not in PRIORITY:
        raise HL7Error(
            f"Priority {priority_code!r} is not in HL7 table 0485.",
            code=ErrorCode.TABLE_VALUE_NOT_FOUND,
            location="TQ1^1^9",
        )
    codes = []
    for dg1 in parsed.segments("DG1"):
        system = value(dg1, 3, 3).upper()
        code = value(dg1, 3, 1)
        if code and system in ("", "I10", "ICD10", "ICD-10", "ICD10CM", "I10C"):
            codes.append(code)
    notes = "\n".join(value(nte, 3) for nte in parsed.segments("NTE") if value(nte, 3))
    fields = {"reason": reason[:1000], "priority": PRIORITY[priority_code], "icd10_codes": codes, "notes": notes}
    npi = value(orc, 12, 1) or value(obr, 16, 1)
    if npi:
        profile = ProviderProfile.objects.select_related("user").filter(npi=npi).first()
        if profile is not None and profile.user.has_role("referring_physician"):
            fields["referring_physician"] = profile.user
        else:
            name = " ".join(
                p for p in (value(orc, 12, 3) or value(obr, 16, 3), value(orc, 12, 2) or value(obr, 16, 2)) if p
            )
            fields["notes"] = "\n".join(p for p in (f"Referring physician (from HL7): {name} NPI {npi}", notes) if p)
    return fields


def find_order(parsed: Parsed, orc, obr) -> Order:
    """The order an ORC is about: by filler number (ORC-3 = accession) or placer number (ORC-2); it must be
    the order of the PID's patient (or of a patient merged into them)."""
    accession = value(orc, 3, 1) or value(obr, 3, 1)
    placer = value(orc, 2, 1) or value(obr, 2, 1)
    if not placer and not accession:
        raise HL7Error(
            "ORC-2 placer order number is missing.", code=ErrorCode.REQUIRED_FIELD_MISSING, location="ORC^1^2"
        )
    order = None
    if accession:
        order = Order.objects.filter(accession_number=accession).first()
    if order is None and placer:
        order = Order.objects.filter(placer_order_number=placer).order_by("-id").first()
    if order is None:
        raise HL7Error(
            f"No order with placer number {placer!r} or accession number {accession!r} is known.",
            code=ErrorCode.UNKNOWN_KEY,
            location="ORC^1^2",
        )
    pid = parsed.require("PID")
    issuer, mrn = identifier(pid, 3, "PID^1^3")
    patient = find_patient(issuer, mrn)
    if patient is None or order.patient_id not in (patient.pk, patient.merged_into_id):
        raise HL7Error(
            f"Order {order.accession_number} is not an order of patient {mrn} from {issuer}.",
            code=ErrorCode.UNKNOWN_KEY,
            location="PID^1^3",
        )
    return order


def order_message(parsed: Parsed) -> Outcome:
    """ORM^O01 / OMI^O23 with ORC-1 NW (new), CA (cancel), XO (change) or SC (status changed)."""
    orc = parsed.require("ORC")
    obr = parsed.require("OBR")
    control = value(orc, 1).upper()
    if control not in ORDER_CONTROLS:
        raise HL7Error(
            f"ORC-1 order control {control!r} is not supported (NW, CA, XO, SC).",
            code=ErrorCode.TABLE_VALUE_NOT_FOUND,
            location="ORC^1^1",
        )
    try:
        return ORDER_CONTROLS[control](parsed, orc, obr)
    except ValidationError as exc:
        raise service_error(exc, "ORC") from None


def new_order(parsed: Parsed, orc, obr) -> Outcome:
    placer = value(orc, 2, 1) or value(obr, 2, 1)
    if not placer:
        raise HL7Error(
            "ORC-2 placer order number is missing.", code=ErrorCode.REQUIRED_FIELD_MISSING, location="ORC^1^2"
        )
    procedure = procedure_of(obr)
    fields = order_fields(parsed, orc, obr)
    patient = register_or_update(parsed, update=False)
    existing = Order.objects.filter(placer_order_number=placer, patient=patient).first()
    if existing is not None:
        raise HL7Error(
            f"Placer order {placer} was already received (accession {existing.accession_number}).",
            code=ErrorCode.DUPLICATE_KEY,
            location="ORC^1^2",
        )
    order = order_services.create_order(
        actor=None, patient=patient, procedure=procedure, placer_order_number=placer, **fields
    )
    return Outcome(patient=patient, order=order, note=f"Order {order.accession_number} entered.")


def cancel(parsed: Parsed, orc, obr) -> Outcome:
    order = find_order(parsed, orc, obr)
    reason = value(orc, 16, 2) or value(orc, 16, 1) or "Cancelled by the ordering system"
    order = order_services.cancel_order(order=order, actor=None, reason=reason)
    return Outcome(patient=order.patient, order=order, note="Order cancelled.")


def change(parsed: Parsed, orc, obr) -> Outcome:
    order = find_order(parsed, orc, obr)
    code = value(obr, 4, 1)
    if code and code != order.procedure.code:
        raise HL7Error(
            f"The procedure of order {order.accession_number} cannot change ({order.procedure.code} to {code}): "
            "cancel it and send a new order.",
            code=ErrorCode.APPLICATION_ERROR,
            location="OBR^1^4",
        )
    fields = order_fields(parsed, orc, obr)
    order = order_services.update_order(order=order, actor=None, **fields)
    return Outcome(patient=order.patient, order=order, note="Order changed.")


def status_change(parsed: Parsed, orc, obr) -> Outcome:
    order = find_order(parsed, orc, obr)
    code = value(orc, 5).upper()
    target = ORC5_TO_ORDER_STATUS.get(code)
    if target is None:
        raise HL7Error(
            f"ORC-5 order status {code!r} is not one Lumen takes ({', '.join(ORC5_TO_ORDER_STATUS)}).",
            code=ErrorCode.TABLE_VALUE_NOT_FOUND,
            location="ORC^1^5",
        )
    reason = value(orc, 16, 2) or value(orc, 16, 1)
    if not reason and target in ("cancelled", "discontinued"):
        reason = "Status sent by the ordering system"
    order = order_services.change_order_status(order=order, to=target, actor=None, reason=reason)
    return Outcome(patient=order.patient, order=order, note=f"Order is now {order.get_status_display().lower()}.")


ORDER_CONTROLS: dict[str, Callable[..., Outcome]] = {"NW": new_order, "CA": cancel, "XO": change, "SC": status_change}

# (message code, trigger) -> handler. Anything else is answered AR (unsupported message type / event).
HANDLERS: dict[tuple[str, str], Callable[[Parsed], Outcome]] = {
    ("ADT", "A01"): adt_register,
    ("ADT", "A04"): adt_register,
    ("ADT", "A05"): adt_register,
    ("ADT", "A08"): adt_register,
    ("ADT", "A03"): adt_visit_only,
    ("ADT", "A11"): adt_visit_only,
    ("ADT", "A40"): adt_merge,
    ("ORM", "O01"): order_message,
    ("OMI", "O23"): order_message,
}
