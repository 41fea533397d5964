"""Modality Performed Procedure Step SCP logic (PS3.4 F.7, Modality Performed Procedure Step SOP Class).

``create_step`` (N-CREATE) and ``update_step`` (N-SET) keep every step received, matched to its order by the
Scheduled Step Attributes Sequence (Study Instance UID, accession number, step ID) or marked for review, and
move the matched order through the scheduling services. Refusals raise ``MppsError`` with the DIMSE status.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from pydicom.dataset import Dataset

from ris.orders.choices import OrderStatus
from ris.orders.models import Order
from scheduling import services
from scheduling.choices import STEP_TRANSITIONS, StepReview, StepStatus
from scheduling.models import Appointment, PerformedStep

logger = logging.getLogger(__name__)

# DIMSE statuses (PS3.7 C.4.2 N-CREATE, C.4.3 N-SET; PS3.4 F.7.2)
PROCESSING_FAILURE = 0x0110
NO_LONGER_UPDATABLE = 0xA710  # Error ID with 0x0110: "Performed Procedure Step Object may no longer be updated"
INVALID_ATTRIBUTE_VALUE = 0x0106
DUPLICATE_SOP_INSTANCE = 0x0111
NO_SUCH_SOP_INSTANCE = 0x0112
MISSING_ATTRIBUTE = 0x0120

DOSE_KEYWORDS = (
    "TotalTimeOfFluoroscopy",
    "TotalNumberOfExposures",
    "EntranceDose",
    "EntranceDoseInmGy",
    "ExposedArea",
    "DistanceSourceToEntrance",
    "ImageAndFluoroscopyAreaDoseProduct",
    "CommentsOnRadiationDose",
    "RadiationMode",
)


class MppsError(Exception):
    def __init__(self, status: int, reason: str, error_id: int | None = None):
        super().__init__(reason)
        self.status, self.reason, self.error_id = status, reason, error_id


def _json(ds: Dataset) -> dict:
    """The data set as DICOM JSON, bulk data dropped, text safe for any database."""
    text = json.dumps(ds.to_json_dict(bulk_data_threshold=4096, bulk_data_element_handler=lambda _e: ""))
    return json.loads(text.replace("\\u0000", ""))


def _when(ds: Dataset, date_keyword: str, time_keyword: str) -> dt.datetime | None:
    date, time = str(ds.get(date_keyword) or "").strip(), str(ds.get(time_keyword) or "").strip()
    if not date:
        return None
    try:
        digits = time.split(".")[0].replace(":", "").ljust(6, "0")[:6] if time else "000000"
        moment = dt.datetime(  # noqa: DTZ001 - DICOM DA/TM are local time; made aware below
            int(date[:4]), int(date[4:6]), int(date[6:8]), int(digits[:2]), int(digits[2:4]), int(digits[4:6])
        )
    except ValueError:
        raise MppsError(
            INVALID_ATTRIBUTE_VALUE, f"{date_keyword}/{time_keyword} is not a valid date and time."
        ) from None
    return timezone.make_aware(moment)


def _series(ds: Dataset) -> list[dict]:
    found = []
    for item in ds.get("PerformedSeriesSequence") or []:
        found.append(
            {
                "series_instance_uid": str(item.get("SeriesInstanceUID", "")),
                "description": str(item.get("SeriesDescription", "")),
                "protocol": str(item.get("ProtocolName", "")),
                "operator": str(item.get("OperatorsName", "")),
                "images": len(item.get("ReferencedImageSequence") or []),
            }
        )
    return found


def _dose(ds: Dataset) -> dict:
    dose = {}
    for keyword in DOSE_KEYWORDS:
        value = ds.get(keyword)
        if value is not None and value != "":
            dose[keyword] = str(value)
    for item in ds.get("ExposureDoseSequence") or []:
        dose.setdefault("exposures", []).append({k: str(item.get(k)) for k in DOSE_KEYWORDS if item.get(k)})
    return dose


def _status(ds: Dataset, *, required: bool) -> str | None:
    element = ds.get("PerformedProcedureStepStatus")
    if element is None or element == "":
        if required:
            raise MppsError(MISSING_ATTRIBUTE, "Performed Procedure Step Status (0040,0252) is required.")
        return None
    value = str(element).strip().upper()
    if value not in StepStatus.values:
        raise MppsError(INVALID_ATTRIBUTE_VALUE, f"{value!r} is not a performed procedure step status.")
    return value


def _match(ds: Dataset, station_ae: str) -> tuple[Order | None, Appointment | None, str]:
    """The order and appointment the step was performed for, or why it needs review."""
    refs = list(ds.get("ScheduledStepAttributesSequence") or [])
    if not refs:
        return None, None, "Unscheduled: the step refers to no scheduled step."
    ref = refs[0]
    uid = str(ref.get("StudyInstanceUID", "") or "").strip()
    accession = str(ref.get("AccessionNumber", "") or "").strip()
    step_id = str(ref.get("ScheduledProcedureStepID", "") or "").strip()
    order = Order.objects.filter(study_instance_uid=uid).first() if uid else None
    by_accession = Order.objects.filter(accession_number=accession).first() if accession else None
    if order is None:
        order = by_accession
    elif by_accession is not None and by_accession.pk != order.pk:
        return None, None, "The Study Instance UID and the accession number name different orders."
    if order is None:
        return None, None, "No order has this Study Instance UID or accession number."
    appointment = None
    if step_id.startswith("SPS") and step_id[3:].isdigit():
        appointment = Appointment.objects.filter(pk=int(step_id[3:])).select_related("resource__modality").first()
        if appointment is None or appointment.order_id != order.pk:
            return order, None, f"Scheduled step {step_id} is not a step of order {order.accession_number}."
    else:
        appointment = order.appointments.live().select_related("resource__modality").first()
    if appointment is not None and appointment.resource.station_ae_title not in ("", station_ae):
        return order, appointment, (f"Performed on {station_ae}, scheduled on {appointment.resource.station_ae_title}.")
    return order, appointment, ""


def _advance(step: PerformedStep, status: str, reason: str = "") -> None:
    """Move the matched order with the step's status; an order that cannot move marks the step for review."""
    if step.order_id is None or step.review != StepReview.MATCHED:
        return
    order = Order.objects.get(pk=step.order_id)
    try:
        if status == StepStatus.IN_PROGRESS and order.status in (OrderStatus.SCHEDULED, OrderStatus.ARRIVED):
            services.start_exam(actor=None, order=order)
        elif status == StepStatus.IN_PROGRESS and order.status == OrderStatus.IN_PROGRESS:
            pass  # another step of an exam already under way
        elif status == StepStatus.COMPLETED and order.status == OrderStatus.IN_PROGRESS:
            services.complete_exam(actor=None, order=order)
        elif status == StepStatus.DISCONTINUED and order.status == OrderStatus.IN_PROGRESS:
            services.discontinue_exam(actor=None, order=order, reason=reason or "Discontinued at the modality")
        else:
            raise ValueError(f"The order is {order.get_status_display().lower()}.")
    except Exception as exc:  # noqa: BLE001 - kept for review, never dropped
        message = getattr(exc, "messages", [str(exc)])
        step.review, step.problem = StepReview.NEEDS_REVIEW, f"Order not moved: {' '.join(message)}"[:300]


