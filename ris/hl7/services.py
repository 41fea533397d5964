"""HL7 business actions: receive (log, process, acknowledge), queue and deliver outbound, resend and replay.

Inbound order of work (durability rule of the architecture): the raw message is committed to the log first,
then processed in one transaction that also marks the log row processed, then acknowledged. A crash after the
commit and before the ACK leaves a processed row: the sender's resend is answered from it, not processed again.
A crash before the processing commit leaves a RECEIVED row: the resend processes it (once).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ris.hl7 import inbound, mllp
from ris.hl7.acks import build_ack
from ris.hl7.choices import Direction, ErrorCode, MessageStatus
from ris.hl7.models import Message, Partner
from ris.hl7.parsing import HL7Error, encoding_of, log_text, peek_header, read

logger = logging.getLogger(__name__)
S = MessageStatus


# ---------------------------------------------------------------------------------------------------------------
# Inbound
# ---------------------------------------------------------------------------------------------------------------


def sender_of(header: dict[str, str]) -> str:
    return "^".join(p for p in (header.get("sending_application", ""), header.get("sending_facility", "")) if p)


def log_problem(*, data: bytes, peer: str, reason: str, size: int = 0) -> Message:
    """Keep what arrived that is not a message (junk, a cut-short or stalled frame) with the reason."""
    header = peek_header(data)
    text = log_text(data)
    if size > len(data):
        reason = f"{reason} ({size} bytes; the first {len(data)} are kept)"
    return Message.objects.create(
        direction=Direction.INBOUND,
        status=S.BROKEN,
        sender=sender_of(header)[:200],
        peer=peer,
        control_id=header.get("control_id", "")[:199],
        message_type=header.get("message_type", "")[:20],
        version=header.get("version", "")[:10],
        raw=text,
        reason=reason,
    )


def log_inbound(*, data: bytes, peer: str) -> Message:
    """Write the message to the log and commit, before anything else (the first copy of sender + control ID
    gets the dedup key; a later copy is logged as a duplicate of it)."""
    header = peek_header(data)
    sender = sender_of(header)[:200]
    control = header.get("control_id", "")[:199]
    fields = {
        "direction": Direction.INBOUND,
        "status": S.RECEIVED,
        "sender": sender,
        "peer": peer,
        "control_id": control,
        "message_type": header.get("message_type", "")[:20],
        "version": header.get("version", "")[:10],
        "raw": log_text(data),
    }
    with transaction.atomic():
        if control:
            try:
                with transaction.atomic():
                    return Message.objects.create(dedup_key=f"{sender}|{control}"[:400], **fields)
            except IntegrityError:
                original = Message.objects.get(dedup_key=f"{sender}|{control}"[:400])
                fields.update(status=S.DUPLICATE, duplicate_of=original)
                if original.raw != fields["raw"]:
                    fields["reason"] = "Same sender and control ID as an earlier message, with different content."
        return Message.objects.create(**fields)


def receive(data: bytes, *, peer: str = "") -> bytes:
    """One framed message in, its acknowledgement out (the caller sends it). See the module docstring."""
    message = log_inbound(data=data, peer=peer)
    if message.status == S.DUPLICATE:
        return answer_duplicate(message, data)
    return process(message, data).encode("utf-8")


def answer_duplicate(duplicate: Message, data: bytes) -> bytes:
    """A resent message: its first copy's ACK again, after processing the first copy if a crash kept it from
    being processed."""
    original = duplicate.duplicate_of
    ack = process(original, data) if original.status == S.RECEIVED else original.ack
    Message.objects.filter(pk=duplicate.pk).update(
        ack=ack, ack_code=original_ack_code(duplicate.duplicate_of_id), processed_at=timezone.now()
    )
    return ack.encode("utf-8")


def original_ack_code(pk: int) -> str:
    return Message.objects.filter(pk=pk).values_list("ack_code", flat=True).first() or ""


def process(message: Message, data: bytes | None = None) -> str:
    """Process a RECEIVED message once; returns the ACK text (also stored on the row). ``data`` is the message
    as received (the log's text when replaying)."""
    if data is None:
        data = message.raw.encode(encoding_of(message.raw.encode("utf-8")), errors="replace")
    try:
        parsed = read(data)
        check_routing(parsed)
        handler = inbound.HANDLERS.get((parsed.message_code, parsed.trigger))
        if handler is None:
            raise unsupported(parsed)
    except HL7Error as error:
        return finish_refused(message, error, header=peek_header(data))
    return run_handler(message, parsed, handler)


def check_routing(parsed) -> None:
    wanted = settings.LUMEN_HL7_APPLICATION
    got = parsed.header["receiving_application"]
    if got and got != wanted:
        raise HL7Error(
            f"MSH-5 receiving application {got!r} is not this system ({wanted}).",
            code=ErrorCode.UNSUPPORTED_MESSAGE_TYPE,
            ack="AR",
            location="MSH^1^5",
        )


def unsupported(parsed) -> HL7Error:
    known_codes = {code for code, _ in inbound.HANDLERS}
    if parsed.message_code in known_codes:
        return HL7Error(
            f"Event {parsed.header['message_type']} is not supported.",
            code=ErrorCode.UNSUPPORTED_EVENT_CODE,
            ack="AR",
            location="MSH^1^9",
        )
    return HL7Error(
        f"Message type {parsed.header['message_type']} is not supported.",
        code=ErrorCode.UNSUPPORTED_MESSAGE_TYPE,
        ack="AR",
        location="MSH^1^9",
    )


# (MSH-3, MSH-4) of the inbound message being processed: its own changes are not echoed back to it.
processing_from: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "processing_from", default=None
)


