"""Demo data: a bookable resource per demo modality and a realistic day of exams yesterday, today and tomorrow.

Everything goes through the scheduling services (booking, arrival, MPPS for modalities that send it, start and
complete by hand for the others), so orders, events and the worklist are what real use would give. Yesterday's
and this morning's exams end completed (reporting and billing pick some of them up); the ones under way now are
in progress, the next few arrived, the rest scheduled; tomorrow is booked. Run twice, it adds nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.core.exceptions import ValidationError
from django.utils import timezone
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from ris.equipment.models import Modality
from ris.orders import services as order_services
from ris.orders.models import Order, Procedure
from ris.patients.models import Patient
from scheduling import mpps, services
from scheduling.models import Block, Resource, WorkingHours

EXAMS_PER_DAY = {-1: 4, 0: 10, 1: 8}  # day offset -> exams per resource
LEAVE_WAITING = 5  # orders of the core demo left unbooked, for the front desk's list
REASONS = ["Follow-up", "Pain, rule out fracture", "Screening", "Staging"]


def seed(*, users, stdout) -> None:
    if Resource.objects.exists():
        return
    desk, tech = users["frontdesk"], users["tech"]
    patients = list(Patient.objects.filter(created_by=desk).order_by("id"))
    if not patients:
        return
    resources = _resources()
    procedures = list(Procedure.objects.filter(active=True).order_by("code"))
    pool = list(Order.objects.filter(status="ordered", ordered_by=desk).select_related("procedure").order_by("id"))
    pool = pool[LEAVE_WAITING:]
    patient_cycle = itertools.cycle(patients)
    referrers = itertools.cycle([users["drhouse"], users["drwho"]])
    now = timezone.now()
    booked = 0
    for resource in resources:
        kinds = [p for p in procedures if p.modality_type == resource.modality_type]
        if not kinds:
            continue
        for offset, count in EXAMS_PER_DAY.items():
            day = timezone.localdate() + dt.timedelta(days=offset)
            opening = timezone.make_aware(dt.datetime.combine(day, dt.time(7, 30)))
            spacing = dt.timedelta(minutes=(11 * 60 // count) // 5 * 5)  # spread over the day, 07:30 to 18:30
            for index in range(count):
                start = opening + index * spacing
                order = next((o for o in pool if o.procedure.modality_type == resource.modality_type), None)
                if order is not None:
                    pool.remove(order)
                else:
                    order = order_services.create_order(
                        actor=desk,
                        patient=next(patient_cycle),
                        procedure=kinds[index % len(kinds)],
                        reason=REASONS[index % len(REASONS)],
                        priority="stat" if index == 5 else "routine",
                        referring_physician=next(referrers),
                    )
                end = start + dt.timedelta(minutes=order.procedure.default_duration)
                if timezone.localtime(end).time() > dt.time(19) or end.date() != start.date():
                    break
                try:
                    appointment = services.book_appointment(
                        actor=desk, order=order, resource=resource, start=start, allow_past=True
                    )
                except ValidationError:  # the demo's QC block: keep the order for another time
                    pool.append(order)
                    continue
                booked += 1
                _perform(appointment, resource, actor=tech, now=now)
    stdout.write(f"Scheduling: {len(resources)} resources, {booked} appointments booked.")


def _resources() -> list[Resource]:
    resources = []
    for modality in Modality.objects.exclude(modality_type="OT").filter(active=True).order_by("name"):
        code = modality.ae_title.removeprefix("LUMEN_")[:16]
        resource = Resource.objects.create(
            code=code,
            name=modality.name,
            modality_type=modality.modality_type,
            modality=modality,
            room=modality.room,
            slot_minutes=10 if modality.modality_type in ("DX", "CR") else 15,
        )
        for weekday in range(7):  # open every day, so the demo looks alive whenever it is run
            WorkingHours.objects.create(resource=resource, weekday=weekday, opens=dt.time(7), closes=dt.time(19))
        resources.append(resource)
    if resources:
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        Block.objects.create(
            resource=resources[0],
            starts_at=timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(17))),
            ends_at=timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(19))),
            reason="Quality control phantom scans",
        )
    return resources


def _perform(appointment, resource: Resource, *, actor, now: dt.datetime) -> None:
    """Bring the exam to where the clock says it is: done, under way, arrived, or still to come."""
    order = appointment.order
    sends_mpps = resource.modality is not None and "mpps" in resource.modality.services
    if appointment.end <= now:
        if sends_mpps:
            uid = generate_uid()
            mpps.create_step(
                sop_instance_uid=uid, ds=_mpps_in_progress(appointment), station_ae=resource.station_ae_title
            )
            mpps.update_step(
                sop_instance_uid=uid, ds=_mpps_completed(appointment), station_ae=resource.station_ae_title
            )
        else:
            services.start_exam(actor=actor, order=order)
            services.complete_exam(actor=actor, order=order)
    elif appointment.start <= now:
        if sends_mpps:
            ds = _mpps_in_progress(appointment)
            mpps.create_step(sop_instance_uid=generate_uid(), ds=ds, station_ae=resource.station_ae_title)
        else:
            services.start_exam(actor=actor, order=order)
    elif appointment.start <= now + dt.timedelta(minutes=90):
        services.mark_arrived(actor=actor, appointment=appointment)


def _mpps_in_progress(appointment) -> Dataset:
    order = appointment.order
    ref = Dataset()
    ref.StudyInstanceUID = order.study_instance_uid
    ref.AccessionNumber = order.accession_number
    ref.ScheduledProcedureStepID = appointment.step_id
    ds = Dataset()
    ds.ScheduledStepAttributesSequence = Sequence([ref])
    ds.PerformedProcedureStepStatus = "IN PROGRESS"
    start = timezone.localtime(appointment.start)
    ds.PerformedProcedureStepStartDate, ds.PerformedProcedureStepStartTime = f"{start:%Y%m%d}", f"{start:%H%M%S}"
    ds.Modality = appointment.resource.modality_type
    return ds


def _mpps_completed(appointment) -> Dataset:
    end = timezone.localtime(appointment.end)
    series = Dataset()
    series.SeriesInstanceUID = generate_uid()
    series.SeriesDescription = appointment.order.procedure.name[:64]
    series.ReferencedImageSequence = Sequence()
    for _ in range(3):
        image = Dataset()
        image.ReferencedSOPClassUID, image.ReferencedSOPInstanceUID = "1.2.840.10008.5.1.4.1.1.2", generate_uid()
        series.ReferencedImageSequence.append(image)
    ds = Dataset()
    ds.PerformedProcedureStepStatus = "COMPLETED"
    ds.PerformedProcedureStepEndDate, ds.PerformedProcedureStepEndTime = f"{end:%Y%m%d}", f"{end:%H%M%S}"
    ds.PerformedSeriesSequence = Sequence([series])
    ds.CommentsOnRadiationDose = "Demo exam"
    return ds
