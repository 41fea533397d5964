"""Many connections at once are each answered in order; the same control ID racing on two connections is
processed once; MLLP over TLS works when a certificate is configured."""

import socket
import ssl
import subprocess
import threading

from ris.hl7 import server
from ris.hl7.models import Message
from ris.orders.models import Order
from ris.patients.models import Patient
from tests.hl7.conftest import adt, frame, orm, read_frame, segments, send_raw
from tests.pacs.conftest import free_port


def test_it_serves_eight_connections_at_once(hl7_listener, ct_head):
    acks: dict[int, list[str]] = {}

    def sender(n: int) -> None:
        with socket.create_connection(("127.0.0.1", hl7_listener), timeout=30) as sock:
            got = []
            for i in range(3):
                sock.sendall(frame(adt("A04", f"C{n}-{i}", mrn=f"P{n}-{i}")))
                got.append(segments(read_frame(sock))["MSA"][2])
            acks[n] = got

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert acks == {n: [f"C{n}-{i}" for i in range(3)] for n in range(8)}
    assert Patient.objects.count() == 24


def test_it_processes_a_control_id_racing_on_two_connections_once(hl7_listener, ct_head):
    answers = []
    barrier = threading.Barrier(2)

    def sender():
        barrier.wait()
        answers.append(segments(send_raw(hl7_listener, frame(orm("RACE1"))))["MSA"][1:3])

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert answers == [["AA", "RACE1"], ["AA", "RACE1"]]
    assert Order.objects.count() == 1
    assert sorted(Message.objects.values_list("status", flat=True)) == ["duplicate", "processed"]


def test_it_speaks_mllp_over_tls(transactional_db, settings, tmp_path):
    cert, key = tmp_path / "hl7.crt", tmp_path / "hl7.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    settings.LUMEN_HL7_TLS_CERT, settings.LUMEN_HL7_TLS_KEY = str(cert), str(key)
    port = free_port()
    running = server.start("127.0.0.1", port, timeout=2)
    try:
        context = ssl.create_default_context(cafile=str(cert))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
                sock.sendall(frame(adt("A04", "TLS1")))
                ack = segments(read_frame(sock))
        try:
            plain = send_raw(port, frame(adt("A04", "PLAIN1")))
        except ConnectionResetError:
            plain = b""
    finally:
        running.stop()

    assert ack["MSA"][1:3] == ["AA", "TLS1"]
    assert plain == b""  # a plain-text sender gets no answer, only a closed connection
    assert list(Message.objects.values_list("control_id", flat=True)) == ["TLS1"]
