"""Scheduling's answers to other apps' events (connected in ``SchedulingConfig.ready``)."""

from ris.orders.choices import OrderStatus


def on_order_status_changed(sender, event, **kwargs) -> None:
    """An order cancelled anywhere gives up its appointment, so the slot is free again."""
    if event.to_status != OrderStatus.CANCELLED:
        return
    from ris.accounts.models import User
    from scheduling.services import cancel_for_cancelled_order

    actor = User.objects.filter(pk=event.actor_id).first() if event.actor_id else None
    cancel_for_cancelled_order(order_id=event.order_id, actor=actor, reason=event.reason)
