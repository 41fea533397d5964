"""Billing hears about completed exams and final reports (ris/events.py) and calls its own services."""

from __future__ import annotations

from billing import services
from ris.events import OrderStatusEvent, PerformedDetailsEvent, ReportEvent, ReportResultStatus


def on_order_status_changed(sender, event: OrderStatusEvent, **kwargs) -> None:
    """An exam completed: capture its charge in the same transaction (so a completion never lacks one)."""
    if event.to_status == "completed":
        services.capture_charge(order_id=event.order_id, actor=services.actor_of(event.actor_id), at=event.at)


def on_report_status_changed(sender, event: ReportEvent, **kwargs) -> None:
    """A report became final: the professional component goes to the signing radiologist."""
    if event.status == ReportResultStatus.FINAL and event.signer_id is not None:
        services.capture_professional(order_id=event.order_id, signer_id=event.signer_id)


def on_performed_details_changed(sender, event: PerformedDetailsEvent, **kwargs) -> None:
    """Contrast or add-on codes changed: bring captured charges up to date (or refuse, rolling the change back)."""
    services.apply_performed_details(
        order_id=event.order_id,
        previous_contrast_given=event.previous_contrast_given,
        previous_addon_cpt_codes=list(event.previous_addon_cpt_codes),
        actor=services.actor_of(event.actor_id),
    )
