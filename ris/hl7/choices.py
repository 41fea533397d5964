"""Message directions, statuses (with their transition table), partner message types and HL7 tables."""

from django.db import models


class Direction(models.TextChoices):
    INBOUND = "in", "Inbound"
    OUTBOUND = "out", "Outbound"


class MessageStatus(models.TextChoices):
    # inbound
    RECEIVED = "received", "Received (not yet processed)"
    PROCESSED = "processed", "Processed (AA)"
    ERROR = "error", "Error (AE)"
    REJECTED = "rejected", "Rejected (AR)"
    DUPLICATE = "duplicate", "Duplicate (ACK repeated)"
    BROKEN = "broken", "Broken frame (no ACK possible)"
    # outbound
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Delivered"
    DEAD = "dead", "Dead letter"
    DISCARDED = "discarded", "Discarded by staff"


S = MessageStatus
# The only moves a message's status may make.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.PROCESSED, S.ERROR, S.REJECTED}),
    S.PROCESSED: frozenset(),
    S.ERROR: frozenset(),
    S.REJECTED: frozenset(),
    S.DUPLICATE: frozenset(),
    S.BROKEN: frozenset(),
    S.PENDING: frozenset({S.SENT, S.DEAD}),
    S.SENT: frozenset(),
    S.DEAD: frozenset({S.PENDING, S.DISCARDED}),  # resent, or given up on, by staff
    S.DISCARDED: frozenset(),
}
INBOUND_STATUSES = (S.RECEIVED, S.PROCESSED, S.ERROR, S.REJECTED, S.DUPLICATE, S.BROKEN)
OUTBOUND_STATUSES = (S.PENDING, S.SENT, S.DEAD, S.DISCARDED)
# Outbound messages still owed to their partner: a later message for the same patient waits behind them
# (a dead letter too, until staff resend it or discard it).
UNDELIVERED = (S.PENDING, S.DEAD)


class OutboundType(models.TextChoices):
    """What a partner subscribes to."""

    SIU = "SIU", "SIU^S12-S15/S26 schedules"
    ORM = "ORM", "ORM^O01 order status"
    OMI = "OMI", "OMI^O23 order status"
    ORU = "ORU", "ORU^R01 results (reports)"


class AckCode(models.TextChoices):
    """HL7 table 0008."""

    AA = "AA", "Application accept"
    AE = "AE", "Application error"
    AR = "AR", "Application reject"


class ErrorCode:
    """HL7 table 0357 (message error condition codes) used in ERR-3."""

    SEGMENT_SEQUENCE = ("100", "Segment sequence error")
    REQUIRED_FIELD_MISSING = ("101", "Required field missing")
    DATA_TYPE = ("102", "Data type error")
    TABLE_VALUE_NOT_FOUND = ("103", "Table value not found")
    UNSUPPORTED_MESSAGE_TYPE = ("200", "Unsupported message type")
    UNSUPPORTED_EVENT_CODE = ("201", "Unsupported event code")
    UNSUPPORTED_PROCESSING_ID = ("202", "Unsupported processing id")
    UNSUPPORTED_VERSION_ID = ("203", "Unsupported version id")
    UNKNOWN_KEY = ("204", "Unknown key identifier")
    DUPLICATE_KEY = ("205", "Duplicate key identifier")
    APPLICATION_RECORD_LOCKED = ("206", "Application record locked")
    APPLICATION_ERROR = ("207", "Application internal error")


# Lumen order status -> HL7 table 0038 order status (ORC-5).
ORDER_STATUS_TO_ORC5 = {
    "ordered": "IP",
    "scheduled": "SC",
    "arrived": "IP",
    "in_progress": "IP",
    "completed": "CM",
    "preliminary": "A",
    "final": "CM",
    "cancelled": "CA",
    "discontinued": "DC",
}
# ORC-5 of an inbound ORC-1=SC status message -> the Lumen status it asks for.
ORC5_TO_ORDER_STATUS = {
    "SC": "scheduled",
    "IP": "in_progress",
    "CM": "completed",
    "CA": "cancelled",
    "DC": "discontinued",
}
# ORC-1 order control of an outbound status update: table 0119.
ORDER_STATUS_TO_ORC1 = {"cancelled": "OC", "discontinued": "OD"}  # everything else: SC (status changed)
