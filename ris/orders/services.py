"""Business actions on orders: entry, edits and every status move (the one place status changes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from pydicom.uid import generate_uid

from ris.events import OrderStatusEvent, PerformedDetailsEvent, order_status_changed, performed_details_changed
from ris.numbering.models import next_value
from ris.orders.choices import OPEN_STATUSES, REASON_REQUIRED, OrderStatus
from ris.orders.models import InvalidTransition, Order, OrderStatusChange
from ris.orders.validators import messages_of, validate_cpt
from ris.patients.services import lock_open_patient

EDITABLE_FIELDS = frozenset({"priority", "reason", "icd10_codes", "referring_physician", "notes"})


def next_accession_number(today: dt.date | None = None) -> str:
    """PREFIX + year + 7-digit yearly counter, e.g. A20260000042 (12 characters; DICOM SH allows 16)."""
    year = (today or timezone.localdate()).year
    return f"{settings.LUMEN_ACCESSION_PREFIX}{year}{next_value(f'accession-{year}'):07d}"


def new_study_instance_uid() -> str:
    """A new Study Instance UID under ``LUMEN_UID_ROOT``, or a UUID-derived ``2.25.`` UID (PS3.5 B.2)."""
    root = settings.LUMEN_UID_ROOT
    return generate_uid(prefix=f"{root}." if root else None)


def _announce(order: Order, *, from_status: str, actor, reason: str) -> None:
    """Tell the other apps (see ris/events.py), inside the transaction that made the change."""
    order_status_changed.send(
        sender=Order,
        event=OrderStatusEvent(
            order_id=order.pk,
            from_status=from_status,
            to_status=order.status,
            actor_id=getattr(actor, "pk", None),
            reason=reason,
            at=order.status_changed_at,
        ),
    )


@transaction.atomic
def create_order(
    *,
    actor,
    patient,
    procedure,
    reason: str,
    priority: str = "routine",
    icd10_codes: list[str] | None = None,
    referring_physician=None,
    notes: str = "",
    placer_order_number: str = "",
) -> Order:
    """Enter a new order; it gets the next accession number and starts in ``ordered``."""
    order = Order(
        patient=lock_open_patient(patient),
        procedure=procedure,
        reason=reason,
        priority=priority,
        icd10_codes=list(icd10_codes or []),
        referring_physician=referring_physician,
        notes=notes,
        placer_order_number=placer_order_number,
        ordered_by=actor,
    )
    # Validate before taking a number so a refused order does not hold the counter lock for nothing.
    order.full_clean(exclude=["accession_number"])
    order.accession_number = next_accession_number()
    order.study_instance_uid = new_study_instance_uid()
    order.status_changed_at = timezone.now()
    order.save()
    OrderStatusChange.objects.create(order=order, from_status="", to_status=order.status, actor=actor)
    _announce(order, from_status="", actor=actor, reason="")
    return order


@transaction.atomic
def update_order(*, order: Order, actor, **fields: Any) -> Order:
    """Change what was asked (priority, reason, diagnoses, referrer, notes) while the order is still open."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"these order fields cannot be edited: {', '.join(sorted(unknown))}")
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in OPEN_STATUSES:
        raise ValidationError(f"An order that is {order.get_status_display().lower()} can no longer be changed.")
    for name, value in fields.items():
        setattr(order, name, value)
    order.full_clean()
    order.save(update_fields=[*fields, "updated_at"])
    return order


@transaction.atomic
def change_order_status(*, order: Order, to: str, actor, reason: str = "") -> Order:
    """Move an order to status ``to`` along the state machine in ``choices.TRANSITIONS``.

    Raises ``InvalidTransition`` for a move the machine does not allow, and ``ValidationError`` when a
    cancellation or discontinuation gives no reason. The order row is locked so two concurrent moves
    serialise and the second sees the first's result.
    """
    if to not in OrderStatus.values:
        raise InvalidTransition({"status": f"“{to}” is not an order status."})
    order = Order.objects.select_for_update().get(pk=order.pk)
    if not order.can_transition(to):
        allowed = ", ".join(OrderStatus(s).label for s in order.allowed_transitions()) or "none (it is closed)"
        raise InvalidTransition(
            {
                "status": f"An order that is {order.get_status_display().lower()} cannot become "
                f"{OrderStatus(to).label.lower()}. Allowed next: {allowed}."
            }
        )
    reason = reason.strip()
    if to in REASON_REQUIRED and not reason:
        raise ValidationError({"reason": f"Say why the order is {OrderStatus(to).label.lower()}."})
    previous = order.status
    order.status = to
    order.status_changed_at = timezone.now()
    order.save(update_fields=["status", "status_changed_at", "updated_at"])
    OrderStatusChange.objects.create(order=order, from_status=previous, to_status=to, actor=actor, reason=reason)
    _announce(order, from_status=previous, actor=actor, reason=reason)
    return order


@transaction.atomic
def record_performed_details(
    *, order: Order, actor, contrast_given: bool | None = None, addon_cpt_codes: list[str] | None = None
) -> Order:
    """Record what the technologist performed beyond the ordered procedure: contrast, add-on CPT codes.

    Billing reads these when it captures the exam's charge. Allowed while the exam is under way or just done
    (arrived, in progress, completed); a reported order is closed to such changes.
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in {OrderStatus.ARRIVED, OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED}:
        raise ValidationError(
            f"Exam details can be recorded while the patient is here or the exam is done, "
            f"not when the order is {order.get_status_display().lower()}."
        )
    previous = (order.contrast_given, tuple(order.addon_cpt_codes))
    fields = []
    if contrast_given is not None:
        order.contrast_given = contrast_given
        fields.append("contrast_given")
    if addon_cpt_codes is not None:
        errors = messages_of(validate_cpt, addon_cpt_codes)
        if errors:
            raise ValidationError({"addon_cpt_codes": errors})
        order.addon_cpt_codes = list(dict.fromkeys(addon_cpt_codes))
        fields.append("addon_cpt_codes")
    if fields:
        order.save(update_fields=[*fields, "updated_at"])
    if (order.contrast_given, tuple(order.addon_cpt_codes)) != previous:
        # Billing brings a charge captured at completion up to date, or refuses if it is released already.
        performed_details_changed.send(
            sender=Order,
            event=PerformedDetailsEvent(
                order_id=order.pk,
                contrast_given=order.contrast_given,
                addon_cpt_codes=tuple(order.addon_cpt_codes),
                previous_contrast_given=previous[0],
                previous_addon_cpt_codes=previous[1],
                actor_id=getattr(actor, "pk", None),
            ),
        )
    return order


def cancel_order(*, order: Order, actor, reason: str) -> Order:
    return change_order_status(order=order, to=OrderStatus.CANCELLED, actor=actor, reason=reason)
