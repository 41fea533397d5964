"""Order priorities and the order status state machine."""

from django.db import models


class Priority(models.TextChoices):
    STAT = "stat", "STAT"
    URGENT = "urgent", "Urgent"
    ROUTINE = "routine", "Routine"


# Sort key: STAT first.
PRIORITY_RANK = {Priority.STAT: 0, Priority.URGENT: 1, Priority.ROUTINE: 2}


class OrderStatus(models.TextChoices):
    ORDERED = "ordered", "Ordered"
    SCHEDULED = "scheduled", "Scheduled"
    ARRIVED = "arrived", "Arrived"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    PRELIMINARY = "preliminary", "Preliminary report"
    FINAL = "final", "Final report"
    CANCELLED = "cancelled", "Cancelled"
    DISCONTINUED = "discontinued", "Discontinued"


S = OrderStatus
# The only moves an order's status may make. Anything else raises InvalidTransition.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.ORDERED: frozenset({S.SCHEDULED, S.ARRIVED, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.ORDERED, S.ARRIVED, S.CANCELLED}),  # back to ordered: unbooked or no-show
    S.ARRIVED: frozenset({S.IN_PROGRESS, S.SCHEDULED, S.CANCELLED}),  # back to scheduled: arrival undone
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.DISCONTINUED}),
    S.COMPLETED: frozenset({S.PRELIMINARY, S.FINAL}),
    S.PRELIMINARY: frozenset({S.FINAL}),
    S.FINAL: frozenset(),
    S.CANCELLED: frozenset(),
    S.DISCONTINUED: frozenset(),
}
# Moves that must say why.
REASON_REQUIRED = frozenset({S.CANCELLED, S.DISCONTINUED})
OPEN_STATUSES = frozenset({S.ORDERED, S.SCHEDULED, S.ARRIVED, S.IN_PROGRESS})
DONE_STATUSES = frozenset({S.COMPLETED, S.PRELIMINARY, S.FINAL})
TERMINAL_STATUSES = frozenset(status for status, targets in TRANSITIONS.items() if not targets)

# Who may make each move by hand (MPPS, reporting and HL7 make theirs through the same service, unchecked by role).
TRANSITION_ROLES: dict[str, frozenset[str]] = {
    S.ORDERED: frozenset({"front_desk", "admin"}),
    S.SCHEDULED: frozenset({"front_desk", "admin"}),
    S.ARRIVED: frozenset({"front_desk", "technologist", "admin"}),
    S.IN_PROGRESS: frozenset({"technologist", "admin"}),
    S.COMPLETED: frozenset({"technologist", "admin"}),
    S.DISCONTINUED: frozenset({"technologist", "admin"}),
    # Reached only by signing a report (reporting's sign_report), never by hand: a final order has its report.
    S.PRELIMINARY: frozenset(),
    S.FINAL: frozenset(),
    S.CANCELLED: frozenset({"front_desk", "admin"}),
}
