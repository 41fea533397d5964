"""Without a Celery broker (the embedded default) the HL7 listener sweeps the outbox itself: a partner that was
down gets its messages when it is back, and outbound messages caused by an inbound one are sent by the sweep,
never holding up that message's ACK."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import transaction

from ris.hl7.choices import MessageStatus
from ris.hl7.models import Message, Partner
from ris.orders import services as order_services
from tests.hl7.conftest import frame, orm, segments, send_raw
from tests.pacs.conftest import free_port
from tests.pacs.test_crash_recovery import BASE_DIR, database_url


@pytest.fixture
def listener_process(transactional_db):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "LUMEN_HL7_SWEEP_SECONDS": "1",
        "LUMEN_HL7_RETRY_BASE_SECONDS": "1",
    }
    env.pop("CELERY_BROKER_URL", None)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "hl7_listener", "--host", "127.0.0.1", "--port", str(port)],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    banner = process.stdout.readline()
    assert "delivering outbound messages" in banner, banner
    yield port
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0


@pytest.fixture
def ehr(partner_receiver, transactional_db):
    return Partner.objects.create(
        name="EHR", host="127.0.0.1", port=partner_receiver.port, application="EPIC", message_types=["ORM"]
    )


def wait_for(condition, seconds=15):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_it_delivers_to_a_partner_once_it_is_back(
    ehr, partner_receiver, patient, make_order, settings, listener_process
):
    settings.LUMEN_HL7_RETRY_BASE_SECONDS = 1
    order = make_order(patient)
    partner_receiver.up.clear()
    with transaction.atomic():
        order_services.change_order_status(order=order, to="scheduled", actor=None)
    message = Message.objects.get(direction="out")
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 1)  # tried at commit: partner down

    partner_receiver.up.set()
    wait_for(lambda: Message.objects.filter(pk=message.pk, status=MessageStatus.SENT).exists())

    [received] = partner_receiver.received
    assert received.split("\r")[0].split("|")[9] == message.control_id


def test_it_acks_an_inbound_status_change_and_sends_the_resulting_orm_from_the_sweep(
    ehr, partner_receiver, patient, make_order, listener_process
):
    order = make_order(patient, placer_order_number="PLC77")
    mrn_pid = {"mrn": patient.mrn, "issuer": patient.issuer}

    ack = send_raw(
        listener_process,
        frame(orm("SC1", order_control="SC", placer="PLC77", filler=order.accession_number, status="SC", **mrn_pid)),
    )

    assert segments(ack)["MSA"][1:3] == ["AA", "SC1"]
    wait_for(lambda: len(partner_receiver.received) == 1)
    orc = next(s for s in partner_receiver.received[0].split("\r") if s.startswith("ORC|")).split("|")
    assert (orc[1], orc[3], orc[5]) == ("SC", f"{order.accession_number}^LUMEN", "SC")
