"""The technologist's board: today's exams per resource with exam, MPPS and image state side by side."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from ris.orders.choices import PRIORITY_RANK, OrderStatus
from scheduling.choices import AppointmentStatus
from scheduling.models import Appointment, PerformedStep

S = OrderStatus
BOARD_STATE = {
    S.SCHEDULED: "scheduled",
    S.ARRIVED: "arrived",
    S.IN_PROGRESS: "in_progress",
    S.COMPLETED: "completed",
    S.PRELIMINARY: "completed",
    S.FINAL: "completed",
    S.DISCONTINUED: "discontinued",
}
STATE_LABEL = {
    "scheduled": "Scheduled",
    "arrived": "Arrived",
    "in_progress": "In progress",
    "completed": "Completed",
    "discontinued": "Discontinued",
    "no_show": "No-show",
}


@dataclass
class Row:
    appointment: Appointment
    state: str
    waiting_minutes: int | None
    mpps: PerformedStep | None
    images: bool
    warning: str

    @property
    def order(self):
        return self.appointment.order

    @property
    def state_label(self) -> str:
        return STATE_LABEL[self.state]


def board_rows(appointments, now: dt.datetime | None = None) -> list[Row]:
    """Rows for the day's appointments (cancelled and unbooked ones left out), per resource, STAT first."""
    now = now or timezone.now()
    appointments = (
        appointments.exclude(status=AppointmentStatus.CANCELLED)
        .select_related("order__patient", "order__procedure", "resource")
        .prefetch_related(Prefetch("performed_steps", queryset=PerformedStep.objects.order_by("-id")))
    )
    rows = []
    for appointment in appointments:
        order = appointment.order
        if appointment.status == AppointmentStatus.NO_SHOW:
            state = "no_show"
        elif order.status in BOARD_STATE:
            state = BOARD_STATE[order.status]
        else:
            continue
        steps = list(appointment.performed_steps.all())
        mpps = steps[0] if steps else None
        images = order.images_received_at is not None
        waiting = None
        if state == "arrived" and appointment.arrived_at:
            waiting = int((now - appointment.arrived_at).total_seconds() // 60)
        warning = ""
        if state == "completed" and not images:
            warning = "Completed but no images received"
        elif images and state in ("scheduled", "arrived", "in_progress"):
            warning = "Images received but exam not completed"
        rows.append(Row(appointment, state, waiting, mpps, images, warning))
    rows.sort(key=lambda r: (r.appointment.resource.name, PRIORITY_RANK.get(r.order.priority, 9), r.appointment.start))
    return rows