def _reason(ds: Dataset) -> str:
    for item in ds.get("PerformedProcedureStepDiscontinuationReasonCodeSequence") or []:
        return str(item.get("CodeMeaning") or item.get("CodeValue") or "")[:200]
    return ""


@transaction.atomic
def create_step(*, sop_instance_uid: str, ds: Dataset, station_ae: str) -> PerformedStep:
    """N-CREATE: a new step, IN PROGRESS. A second N-CREATE of the same instance is refused (0x0111)."""
    status = _status(ds, required=True)
    if status != StepStatus.IN_PROGRESS:
        raise MppsError(INVALID_ATTRIBUTE_VALUE, "An MPPS is created IN PROGRESS (PS3.4 F.7.2.1).")
    if PerformedStep.objects.filter(sop_instance_uid=sop_instance_uid).exists():
        raise MppsError(DUPLICATE_SOP_INSTANCE, "This performed procedure step exists already.")
    order, appointment, problem = _match(ds, station_ae)
    step = PerformedStep(
        sop_instance_uid=sop_instance_uid,
        status=status,
        review=StepReview.NEEDS_REVIEW if problem else StepReview.MATCHED,
        problem=problem[:300],
        order=order,
        appointment=appointment,
        station_ae_title=station_ae[:16],
        started_at=_when(ds, "PerformedProcedureStepStartDate", "PerformedProcedureStepStartTime"),
        performed_series=_series(ds),
        dose=_dose(ds),
        attributes=_json(ds),
    )
    _advance(step, status)
    try:
        with transaction.atomic():
            step.save()
    except IntegrityError:  # the same instance created meanwhile by a racing N-CREATE (another association)
        raise MppsError(DUPLICATE_SOP_INSTANCE, "This performed procedure step exists already.") from None
    if step.review == StepReview.NEEDS_REVIEW:
        logger.warning("MPPS %s kept for review: %s", step.pk, step.problem)
    return step


@transaction.atomic
def update_step(*, sop_instance_uid: str, ds: Dataset, station_ae: str) -> PerformedStep:
    """N-SET: update a step IN PROGRESS; COMPLETED or DISCONTINUED moves its order on. A final step is closed."""
    step = PerformedStep.objects.select_for_update().filter(sop_instance_uid=sop_instance_uid).first()
    if step is None:
        raise MppsError(NO_SUCH_SOP_INSTANCE, "No performed procedure step has this SOP Instance UID.")
    if step.status != StepStatus.IN_PROGRESS:
        raise MppsError(
            PROCESSING_FAILURE, "The performed procedure step may no longer be updated.", NO_LONGER_UPDATABLE
        )
    status = _status(ds, required=False) or step.status
    if status not in STEP_TRANSITIONS[step.status]:
        raise MppsError(INVALID_ATTRIBUTE_VALUE, f"A step in progress cannot become {status}.")
    ended = _when(ds, "PerformedProcedureStepEndDate", "PerformedProcedureStepEndTime")
    step.attributes = {**step.attributes, **_json(ds)}
    if "PerformedSeriesSequence" in ds:
        step.performed_series = _series(ds)
    step.dose = {**step.dose, **_dose(ds)}
    step.ended_at = ended or step.ended_at
    if status == StepStatus.DISCONTINUED:
        step.discontinuation_reason = _reason(ds)
    if status != step.status:
        step.status = status
        _advance(step, status, step.discontinuation_reason)
    step.save()
    return step


@transaction.atomic
def resolve_step(*, step: PerformedStep, actor, order: Order | None = None) -> PerformedStep:
    """A person reviewed a step kept for review (optionally attaching it to the right order)."""
    step = PerformedStep.objects.select_for_update().get(pk=step.pk)
    if order is not None:
        step.order = order
    step.review = StepReview.RESOLVED
    step.save(update_fields=["order", "review", "updated_at"])
    return step
