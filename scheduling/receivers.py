"""Scheduling's answers to other apps' events (connected in ``SchedulingConfig.ready``)."""

from ris.orders.choices import OrderStatus


def on_order_status_changed(sender, event, **kwargs) -> None:
    """An order cancelled anywhere (HL7, the order page), or moved back to "ordered" on the order page, gives up
    its appointment, so the slot is free again. (Scheduling's own unbooking cancels the appointment first, so
    there is nothing left to cancel when its order move arrives here.)"""
    if event.to_status not in (OrderStatus.CANCELLED, OrderStatus.ORDERED) or not event.from_status:
        return
    from ris.accounts.models import User
    from scheduling.services import release_slots

    actor = User.objects.filter(pk=event.actor_id).first() if event.actor_id else None
    release_slots(order_id=event.order_id, actor=actor, reason=event.reason)