def is_origin(partner: Partner) -> bool:
    """Whether ``partner`` sent the inbound message being processed (MSH-3 is its application, and MSH-4 its
    facility when it has one)."""
    origin = processing_from.get()
    if origin is None:
        return False
    application, facility = origin
    return partner.application == application and (not partner.facility or partner.facility == facility)


def run_handler(message: Message, parsed, handler: Callable) -> str:
    token = processing_from.set((parsed.header["sending_application"], parsed.header["sending_facility"]))
    try:
        return _run_handler(message, parsed, handler)
    finally:
        processing_from.reset(token)


def _run_handler(message: Message, parsed, handler: Callable) -> str:
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.status != S.RECEIVED:  # processed meanwhile by a resend on another connection
            return locked.ack
        try:
            with transaction.atomic():
                outcome = handler(parsed)
        except HL7Error as error:
            return finish_refused(locked, error, header=parsed.header)
        except Exception:  # a bug must not pass as AA, nor lose the message: AE, logged, replayable
            logger.exception("HL7 message %s failed", message.pk)
            error = HL7Error(
                "Lumen failed to process the message (internal error); it is kept for replay.",
                code=ErrorCode.APPLICATION_ERROR,
            )
            return finish_refused(locked, error, header=parsed.header)
        ack = build_ack(parsed.header, "AA", text=outcome.note)
        locked.check_transition(S.PROCESSED)
        locked.status = S.PROCESSED
        locked.reason = outcome.note
        locked.patient = outcome.patient
        locked.order = outcome.order
        locked.ack, locked.ack_code = ack, "AA"
        locked.processed_at = timezone.now()
        locked.save(update_fields=["status", "reason", "patient", "order", "ack", "ack_code", "processed_at"])
    return ack


@transaction.atomic
def finish_refused(message: Message, error: HL7Error, *, header: dict[str, str]) -> str:
    ack = build_ack(header, error.ack, text=error.text, error=error)
    status = S.REJECTED if error.ack == "AR" else S.ERROR
    message.check_transition(status)
    updated = Message.objects.filter(pk=message.pk, status=S.RECEIVED).update(
        status=status, reason=error.text, ack=ack, ack_code=error.ack, processed_at=timezone.now()
    )
    if not updated:  # answered meanwhile by a resend on another connection: that answer stands
        return Message.objects.values_list("ack", flat=True).get(pk=message.pk)
    message.status = status
    return ack


def refuse_oversized(data: bytes, *, peer: str, reason: str, size: int) -> bytes:
    """An oversized frame: logged (its head) with the reason, answered AR."""
    message = log_problem(data=data, peer=peer, reason=reason, size=size)
    error = HL7Error(reason, code=ErrorCode.APPLICATION_ERROR, ack="AR")
    ack = build_ack(peek_header(data), "AR", text=reason, error=error)
    Message.objects.filter(pk=message.pk).update(status=S.REJECTED, ack=ack, ack_code="AR")
    return ack.encode("utf-8")


@transaction.atomic
def replay(*, message: Message, actor) -> Message:
    """Run an inbound message again as a new log entry (after the cause of an AE was fixed), or queue a copy
    of an outbound message to its partner again."""
    if message.direction == Direction.OUTBOUND:
        return queue_outbound(
            partner=message.partner,
            message_type=message.message_type,
            patient_id=message.patient_id,
            order_id=message.order_id,
            build=lambda control: replace_control_id(message.raw, control),
            replay_of=message,
        )
    copy = Message.objects.create(
        direction=Direction.INBOUND,
        status=S.RECEIVED,
        sender=message.sender,
        peer=f"replay by {actor.get_username()}"[:100] if actor else "replay",
        control_id=message.control_id,
        message_type=message.message_type,
        version=message.version,
        raw=message.raw,
        replay_of=message,
    )
    transaction.on_commit(lambda: process(Message.objects.get(pk=copy.pk)))
    return copy


