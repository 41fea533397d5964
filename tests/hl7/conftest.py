"""HL7 test fixtures: messages written from the HL7 v2.5.1 structures (ADT_A01, ADT_A39, ORM_O01, OMI_O23),
with the Z-segments an EHR adds; a real Lumen MLLP listener on a free port; ``mllp_send`` as the EHR; a small
MLLP receiver as the partner side."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ris.hl7 import mllp, server
from tests.pacs.conftest import free_port
from tests.scheduling.conftest import ct_modality, ct_resource  # noqa: F401 - schedules for the SIU wire tests

MLLP_SEND = Path(sys.executable).parent / "mllp_send"
TS = "20261204093000"


def msh(kind: str, control: str, *, version: str = "2.5.1", receiver: str = "LUMEN") -> str:
    structure = {"ADT^A40": "ADT_A39", "ORM^O01": "ORM_O01", "OMI^O23": "OMI_O23"}.get(kind, "ADT_A01")
    return (
        f"MSH|^~\\&|EPICADT|GENHOSP|{receiver}|RADIOLOGY|{TS}||{kind}^{structure}|{control}|P|{version}"
        "|||AL|NE||UNICODE UTF-8"
    )


def pid(mrn: str = "4455667", *, family: str = "Müller", given: str = "Zoë", birth: str = "19750423", issuer="GENHOSP"):
    return (
        f"PID|1||{mrn}^^^{issuer}^MR~999123456^^^SSA^SS||{family}^{given}^Anna^^Dr.||{birth}|F|||"
        "Hauptstraße 5^Apt 2^Springfield^IL^62701^USA||^PRN^PH^^1^217^5551234~^NET^Internet^zoe@example.org"
        "||de^German^ISO639|M^Married^HL70002||V0001^^^GENHOSP^AN"
    )


def adt(trigger: str = "A04", control: str = "ADT0001", **pid_fields) -> str:
    return "\r".join(
        [
            msh(f"ADT^{trigger}", control),
            f"EVN|{trigger}|{TS}|||JSMITH^Smith^John^^^^^^GENHOSP",
            pid(**pid_fields),
            "PD1|||General Hospital^^1001|1245319599^House^Gregory^^^Dr.^^^NPI",
            "NK1|1|Müller^Hans|SPO^Spouse^HL70063|Hauptstraße 5^^Springfield^IL^62701^USA|^PRN^PH^^1^217^5551235",
            "PV1|1|O|RAD^^^GENHOSP^^^^^Radiology||||1245319599^House^Gregory^^^Dr.^^^NPI|||||||||||V0001^^^GENHOSP^VN",
            "IN1|1|BCBS01^Blue Cross PPO|60054^^^NAIC|Blue Cross Blue Shield of Illinois|||G-77812||||||||1|Müller^Zoë",
            "ZPI|1|VIP^N|PREFERRED_CONTACT^SMS|Portal enrolled^Y",
        ]
    )


def merge(control: str = "A40001", *, survivor: str = "4455667", old: str = "7788990") -> str:
    return "\r".join(
        [
            msh("ADT^A40", control),
            f"EVN|A40|{TS}",
            pid(survivor),
            f"MRG|{old}^^^GENHOSP^MR||V0002^^^GENHOSP^AN",
            "ZMG|1|Duplicate registration at ED",
        ]
    )


def orm(
    control: str = "ORM0001",
    *,
    order_control: str = "NW",
    placer: str = "PLC1001",
    filler: str = "",
    code: str = "CT-HEAD",
    status: str = "",
    mrn: str = "4455667",
    issuer: str = "GENHOSP",
) -> str:
    reason = "^Patient declined the exam" if order_control == "CA" else ""
    return "\r".join(
        [
            msh("ORM^O01", control),
            pid(mrn, issuer=issuer),
            "PV1|1|O|RAD^^^GENHOSP||||1245319599^House^Gregory^^^Dr.^^^NPI",
            f"ORC|{order_control}|{placer}^EPICORD|{filler}||{status}||^^^^^S||{TS}|JSMITH^Smith^John||"
            f"1245319599^House^Gregory^^^Dr.^^^NPI||^WPN^PH^^1^217^5550000||{reason}",
            f"OBR|1|{placer}^EPICORD|{filler}|{code}^CT head without contrast^L|||{TS}||||||||"
            f"|1245319599^House^Gregory^^^Dr.^^^NPI||||||||CT|||^^^^^S||||^Sudden severe headache",
            "DG1|1||R51.9^Headache, unspecified^I10||20261204|W",
            "NTE|1|P|Patient is claustrophobic.",
            "ZDS|1.2.840.113619.2.55.3^EPIC^Application^DICOM",
            "ZOR|1|Auth^PA-000123|Transport^Wheelchair",
        ]
    )


def omi(control: str = "OMI0001", *, placer: str = "PLC2001", code: str = "XR-CHEST") -> str:
    return "\r".join(
        [
            msh("OMI^O23", control),
            pid(),
            "PV1|1|O|RAD^^^GENHOSP",
            f"ORC|NW|{placer}^EPICORD|||||||{TS}|||1245319599^House^Gregory^^^Dr.^^^NPI",
            f"TQ1|1||||||{TS}||A",
            f"OBR|1|{placer}^EPICORD||{code}^X-ray chest 2 views^L|||{TS}||||||||||||||||||||||||^Cough for 3 weeks",
            "DG1|1||R05.9^Cough, unspecified^I10",
            "ZOI|1|Pregnancy^N",
        ]
    )


def frame(message: str) -> bytes:
    return mllp.wrap(message.encode("utf-8"))


def send_raw(port: int, payload: bytes, *, read: bool = True, timeout: float = 10) -> bytes:
    """Send bytes as they are and read one framed answer (b"" when the server closed without one)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        if not read:
            return b""
        return read_frame(sock)


