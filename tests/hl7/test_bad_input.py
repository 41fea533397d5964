"""Bad input from the issue, each over a real socket: the right NAK (or a closed connection after the
timeout), the message kept in the log with the reason, nothing half-written, and the listener still serving."""

import socket
import time

import pytest

from ris.hl7.choices import MessageStatus
from ris.hl7.models import Message
from ris.orders.models import Order
from ris.patients.models import Patient
from tests.hl7.conftest import adt, frame, orm, read_frame, segments, send_raw


def still_serves(port: int, control: str = "OK0001") -> None:
    ack = send_raw(port, frame(adt("A04", control, mrn=f"M{control}")))
    assert segments(ack)["MSA"][1:3] == ["AA", control]


def only_logged() -> Message:
    [message] = Message.objects.exclude(status=MessageStatus.PROCESSED)
    return message


CASES = [
    # (name, bytes sent, ACK code, ERR-3 code, reason in the log, logged status)
    (
        "no MSH",
        frame("PID|1||123^^^GENHOSP^MR||Doe^John||19700101|M"),
        "AR",
        "100",
        "The message does not start with an MSH segment.",
        MessageStatus.REJECTED,
    ),
    (
        "wrong field separator",
        frame(adt().replace("|", "#")),
        "AR",
        "102",
        "MSH-1/MSH-2 must be the standard delimiters |^~\\& (HL7 v2.5.1 section 2.5.4).",
        MessageStatus.REJECTED,
    ),
    (
        "unknown message type",
        frame(adt().replace("ADT^A04^ADT_A01", "MFN^M02^MFN_M02")),
        "AR",
        "200",
        "Message type MFN^M02 is not supported.",
        MessageStatus.REJECTED,
    ),
    (
        "unsupported ADT event",
        frame(adt().replace("ADT^A04^ADT_A01", "ADT^A28^ADT_A05")),
        "AR",
        "201",
        "Event ADT^A28 is not supported.",
        MessageStatus.REJECTED,
    ),
    (
        "wrong receiving application",
        frame(adt().replace("|LUMEN|RADIOLOGY|", "|PACSONE|RADIOLOGY|")),
        "AR",
        "200",
        "MSH-5 receiving application 'PACSONE' is not this system (LUMEN).",
        MessageStatus.REJECTED,
    ),
    (
        "missing PID-3",
        frame(adt().replace("PID|1||4455667^^^GENHOSP^MR~999123456^^^SSA^SS|", "PID|1|||")),
        "AE",
        "101",
        "PID-3 patient identifier is missing.",
        MessageStatus.ERROR,
    ),
    (
        "PID-3 without assigning authority",
        frame(adt(issuer="")),
        "AE",
        "101",
        "PID-3 identifier 4455667 has no assigning authority (CX.4).",
        MessageStatus.ERROR,
    ),
    (
        "invalid date",
        frame(adt(birth="19751345")),
        "AE",
        "102",
        "PID-7 '19751345' is not a valid date (YYYYMMDD).",
        MessageStatus.ERROR,
    ),
    (
        "non-UTF-8 byte",
        frame(adt()).replace("Hauptstraße".encode(), "Hauptstra\xdfe".encode("latin-1")),
        "AE",
        "102",
        "Byte 0xDF at offset",
        MessageStatus.ERROR,
    ),
]


@pytest.mark.parametrize(
    ("payload", "code", "err", "reason", "status"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_it_answers_bad_content_with_the_right_nak_and_keeps_it(hl7_listener, payload, code, err, reason, status):
    ack = segments(send_raw(hl7_listener, payload))

    assert ack["MSA"][1] == code
    assert ack["ERR"][3].split("^")[0] == err
    message = only_logged()
    assert message.status == status
    assert message.reason.startswith(reason)
    assert message.ack_code == code
    assert Patient.objects.count() == 0
    still_serves(hl7_listener)


def test_it_refuses_a_missing_orc2_and_an_unknown_procedure_writing_nothing(hl7_listener, ct_head):
    no_placer = segments(send_raw(hl7_listener, frame(orm("O1", placer=""))))
    unknown = segments(send_raw(hl7_listener, frame(orm("O2", code="MR-KNEE"))))

    assert (no_placer["MSA"][1], no_placer["ERR"][2], no_placer["ERR"][3]) == (
        "AE",
        "ORC^1^2",
        "101^Required field missing^HL70357",
    )
    assert unknown["MSA"][1:3] == ["AE", "O2"]
    assert unknown["ERR"][8] == "OBR-4 procedure code 'MR-KNEE' is not in Lumen's procedure catalog."
    assert Patient.objects.count() == 0  # the ORM's PID would have registered the patient: rolled back
    assert Order.objects.count() == 0
    assert sorted(Message.objects.values_list("control_id", "status")) == [("O1", "error"), ("O2", "error")]


def test_it_answers_an_oversized_message_ar_and_keeps_its_head(hl7_listener, settings):
    settings.LUMEN_HL7_MAX_MESSAGE_BYTES = 4096
    big = adt("A04", "BIG1") + "\rNTE|1||" + "x" * 10000

    ack = segments(send_raw(hl7_listener, frame(big)))

    assert ack["MSA"][1:3] == ["AR", "BIG1"]
    message = only_logged()
    assert message.status == MessageStatus.REJECTED
    assert message.reason == "The message is longer than 4096 bytes. (10848 bytes; the first 4096 are kept)".replace(
        "10848", str(len(big.encode()))
    )
    assert len(message.raw.encode()) == 4096
    still_serves(hl7_listener)


def test_it_logs_bytes_outside_a_frame_and_processes_the_frame_after_them(hl7_listener):
    ack = segments(send_raw(hl7_listener, b"GET / HTTP/1.1\r\n\r\n" + frame(adt("A04", "AFTERJUNK"))))

    assert ack["MSA"][1:3] == ["AA", "AFTERJUNK"]
    junk = only_logged()
    assert junk.status == MessageStatus.BROKEN
    assert junk.raw == "GET / HTTP/1.1\r\n\r\n"
    assert junk.reason.startswith("Bytes outside an MLLP frame")


def test_it_logs_a_truncated_frame_without_processing_it(hl7_listener):
    send_raw(hl7_listener, frame(adt("A04", "CUT1"))[:-60], read=False)

    deadline = time.monotonic() + 5
    while not Message.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    message = only_logged()
    assert (message.status, message.control_id) == (MessageStatus.BROKEN, "CUT1")
    assert message.reason.startswith("The frame was cut short")
    assert Patient.objects.count() == 0
    still_serves(hl7_listener)


def test_it_closes_a_connection_that_stalls_mid_frame_and_serves_others_meanwhile(hl7_listener):
    with socket.create_connection(("127.0.0.1", hl7_listener)) as stalled:
        stalled.sendall(frame(adt("A04", "STALL1"))[:100])
        still_serves(hl7_listener, "DURINGSTALL")
        stalled.settimeout(10)
        started = time.monotonic()
        assert read_frame(stalled) == b""  # closed by the listener, no ACK
        assert time.monotonic() - started < 5

    message = only_logged()
    assert (message.status, message.control_id) == (MessageStatus.BROKEN, "STALL1")
    assert message.reason == "The sender stalled mid-frame for 2 s; connection closed."