def replace_control_id(raw: str, control: str) -> str:
    segments = raw.split("\r")
    fields = segments[0].split("|")
    if len(fields) > 9:
        fields[9] = control
    segments[0] = "|".join(fields)
    return "\r".join(segments)


# ---------------------------------------------------------------------------------------------------------------
# Outbound
# ---------------------------------------------------------------------------------------------------------------


def partners_for(*message_codes: str):
    """Enabled partners subscribed to any of these kinds of outbound message (SIU, ORM, OMI, ORU), each once."""
    wanted = set(message_codes)
    return [p for p in Partner.objects.filter(enabled=True) if wanted & set(p.message_types)]


@transaction.atomic
def queue_outbound(
    *,
    partner: Partner,
    message_type: str,
    patient_id: int | None,
    order_id: int | None,
    build: Callable[[str], str],
    replay_of: Message | None = None,
) -> Message:
    """Put a message for ``partner`` in the outbox (in the caller's transaction) and deliver it on commit."""
    message = Message.objects.create(
        direction=Direction.OUTBOUND,
        status=S.PENDING,
        partner=partner,
        sender=settings.LUMEN_HL7_APPLICATION,
        message_type=message_type,
        version="2.5.1",
        raw="",
        patient_id=patient_id,
        order_id=order_id,
        replay_of=replay_of,
    )
    message.control_id = f"{settings.LUMEN_HL7_CONTROL_PREFIX}{message.pk:012d}"
    message.raw = build(message.control_id)
    message.save(update_fields=["control_id", "raw"])
    schedule_delivery(partner.pk)
    return message


_local = threading.local()
# Set when a delivery was deferred to the sweep: wakes the listener's sweep loop at once.
sweep_wanted = threading.Event()


@contextmanager
def deliveries_deferred(deferred: bool = True) -> Iterator[None]:
    """Inside, a delivery run that would execute eagerly (no broker) is left to the sweep instead: the HL7
    listener wraps message processing in this so an ACK never waits on another partner's connection."""
    _local.deferred = deferred
    try:
        yield
    finally:
        _local.deferred = False


def schedule_delivery(partner_id: int) -> None:
    """Queue a delivery run for the partner once the transaction commits (once per transaction)."""
    from ris.hl7.tasks import deliver_task

    connection = transaction.get_connection()
    queued = getattr(connection, "_lumen_hl7_queued", None)
    if queued is None or not connection.in_atomic_block:
        queued = set()
    if partner_id in queued:
        return
    queued.add(partner_id)
    connection._lumen_hl7_queued = queued

    def run():
        connection._lumen_hl7_queued = set()
        if settings.CELERY_TASK_ALWAYS_EAGER and getattr(_local, "deferred", False):
            sweep_wanted.set()
            return
        deliver_task.delay(partner_id)

    transaction.on_commit(run)


def backoff(attempts: int) -> dt.timedelta:
    """Exponential: base * 2^(attempts-1), capped."""
    seconds = settings.LUMEN_HL7_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)
    return dt.timedelta(seconds=min(seconds, settings.LUMEN_HL7_RETRY_MAX_SECONDS))


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=settings.LUMEN_HL7_TLS_CA or None)
    if settings.LUMEN_HL7_TLS_CERT:
        context.load_cert_chain(settings.LUMEN_HL7_TLS_CERT, settings.LUMEN_HL7_TLS_KEY or None)
    return context


def take_lease(partner_id: int, seconds: int) -> bool:
    from django.db.models import Q

    now = timezone.now()
    return bool(
        Partner.objects.filter(pk=partner_id, enabled=True)
        .filter(Q(delivering_until__isnull=True) | Q(delivering_until__lt=now))
        .update(delivering_until=now + dt.timedelta(seconds=seconds))
    )


