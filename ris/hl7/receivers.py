"""Receivers of the events in ``ris.events``: each puts outbound messages in the outbox of every enabled
partner subscribed to them, in the sender's transaction (delivery is queued on commit)."""

from __future__ import annotations

from ris.events import AppointmentChange, AppointmentEvent, OrderStatusEvent, ReportEvent
from ris.hl7 import outbound, services
from ris.hl7.choices import OutboundType


def on_order_status_changed(sender, event: OrderStatusEvent, **kwargs) -> None:
    """ORM^O01 / OMI^O23 status update (ORC-5). An order just entered (no previous status) sends nothing:
    orders come from the partner or from Lumen's own front desk, and the status messages follow. A change made
    by an inbound message (a CA, an SC) is not echoed to the partner that sent it: its ACK already told it."""
    if not event.from_status:
        return
    # One message for a partner subscribed to both.
    subscribed = services.partners_for(OutboundType.ORM, OutboundType.OMI)
    partners = [partner for partner in subscribed if not services.is_origin(partner)]
    if not partners:
        return
    order = outbound.load_order(event.order_id)
    for partner in partners:
        omi = OutboundType.OMI in partner.message_types and OutboundType.ORM not in partner.message_types
        services.queue_outbound(
            partner=partner,
            message_type="OMI^O23" if omi else "ORM^O01",
            patient_id=order.patient_id,
            order_id=order.pk,
            build=lambda control, p=partner, o=omi: outbound.order_status(p, event, order, control, omi=o),
        )


def on_appointment_changed(sender, event: AppointmentEvent, **kwargs) -> None:
    """SIU^S12 booked, S13 rescheduled, S14 modified, S15 cancelled, S26 no-show (arrival sends nothing)."""
    if event.kind == AppointmentChange.ARRIVED:
        return
    partners = services.partners_for(OutboundType.SIU)
    if not partners:
        return
    order = outbound.load_order(event.order_id)
    trigger = outbound.SIU_TRIGGERS[event.kind]
    for partner in partners:
        services.queue_outbound(
            partner=partner,
            message_type=f"SIU^{trigger}",
            patient_id=order.patient_id,
            order_id=order.pk,
            build=lambda control, p=partner: outbound.siu(p, event, order, control),
        )


def on_report_status_changed(sender, event: ReportEvent, **kwargs) -> None:
    """ORU^R01 for a preliminary, final or corrected (amended / addended) report."""
    partners = services.partners_for(OutboundType.ORU)
    if not partners:
        return
    order = outbound.load_order(event.order_id)
    for partner in partners:
        services.queue_outbound(
            partner=partner,
            message_type="ORU^R01",
            patient_id=order.patient_id,
            order_id=order.pk,
            build=lambda control, p=partner: outbound.oru(p, event, order, control),
        )
