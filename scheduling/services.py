"""Business actions on appointments and exams. Each one moves the order too, and tells the other apps.

Every booking, reschedule, modification, cancellation, arrival and no-show goes through one function here; it
moves the order with ``ris.orders.services.change_order_status`` and sends ``ris.events.appointment_changed``
inside its transaction. Lock order: the order row, then the resource row (the resource lock serialises bookings
of one resource, so two clerks can never both take its last place in a slot).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ris.events import AppointmentChange, AppointmentEvent, appointment_changed
from ris.orders.choices import OrderStatus
from ris.orders.models import Order
from ris.orders.services import change_order_status, record_performed_details
from scheduling.availability import check_bookable
from scheduling.choices import LIVE_STATUSES, AppointmentStatus, Channel, NoteKind, NotificationKind
from scheduling.models import Appointment, ExamNote, Notification, Resource

S = OrderStatus


def _announce(appointment: Appointment, kind: str, *, actor, reason: str = "", previous_start=None) -> None:
    """Tell the other apps (the HL7 outbox builds SIU from this event and the order)."""
    resource = appointment.resource
    appointment_changed.send(
        sender=Appointment,
        event=AppointmentEvent(
            appointment_id=appointment.pk,
            order_id=appointment.order_id,
            kind=kind,
            start=appointment.start,
            end=appointment.end,
            resource_code=resource.code,
            resource_name=resource.name,
            station_ae_title=resource.station_ae_title,
            actor_id=getattr(actor, "pk", None),
            reason=reason,
            previous_start=previous_start,
            performing_physician_id=appointment.performing_physician_id,
        ),
    )


def _notify(appointment: Appointment, kind: str) -> Notification:
    """Queue a message for the patient (e-mail if on file, else SMS, else recorded as having no contact)."""
    patient = appointment.order.patient
    if patient.email:
        channel, recipient = Channel.EMAIL, patient.email
    elif patient.phone:
        channel, recipient = Channel.SMS, patient.phone
    else:
        channel, recipient = Channel.NONE, ""
    when = timezone.localtime(appointment.start)
    procedure = appointment.order.procedure
    subject = {
        NotificationKind.BOOKED: "Your appointment is booked",
        NotificationKind.CHANGED: "Your appointment has changed",
        NotificationKind.CANCELLED: "Your appointment is cancelled",
        NotificationKind.REMINDER: "Reminder of your appointment",
    }[kind]
    body = f"{procedure.name}, {when:%A %d %B %Y at %H:%M}, {appointment.resource.name}."
    if kind != NotificationKind.CANCELLED and procedure.preparation_instructions:
        body += f"\nPreparation: {procedure.preparation_instructions}"
    return Notification.objects.create(
        appointment=appointment,
        kind=kind,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        for_start=appointment.start,
        status="queued" if channel != Channel.NONE else "skipped",
    )


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("resource__modality", "order")
        .get(pk=appointment.pk)
    )


def _move_order(order: Order, to: str, *, actor, reason: str = "") -> Order:
    return change_order_status(order=order, to=to, actor=actor, reason=reason)


@transaction.atomic
def book_appointment(
    *,
    actor,
    order: Order,
    resource: Resource,
    start: dt.datetime,
    minutes: int | None = None,
    performing_physician=None,
    notes: str = "",
    allow_past: bool = False,
) -> Appointment:
    """Book the order on the resource at ``start`` for the procedure's duration (or ``minutes``); order → scheduled.

    ``allow_past`` records an exam already done (walk-ins entered afterwards, demo data); the UI never sets it.
    """
    order = Order.objects.select_for_update(of=("self",)).select_related("procedure", "patient").get(pk=order.pk)
    if order.status != S.ORDERED:
        if order.status == S.CANCELLED:
            raise ValidationError({"order": "A cancelled order cannot be booked."}, code="cancelled")
        raise ValidationError(
            {"order": f"Only orders waiting to be scheduled can be booked; this one is {order.get_status_display()}."},
            code="status",
        )
    resource = Resource.objects.select_for_update(of=("self",)).select_related("modality").get(pk=resource.pk)
    if resource.modality_type != order.procedure.modality_type:
        raise ValidationError(
            {"resource": f"{resource} cannot perform a {order.procedure.get_modality_type_display()} procedure."}
        )
    minutes = order.procedure.default_duration if minutes is None else minutes
    if minutes <= 0:
        raise ValidationError({"minutes": "An appointment must last longer than zero minutes."}, code="length")
    end = start + dt.timedelta(minutes=minutes)
    check_bookable(resource, start, end, allow_past=allow_past)
    appointment = Appointment.objects.create(
        order=order,
        resource=resource,
        start=start,
        end=end,
        performing_physician=performing_physician,
        notes=notes,
        created_by=actor,
    )
    _move_order(order, S.SCHEDULED, actor=actor)
    _announce(appointment, AppointmentChange.BOOKED, actor=actor)
    _notify(appointment, NotificationKind.BOOKED)
    return appointment


@transaction.atomic
def reschedule_appointment(
    *,
    actor,
    appointment: Appointment,
    start: dt.datetime,
    resource: Resource | None = None,
    minutes: int | None = None,
    reason: str = "",
) -> Appointment:
    """Move a booked appointment to another time (and optionally another resource of the same kind)."""
    Order.objects.select_for_update().get(pk=appointment.order_id)  # lock order: the order row, then the resource
    appointment = _locked(appointment)
    if appointment.status != AppointmentStatus.BOOKED:
        raise ValidationError(
            f"Only a booked appointment can be moved; this one is {appointment.get_status_display().lower()}."
        )
    target = (
        Resource.objects.select_for_update(of=("self",))
        .select_related("modality")
        .get(pk=(resource or appointment.resource).pk)
    )
    if target.modality_type != appointment.resource.modality_type:
        raise ValidationError({"resource": f"{target} cannot perform this procedure."})
    minutes = appointment.minutes if minutes is None else minutes
    if minutes <= 0:
        raise ValidationError({"minutes": "An appointment must last longer than zero minutes."}, code="length")
    end = start + dt.timedelta(minutes=minutes)
    check_bookable(target, start, end, exclude=appointment)
    previous = appointment.start
    appointment.resource, appointment.start, appointment.end = target, start, end
    appointment.save(update_fields=["resource", "start", "end", "updated_at"])
    _announce(appointment, AppointmentChange.RESCHEDULED, actor=actor, reason=reason, previous_start=previous)
    _notify(appointment, NotificationKind.CHANGED)
    return appointment


@transaction.atomic
def modify_appointment(
    *, actor, appointment: Appointment, notes: str | None = None, performing_physician=...
) -> Appointment:
    """Change an appointment's details (not its time): notes, performing physician."""
    appointment = _locked(appointment)
    if appointment.status not in LIVE_STATUSES:
        raise ValidationError("A cancelled or missed appointment cannot be changed.")
    fields = []
    if notes is not None:
        appointment.notes, fields = notes, [*fields, "notes"]
    if performing_physician is not ...:
        appointment.performing_physician, fields = performing_physician, [*fields, "performing_physician"]
    if fields:
        appointment.save(update_fields=[*fields, "updated_at"])
        _announce(appointment, AppointmentChange.MODIFIED, actor=actor)
    return appointment