def deliver_partner(partner_id: int, *, limit: int | None = None, ack_timeout: float | None = None) -> dict[str, int]:
    """Send the partner's due messages, oldest first, never a patient's later message before an earlier one.

    One sender per partner at a time (a lease on the partner row). A connection failure counts an attempt
    for the message tried, schedules its next attempt with backoff (dead after the retry budget) and ends
    the run: the partner is down, the rest wait for the next run. An AE/AR answer is final: dead at once.
    """
    counts = {"sent": 0, "failed": 0, "dead": 0}
    ack_timeout = ack_timeout or settings.LUMEN_HL7_ACK_TIMEOUT
    lease = int(ack_timeout) + settings.LUMEN_HL7_CONNECT_TIMEOUT + 5
    if not take_lease(partner_id, lease):
        return counts
    try:
        partner = Partner.objects.get(pk=partner_id)
        context = tls_context() if partner.use_tls else None
        while limit is None or sum(counts.values()) < limit:
            message = Message.objects.deliverable(partner).first()
            if message is None:
                break
            take_lease_renew(partner_id, lease)
            try:
                ack = mllp.send(
                    partner.host,
                    partner.port,
                    message.raw.encode("utf-8"),
                    connect_timeout=settings.LUMEN_HL7_CONNECT_TIMEOUT,
                    ack_timeout=ack_timeout,
                    tls=context,
                )
            except mllp.DeliveryError as exc:
                outcome = record_failure(message, str(exc))
                counts[outcome] += 1
                break
            counts[record_answer(message, ack)] += 1
    finally:
        Partner.objects.filter(pk=partner_id).update(delivering_until=None)
    return counts


def take_lease_renew(partner_id: int, seconds: int) -> None:
    Partner.objects.filter(pk=partner_id).update(delivering_until=timezone.now() + dt.timedelta(seconds=seconds))


def record_failure(message: Message, reason: str) -> str:
    attempts = message.attempts + 1
    if attempts >= settings.LUMEN_HL7_MAX_ATTEMPTS:
        message.check_transition(S.DEAD)
        Message.objects.filter(pk=message.pk).update(
            attempts=attempts, status=S.DEAD, reason=f"Gave up after {attempts} attempts: {reason}"
        )
        return "dead"
    Message.objects.filter(pk=message.pk).update(
        attempts=attempts, next_attempt_at=timezone.now() + backoff(attempts), reason=reason
    )
    return "failed"


def record_answer(message: Message, ack: bytes) -> str:
    header_text = ack.decode("utf-8", errors="backslashreplace")
    code = ""
    for segment in header_text.replace("\n", "\r").split("\r"):
        if segment.startswith("MSA|"):
            code = segment.split("|")[1] if len(segment.split("|")) > 1 else ""
            break
    fields = {"attempts": message.attempts + 1, "ack": header_text, "ack_code": code[:2]}
    if code in ("AA", "CA"):
        message.check_transition(S.SENT)
        Message.objects.filter(pk=message.pk).update(
            status=S.SENT, processed_at=timezone.now(), reason="", next_attempt_at=None, **fields
        )
        return "sent"
    message.check_transition(S.DEAD)
    Message.objects.filter(pk=message.pk).update(
        status=S.DEAD,
        reason=f"The partner answered {code or 'without an MSA segment'}: it refused the message.",
        **fields,
    )
    return "dead"


def deliver_due(*, limit_per_partner: int | None = None) -> dict[str, int]:
    """One sweep: every enabled partner with due messages gets a delivery run (the periodic job)."""
    totals = {"sent": 0, "failed": 0, "dead": 0}
    now = timezone.now()
    due = (
        Message.objects.filter(direction=Direction.OUTBOUND, status=S.PENDING, partner__enabled=True)
        .exclude(next_attempt_at__gt=now)
        .values_list("partner_id", flat=True)
        .distinct()
    )
    for partner_id in list(due):
        for key, count in deliver_partner(partner_id, limit=limit_per_partner).items():
            totals[key] += count
    return totals


@transaction.atomic
def resend(*, message: Message, actor) -> Message:
    """Put a dead letter back in the queue with a fresh retry budget (staff, from the dead-letter list)."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    message.check_transition(S.PENDING)
    message.status = S.PENDING
    message.attempts = 0
    message.next_attempt_at = None
    message.reason = f"Resent by {actor.get_username()}" if actor else "Resent"
    message.save(update_fields=["status", "attempts", "next_attempt_at", "reason"])
    schedule_delivery(message.partner_id)
    return message


@transaction.atomic
def save_partner(*, form, actor) -> Partner:
    """Create or change an interface partner from a valid PartnerForm."""
    partner = form.save(commit=False)
    partner.full_clean()
    partner.save()
    return partner


@transaction.atomic
def discard(*, message: Message, actor, reason: str) -> Message:
    """Give up on a dead letter (the partner refuses it for good): the patient's later messages go on."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the message is discarded."})
    message = Message.objects.select_for_update().get(pk=message.pk)
    message.check_transition(S.DISCARDED)
    message.status = S.DISCARDED
    message.reason = f"Discarded by {actor.get_username() if actor else 'staff'}: {reason}"[:2000]
    message.save(update_fields=["status", "reason"])
    schedule_delivery(message.partner_id)
    return message
