"""Events between Lumen's apps.

Services send these signals *inside the transaction that made the change*, with ``Signal.send`` (not
``send_robust``): a receiver that must not miss the change (billing's charge capture, the HL7 outbox) writes its
rows in the same transaction, and a receiver that raises rolls the change back. Anything that leaves Lumen
(an HL7 message, an e-mail) is queued by the receiver with ``transaction.on_commit``.

Each signal carries one frozen dataclass as ``event=``, holding everything a receiver needs, so that the apps
never import each other's services (scheduling, reporting, billing and HL7 only meet here and in the orders
and patients models they all share). Receivers are connected in their app's ``AppConfig.ready``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.dispatch import Signal

# sender: the Order model class; kwargs: event=OrderStatusEvent
order_status_changed = Signal()
# sender: the scheduling Appointment model class; kwargs: event=AppointmentEvent
appointment_changed = Signal()
# sender: the reporting Report model class; kwargs: event=ReportEvent
report_status_changed = Signal()
# sender: the Order model class; kwargs: event=PerformedDetailsEvent
performed_details_changed = Signal()


@dataclass(frozen=True)
class OrderStatusEvent:
    """An order moved from one status to another (``from_status`` is "" when the order was just entered)."""

    order_id: int
    from_status: str
    to_status: str
    actor_id: int | None
    reason: str
    at: dt.datetime


@dataclass(frozen=True)
class PerformedDetailsEvent:
    """The technologist changed what was performed beyond the ordered procedure (contrast, add-on CPT codes)."""

    order_id: int
    contrast_given: bool | None  # None: not recorded
    addon_cpt_codes: tuple[str, ...]
    previous_contrast_given: bool | None
    previous_addon_cpt_codes: tuple[str, ...]
    actor_id: int | None


class AppointmentChange:
    """What happened to an appointment (HL7 SIU trigger events in brackets)."""

    BOOKED = "booked"  # S12
    RESCHEDULED = "rescheduled"  # S13
    MODIFIED = "modified"  # S14
    CANCELLED = "cancelled"  # S15
    NO_SHOW = "no_show"  # S26
    ARRIVED = "arrived"  # (no SIU; ADT/ORM carry arrival)

    ALL = (BOOKED, RESCHEDULED, MODIFIED, CANCELLED, NO_SHOW, ARRIVED)


@dataclass(frozen=True)
class AppointmentEvent:
    """An appointment was booked, moved, changed or cancelled. Times are aware datetimes."""

    appointment_id: int
    order_id: int
    kind: str  # one of AppointmentChange.ALL
    start: dt.datetime
    end: dt.datetime
    resource_code: str  # the bookable resource (room or modality) code
    resource_name: str
    station_ae_title: str  # the modality's AE title, "" when the resource has none
    actor_id: int | None
    reason: str = ""
    previous_start: dt.datetime | None = None  # set for RESCHEDULED
    performing_physician_id: int | None = None  # the user who will perform or read the exam, if named


@dataclass(frozen=True)
class ReportSectionText:
    """One section of a report as text (key as in the template, e.g. "findings", "impression")."""

    key: str
    title: str
    text: str


class ReportResultStatus:
    """HL7 v2 result status (OBR-25 / OBX-11) a report event stands for."""

    PRELIMINARY = "P"
    FINAL = "F"
    CORRECTED = "C"  # amended, or an addendum to a final report

    ALL = (PRELIMINARY, FINAL, CORRECTED)


@dataclass(frozen=True)
class ReportEvent:
    """A report became preliminary, final, or was amended / addended after being final."""

    report_id: int
    order_id: int
    status: str  # one of ReportResultStatus.ALL
    sections: tuple[ReportSectionText, ...]
    author_id: int | None  # who wrote it
    signer_id: int | None  # who signed it (None while preliminary and unsigned)
    signed_at: dt.datetime | None
    critical: bool
    version: int
    addenda: tuple[str, ...] = field(default_factory=tuple)  # texts of addenda, oldest first