def read_frame(sock) -> bytes:
    data = b""
    while not data.endswith(mllp.EB + mllp.CR):
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    return data.strip(b"\x0b\x1c\r")


def segments(ack: bytes) -> dict[str, list[str]]:
    """The ACK's segments by name, each split into fields (index = field number, as in MSA-1 = [1])."""
    result = {}
    for seg in ack.decode("utf-8").split("\r"):
        if seg:
            result[seg[:3]] = seg.split("|")
    return result


def mllp_send(port: int, messages: list[str], tmp_path: Path) -> list[bytes]:
    """The EHR side: the hl7 package's ``mllp_send`` reading a file of MLLP frames; returns the ACKs."""
    path = tmp_path / f"batch-{os.getpid()}-{threading.get_ident()}-{len(messages)}.hl7"
    path.write_bytes(b"".join(frame(m) for m in messages))
    result = subprocess.run(
        [str(MLLP_SEND), "--port", str(port), "--file", str(path), "127.0.0.1"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    acks = [line.strip(b"\x0b\x1c") for line in result.stdout.split(b"\x1c\r\n") if line.strip()]
    return acks


@pytest.fixture
def hl7_listener(transactional_db, settings):
    settings.LUMEN_HL7_TIMEOUT = 2
    port = free_port()
    running = server.start("127.0.0.1", port, timeout=2)
    yield port
    running.stop()


class PartnerReceiver:
    """A partner's MLLP receiver: ACKs AA (or drops connections while ``down``) and keeps what it got."""

    def __init__(self):
        self.port = free_port()
        self.received: list[str] = []
        self.up = threading.Event()
        self.up.set()
        self._stop = threading.Event()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", self.port))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with conn:
                if not self.up.is_set():
                    continue  # accepted and closed at once: like a partner application that is not running
                conn.settimeout(5)
                for event in mllp.frames(conn, max_bytes=10**7, stop=self._stop, wait_idle=False):
                    if event.kind != mllp.MESSAGE:
                        break
                    text = event.data.decode("utf-8")
                    self.received.append(text)
                    control = text.split("\r")[0].split("|")[9]
                    conn.sendall(
                        frame(f"MSH|^~\\&|EHR|GENHOSP|LUMEN|RADIOLOGY|{TS}||ACK|A{control}|P|2.5.1\rMSA|AA|{control}")
                    )

    def close(self):
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


@pytest.fixture
def partner_receiver():
    receiver = PartnerReceiver()
    yield receiver
    receiver.close()
