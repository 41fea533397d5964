"""The modality simulator queries the worklist and performs the first step over MPPS, against a real listener."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from pacs.dicom import server
from ris.orders.models import Order
from scheduling import services
from tests.pacs.conftest import free_port


@pytest.fixture
def listener(transactional_db, storage_root):
    port = free_port()
    running = server.start("127.0.0.1", port, "LUMEN", block=False)
    yield port
    running.shutdown()


def test_the_simulator_completes_todays_first_exam(listener, make_order, patient, ct_resource, front_desk):
    now = timezone.localtime()
    start = now.replace(hour=7, minute=0, second=0, microsecond=0)
    appointment = services.book_appointment(
        actor=front_desk, order=make_order(patient), resource=ct_resource, start=start, allow_past=True
    )
    out = StringIO()
    call_command("simulate_modality", "--ae-title", "CT1", "--host", "127.0.0.1", "--port", str(listener), "--called",
                 "LUMEN", stdout=out)  # fmt: skip
    accession = appointment.order.accession_number
    assert out.getvalue().splitlines() == [
        "1 steps on today's worklist for CT1.",
        f"MPPS IN PROGRESS for {accession}: status 0x0000",
        f"MPPS COMPLETED for {accession}: status 0x0000",
    ]
    assert Order.objects.get(pk=appointment.order_id).status == "completed"