@transaction.atomic
def cancel_appointment(*, actor, appointment: Appointment, reason: str) -> Appointment:
    """Free the slot. The order goes back to waiting for a booking, unless it was itself cancelled."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the appointment is cancelled."})
    order = Order.objects.select_for_update().get(pk=appointment.order_id)
    appointment = _locked(appointment)
    if not appointment.can_transition(AppointmentStatus.CANCELLED):
        raise ValidationError(f"This appointment is already {appointment.get_status_display().lower()}.")
    if order.status not in {S.ORDERED, S.SCHEDULED, S.ARRIVED, S.CANCELLED}:
        raise ValidationError(f"The exam is already {order.get_status_display().lower()}; it cannot be unbooked.")
    appointment.status, appointment.status_reason = AppointmentStatus.CANCELLED, reason[:300]
    appointment.save(update_fields=["status", "status_reason", "updated_at"])
    if order.status == S.ARRIVED:
        order = _move_order(order, S.SCHEDULED, actor=actor, reason=reason)
    if order.status == S.SCHEDULED:
        _move_order(order, S.ORDERED, actor=actor, reason=reason)
    _announce(appointment, AppointmentChange.CANCELLED, actor=actor, reason=reason)
    _notify(appointment, NotificationKind.CANCELLED)
    return appointment


@transaction.atomic
def mark_arrived(*, actor, appointment: Appointment) -> Appointment:
    """The patient is here: appointment arrived, order scheduled → arrived (the board starts the waiting time)."""
    order = Order.objects.select_for_update().get(pk=appointment.order_id)
    appointment = _locked(appointment)
    if not appointment.can_transition(AppointmentStatus.ARRIVED):
        raise ValidationError(f"This appointment is {appointment.get_status_display().lower()}; it cannot arrive.")
    appointment.status, appointment.arrived_at = AppointmentStatus.ARRIVED, timezone.now()
    appointment.save(update_fields=["status", "arrived_at", "updated_at"])
    _move_order(order, S.ARRIVED, actor=actor)
    _announce(appointment, AppointmentChange.ARRIVED, actor=actor)
    return appointment


@transaction.atomic
def mark_no_show(*, actor, appointment: Appointment, reason: str = "") -> Appointment:
    """The patient did not come: the slot is freed and the order waits for a new booking."""
    order = Order.objects.select_for_update().get(pk=appointment.order_id)
    appointment = _locked(appointment)
    if not appointment.can_transition(AppointmentStatus.NO_SHOW):
        raise ValidationError(
            f"This appointment is {appointment.get_status_display().lower()}; it cannot be a no-show."
        )
    if not appointment.has_begun():
        start = timezone.localtime(appointment.start)
        raise ValidationError(
            f"The appointment is at {start:%H:%M} on {start:%a %d %b}; a patient is a no-show only once that time "
            "has passed. To call it off now, cancel it."
        )
    appointment.status, appointment.status_reason = AppointmentStatus.NO_SHOW, reason.strip()[:300]
    appointment.save(update_fields=["status", "status_reason", "updated_at"])
    _move_order(order, S.ORDERED, actor=actor, reason=reason.strip() or "No-show")
    _announce(appointment, AppointmentChange.NO_SHOW, actor=actor, reason=reason.strip())
    return appointment


def live_appointment(order: Order) -> Appointment | None:
    return order.appointments.live().select_related("resource__modality").first()


@transaction.atomic
def start_exam(*, actor, order: Order) -> Order:
    """The exam begins (MPPS IN PROGRESS, or the technologist by hand); a booked patient is marked arrived first."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status == S.SCHEDULED:
        appointment = live_appointment(order)
        if appointment is not None and appointment.status == AppointmentStatus.BOOKED:
            mark_arrived(actor=actor, appointment=appointment)
        else:
            _move_order(order, S.ARRIVED, actor=actor)
        order.refresh_from_db()
    return _move_order(order, S.IN_PROGRESS, actor=actor)


