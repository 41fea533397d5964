"""Business actions on patients. Views, the API and (later) HL7 handlers all call these."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ris.audit.choices import Action
from ris.audit.models import AccessLog
from ris.audit.services import record_access
from ris.numbering.models import next_value
from ris.patients.models import Consent, Coverage, Patient, PatientSearchWord

PATIENT_FIELDS = frozenset(
    {
        "mrn",
        "issuer",
        "family_name",
        "given_name",
        "middle_name",
        "prefix",
        "suffix",
        "birth_date",
        "sex",
        "phone",
        "email",
        "address_line",
        "city",
        "state",
        "postal_code",
        "country",
    }
)


class MergeError(ValidationError):
    """Two patients cannot be merged as asked."""


def _check_fields(fields: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown patient fields: {', '.join(sorted(unknown))}")


def generate_mrn() -> str:
    """The next MRN of Lumen's own issuer: prefix + 8 digits (M00000042)."""
    return f"{settings.LUMEN_MRN_PREFIX}{next_value('mrn'):08d}"


def _validate_and_save(instance, **save_kwargs) -> None:
    instance.full_clean()
    instance.save(**save_kwargs)


@transaction.atomic
def register_patient(*, actor, **fields: Any) -> Patient:
    """Register a new patient. An MRN is generated (Lumen's issuer) when none is given."""
    _check_fields(fields, PATIENT_FIELDS)
    patient = Patient(created_by=actor, **fields)
    if not patient.issuer:
        patient.issuer = settings.LUMEN_MRN_ISSUER
    if not patient.mrn:
        if patient.issuer != settings.LUMEN_MRN_ISSUER:
            raise ValidationError({"mrn": "An MRN from another issuer must be given; Lumen only numbers its own."})
        patient.mrn = generate_mrn()
    _validate_and_save(patient)
    return patient


def lock_open_patient(patient: Patient) -> Patient:
    """The patient's row, locked until the transaction ends; refused when merged (a closed record).

    Every service that adds to or changes a patient takes this lock, so nothing lands on a record that a
    concurrent merge is closing.
    """
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if locked.is_merged:
        raise ValidationError(
            {"patient": f"Patient {locked.mrn} was merged into another record; use the surviving record."}
        )
    return locked


@transaction.atomic
def update_patient(*, patient: Patient, actor, **fields: Any) -> Patient:
    """Change a patient's demographics. A merged patient is read-only: change the surviving record."""
    _check_fields(fields, PATIENT_FIELDS)
    patient = lock_open_patient(patient)
    for name, value in fields.items():
        setattr(patient, name, value)
    _validate_and_save(patient)
    return patient


@transaction.atomic
def add_coverage(*, patient: Patient, actor, **fields: Any) -> Coverage:
    """Record an insurance coverage of the patient."""
    coverage = Coverage(patient=lock_open_patient(patient), **fields)
    _validate_and_save(coverage)
    return coverage


@transaction.atomic
def record_coverage(*, patient: Patient, actor, payer_name: str, member_id: str, **fields: Any) -> Coverage:
    """The coverage of this payer and member ID brought up to date, or added when the patient has none yet
    (what an HL7 IN1 segment or an eligibility answer says about a coverage)."""
    patient = lock_open_patient(patient)
    coverage = patient.coverages.filter(payer_name__iexact=payer_name, member_id=member_id).first()
    if coverage is None:
        return add_coverage(patient=patient, actor=actor, payer_name=payer_name, member_id=member_id, **fields)
    for name, value in fields.items():
        setattr(coverage, name, value)
    _validate_and_save(coverage)
    return coverage


@transaction.atomic
def record_consent(*, patient: Patient, actor, kind: str, decision: str, note: str = "") -> Consent:
    """Record a consent decision; it supersedes the previous decision of the same kind."""
    consent = Consent(patient=lock_open_patient(patient), kind=kind, decision=decision, note=note, recorded_by=actor)
    _validate_and_save(consent)
    return consent


def _patient_references():
    """Every (model, field name) that points at a Patient, except the audit trail, merge links and search index."""
    for relation in Patient._meta.related_objects:
        if relation.related_model in (AccessLog, Patient, PatientSearchWord):
            continue
        yield relation.related_model, relation.field.name


@transaction.atomic
def merge_patients(*, source: Patient, target: Patient, actor, request=None) -> dict[str, int]:
    """Merge ``source`` into ``target`` (HL7 ADT^A40): every record of ``source`` moves to ``target``.

    Orders, coverages, consents and every other model that points at a patient (studies included, once the
    PACS index exists) follow the surviving patient; each moved row is saved one by one so the change log
    holds it. ``source`` stays, marked merged, so its MRN still resolves. Returns the moved counts per model.
    """
    if source.pk == target.pk:
        raise MergeError("A patient cannot be merged into itself.")
    locked = {p.pk: p for p in Patient.objects.select_for_update().filter(pk__in=[source.pk, target.pk])}
    source, target = locked[source.pk], locked[target.pk]
    if source.is_merged:
        raise MergeError(f"Patient {source.mrn} was already merged into another record.")
    if target.is_merged:
        raise MergeError(f"Patient {target.mrn} was merged into another record; merge into the surviving one.")

    moved: dict[str, int] = {}
    for model, field in _patient_references():
        count = 0
        for row in model._base_manager.select_for_update().filter(**{field: source}):
            setattr(row, field, target)
            row.save(update_fields=[field])
            count += 1
        if count:
            moved[model._meta.label_lower] = count

    source.merged_into = target
    source.merged_at = timezone.now()
    source.save(update_fields=["merged_into", "merged_at"])
    record_access(
        request=request,
        user=actor,
        action=Action.MERGE,
        obj=target,
        patient=target,
        channel="ui" if request is not None else "service",
        detail={"source_patient_id": source.pk, "source_mrn": source.mrn, "moved": moved},
    )
    return moved
