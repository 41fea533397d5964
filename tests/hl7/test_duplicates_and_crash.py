"""The same control ID from the same sender twice is processed once and acknowledged again; a listener killed
between receipt and ACK leaves nothing half-done, and the sender's resend is processed once."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from ris.hl7 import services
from ris.hl7.choices import MessageStatus
from ris.hl7.models import Message
from ris.orders.models import Order
from tests.hl7.conftest import frame, orm, read_frame, segments, send_raw
from tests.pacs.conftest import free_port
from tests.pacs.test_crash_recovery import BASE_DIR, database_url


def test_it_processes_a_resent_control_id_once_and_repeats_the_ack(hl7_listener, ct_head):
    first = send_raw(hl7_listener, frame(orm("DUP1")))
    again = send_raw(hl7_listener, frame(orm("DUP1")))

    assert segments(first)["MSA"][1:3] == ["AA", "DUP1"]
    assert again == first
    assert Order.objects.count() == 1
    original, duplicate = Message.objects.order_by("id")
    assert (original.status, duplicate.status, duplicate.duplicate_of) == (
        MessageStatus.PROCESSED,
        MessageStatus.DUPLICATE,
        original,
    )


def test_it_processes_a_message_logged_before_a_crash_when_it_is_resent(hl7_listener, ct_head, monkeypatch):
    def crash(message, data=None):
        raise ConnectionAbortedError("listener died after logging")  # the connection ends, no ACK

    with monkeypatch.context() as patched:
        patched.setattr(services, "process", crash)
        assert send_raw(hl7_listener, frame(orm("CRASH1"))) == b""
    assert Message.objects.get().status == MessageStatus.RECEIVED

    ack = send_raw(hl7_listener, frame(orm("CRASH1")))

    assert segments(ack)["MSA"][1:3] == ["AA", "CRASH1"]
    assert Order.objects.count() == 1
    original, duplicate = Message.objects.order_by("id")
    assert (original.status, duplicate.status) == (MessageStatus.PROCESSED, MessageStatus.DUPLICATE)


def start_listener(port: int, *options: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url()}
    command = ["manage.py", "hl7_listener", "--host", "127.0.0.1", "--port", str(port), "--sweep", "off", *options]
    process = subprocess.Popen(
        [sys.executable, *command],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen = []
    for line in process.stdout:
        seen.append(line)
        if "SIGTERM stops it" in line:
            return process
    process.kill()
    raise AssertionError("".join(seen))


def test_it_processes_the_resend_once_after_the_listener_is_killed_before_the_ack(transactional_db, ct_head):
    port = free_port()
    listener = start_listener(port)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(frame(orm("KILL1")))
            # The moment its effects are committed, kill -9 the listener: the sender never reads an ACK.
            deadline = time.monotonic() + 20
            while not Message.objects.filter(control_id="KILL1", status=MessageStatus.PROCESSED).exists():
                assert time.monotonic() < deadline
                time.sleep(0.005)
            listener.send_signal(signal.SIGKILL)
            listener.wait(10)
        assert Order.objects.count() == 1

        listener = start_listener(port)
        ack = send_raw(port, frame(orm("KILL1")))

        assert segments(ack)["MSA"][1:3] == ["AA", "KILL1"]
        assert Order.objects.count() == 1
        assert list(Message.objects.order_by("id").values_list("status", flat=True)) == [
            MessageStatus.PROCESSED,
            MessageStatus.DUPLICATE,
        ]
    finally:
        listener.send_signal(signal.SIGTERM)
        listener.wait(20)


def test_it_stops_on_sigterm_with_a_connection_open(transactional_db):
    port = free_port()
    listener = start_listener(port)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as idle:
        idle.sendall(frame(orm("IDLE1", code="NONE")))
        assert segments(read_frame(idle))["MSA"][1] == "AE"
        started = time.monotonic()
        listener.send_signal(signal.SIGTERM)

        assert listener.wait(15) == 0
        assert time.monotonic() - started < 5
        assert "HL7 listener stopped." in listener.stdout.read()


def test_it_serves_from_several_processes_on_one_port_and_stops_them_all(transactional_db, ct_head):
    port = free_port()
    listener = start_listener(port, "--processes", "3")
    try:
        for n in range(6):
            ack = send_raw(port, frame(orm(f"MP{n}", placer=f"PL{n}")))
            assert segments(ack)["MSA"][1:3] == ["AA", f"MP{n}"]
    finally:
        listener.send_signal(signal.SIGTERM)
        assert listener.wait(20) == 0
    assert Order.objects.count() == 6
    with pytest.raises(ConnectionRefusedError):  # every process has let go of the port
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