def complete_exam(*, actor, order: Order) -> Order:
    """The exam is done (MPPS COMPLETED, or by hand)."""
    return _move_order(order, S.COMPLETED, actor=actor)


def discontinue_exam(*, actor, order: Order, reason: str) -> Order:
    """The exam was stopped before it was complete (MPPS DISCONTINUED, or by hand); a reason is required."""
    return _move_order(order, S.DISCONTINUED, actor=actor, reason=reason)


@transaction.atomic
def add_exam_note(
    *,
    actor,
    order: Order,
    kind: str,
    text: str,
    reason: str = "",
    contrast_given: bool | None = None,
    addon_cpt_codes: list[str] | None = None,
) -> ExamNote:
    """A technologist's note; contrast given and add-on codes go onto the order, where billing reads them."""
    note = ExamNote(order=order, kind=kind, text=text.strip(), reason=reason.strip(), author=actor)
    if kind not in NoteKind.values:
        raise ValidationError({"kind": f"“{kind}” is not a kind of note."})
    if not note.text:
        raise ValidationError({"text": "Write the note."})
    note.full_clean()
    if contrast_given is not None or addon_cpt_codes:
        record_performed_details(
            order=order, actor=actor, contrast_given=contrast_given, addon_cpt_codes=addon_cpt_codes or None
        )
    note.save()
    return note


@transaction.atomic
def queue_reminders(*, day: dt.date) -> int:
    """Queue one reminder for each live appointment on ``day`` (idempotent: run it as often as you like)."""
    queued = 0
    appointments = (
        Appointment.objects.live().on_day(day).select_related("order__patient", "order__procedure", "resource")
    )
    for appointment in appointments:
        if not appointment.notifications.filter(kind=NotificationKind.REMINDER, for_start=appointment.start).exists():
            _notify(appointment, NotificationKind.REMINDER)
            queued += 1
    return queued


def release_slots(*, order_id: int, actor, reason: str) -> None:
    """An order was cancelled or unbooked outside scheduling (order page, HL7): free its slot."""
    for appointment in Appointment.objects.live().filter(order_id=order_id):
        cancel_appointment(actor=actor, appointment=appointment, reason=reason or "Order no longer booked")
