"""Wire check: scheduling's real services and API, and MPPS from a modality, reach a subscribed partner's MLLP
receiver as SIU^S12/S13/S14/S15/S26 and ORM^O01 status updates with the right fields, in local time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from pynetdicom import AE
from pynetdicom.sop_class import ModalityPerformedProcedureStep

from pacs.dicom import server as dicom_server
from ris.hl7.models import Partner
from scheduling import services
from tests.conftest import login, make_user
from tests.pacs.conftest import free_port
from tests.scheduling.test_mpps import completed, in_progress


@pytest.fixture
def chicago(settings):
    settings.TIME_ZONE = "America/Chicago"


@pytest.fixture
def ehr(chicago, partner_receiver, transactional_db):
    return Partner.objects.create(
        name="EHR",
        host="127.0.0.1",
        port=partner_receiver.port,
        application="EPIC",
        facility="GENHOSP",
        message_types=["SIU", "ORM", "OMI"],
    )


def at(hour: int, minute: int = 0) -> dt.datetime:
    """Tomorrow at a Chicago wall-clock time."""
    day = timezone.localdate() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def hl7_time(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y%m%d%H%M%S%z")


def seg(message: str, name: str) -> list[str]:
    return next(s for s in message.split("\r") if s.startswith(name + "|")).split("|")


def of_type(receiver, code: str) -> list[str]:
    return [m for m in receiver.received if seg(m, "MSH")[8].startswith(code)]


def triggers(receiver) -> list[str]:
    return ["^".join(seg(m, "MSH")[8].split("^")[:2]) for m in receiver.received]


def test_it_sends_siu_s12_s13_s14_s15_s26_from_the_scheduling_api_and_services(
    ehr, partner_receiver, api, front_desk, patient, make_order, ct_resource
):
    radiologist = make_user("perf", "radiologist", npi="1234567893")
    order = make_order(patient, placer_order_number="PLC77")
    login(api, front_desk)
    start = at(9)

    response = api.post(
        "/api/v1/appointments/",
        {"order": order.pk, "resource": ct_resource.pk, "start": start.isoformat(), "minutes": 20},
        format="json",
    )
    assert response.status_code == 201, response.json()
    appointment_id = response.json()["id"]
    # The order's move to scheduled (ORM, ORC-5 SC) is sent before the booking it belongs to.
    assert triggers(partner_receiver) == ["ORM^O01", "SIU^S12"]
    orm = partner_receiver.received[0]
    assert seg(orm, "ORC")[1:6] == ["SC", "PLC77", f"{order.accession_number}^LUMEN", "", "SC"]
    assert seg(orm, "OBR")[18] == order.accession_number

    s12 = partner_receiver.received[1]
    sch = seg(s12, "SCH")
    begins, ends = hl7_time(start), hl7_time(start + dt.timedelta(minutes=20))
    assert begins.endswith("090000-0600")
    assert sch[2] == f"{appointment_id}^LUMEN"
    assert (sch[9], sch[10], sch[11]) == ("20", "min", f"^^M20^{begins}^{ends}")
    assert (sch[25], sch[26], sch[27]) == ("Booked", "PLC77", f"{order.accession_number}^LUMEN")
    assert seg(s12, "TQ1")[6:10] == ["20^min", begins, ends, "R"]
    assert seg(s12, "PID")[3] == f"{patient.mrn}^^^{patient.issuer}^MR"
    assert seg(s12, "AIS")[3:11] == ["CT-HEAD^CT head without contrast^L", begins, "", "", "20", "min", "", "Booked"]
    assert seg(s12, "AIL")[3] == "CT1^^^^^^^^CT Scanner 1"
    assert seg(s12, "AIL")[6] == begins
    assert seg(s12, "AIG")[3:5] == ["CT1^^^AE", "MODALITY"]
    assert not [s for s in s12.split("\r") if s.startswith("AIP|")]

    moved = at(10, 30)
    response = api.post(
        f"/api/v1/appointments/{appointment_id}/reschedule/",
        {"start": moved.isoformat(), "reason": "Patient asked"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    s13 = partner_receiver.received[-1]
    assert triggers(partner_receiver)[-1] == "SIU^S13"
    assert seg(s13, "SCH")[6] == "S13^Patient asked"
    assert seg(s13, "SCH")[11] == f"^^M20^{hl7_time(moved)}^{hl7_time(moved + dt.timedelta(minutes=20))}"
    assert seg(s13, "AIS")[4] == hl7_time(moved)
    assert seg(s13, "NTE")[3] == f"Moved from {begins}"

    appointment = services.Appointment.objects.get(pk=appointment_id)
    services.modify_appointment(actor=front_desk, appointment=appointment, performing_physician=radiologist)
    s14 = partner_receiver.received[-1]
    assert triggers(partner_receiver)[-1] == "SIU^S14"
    aip = seg(s14, "AIP")
    assert aip[3:7] == ["1234567893^Test^Perf", "PERFORMING^Performing physician^L", "", hl7_time(moved)]
    assert (aip[9], aip[10], aip[12]) == ("20", "min", "Booked")

    response = api.post(f"/api/v1/appointments/{appointment_id}/cancel/", {"reason": "Feeling better"}, format="json")
    assert response.status_code == 200, response.json()
    assert triggers(partner_receiver)[-2:] == ["ORM^O01", "SIU^S15"]
    s15 = of_type(partner_receiver, "SIU")[-1]
    assert (seg(s15, "SCH")[6], seg(s15, "SCH")[25]) == ("S15^Feeling better", "Cancelled")
    assert seg(s15, "AIS")[10] == "Cancelled"
    assert seg(of_type(partner_receiver, "ORM")[-1], "ORC")[5] == "IP"  # back to waiting for a booking

    # Missed yesterday (recorded afterwards): a no-show is possible only once the appointment's time has passed.
    rebooked = services.book_appointment(
        actor=front_desk, order=order, resource=ct_resource, start=at(14) - dt.timedelta(days=2), allow_past=True
    )
    response = api.post(f"/api/v1/appointments/{rebooked.pk}/no-show/", {"reason": "Did not come"}, format="json")
    assert response.status_code == 200, response.json()
    s26 = of_type(partner_receiver, "SIU")[-1]
    assert seg(s26, "MSH")[8] == "SIU^S26^SIU_S12"
    assert (seg(s26, "SCH")[2], seg(s26, "SCH")[25]) == (f"{rebooked.pk}^LUMEN", "Noshow")
    assert seg(s26, "SCH")[9] == "15"  # the procedure's own duration
    assert [t for t in triggers(partner_receiver) if t.startswith("SIU")] == [
        "SIU^S12",
        "SIU^S13",
        "SIU^S14",
        "SIU^S15",
        "SIU^S12",
        "SIU^S26",
    ]


def test_it_sends_one_status_message_to_a_partner_subscribed_to_both_orm_and_omi(
    ehr, partner_receiver, front_desk, patient, make_order, ct_resource
):
    order = make_order(patient)
    services.book_appointment(actor=front_desk, order=order, resource=ct_resource, start=at(9))
    assert triggers(partner_receiver) == ["ORM^O01", "SIU^S12"]


@pytest.fixture
def dicom_listener(transactional_db, storage_root):
    port = free_port()
    running = dicom_server.start("127.0.0.1", port, "LUMEN", block=False)
    yield port
    running.shutdown()


def test_it_sends_orm_status_updates_when_the_modality_reports_mpps(
    ehr, partner_receiver, dicom_listener, front_desk, patient, make_order, ct_resource
):
    order = make_order(patient, placer_order_number="PLC88")
    services.book_appointment(actor=front_desk, order=order, resource=ct_resource, start=at(9))
    partner_receiver.received.clear()
    ae = AE("CT1")
    ae.add_requested_context(ModalityPerformedProcedureStep)
    assoc = ae.associate("127.0.0.1", dicom_listener, ae_title="LUMEN")
    assert assoc.is_established
    try:
        uid = generate_uid()
        status, _ = assoc.send_n_create(in_progress(order), ModalityPerformedProcedureStep, uid)
        assert status.Status == 0x0000
        # scheduled -> arrived -> in progress: both are "in process" (table 0038 IP)
        assert [seg(m, "ORC")[1] + "/" + seg(m, "ORC")[5] for m in partner_receiver.received] == ["SC/IP", "SC/IP"]
        status, _ = assoc.send_n_set(completed(generate_uid(), 2), ModalityPerformedProcedureStep, uid)
        assert status.Status == 0x0000
    finally:
        assoc.release()
    done = partner_receiver.received[-1]
    assert len(partner_receiver.received) == 3
    assert seg(done, "MSH")[8] == "ORM^O01^ORM_O01"
    assert seg(done, "ORC")[1:6] == ["SC", "PLC88", f"{order.accession_number}^LUMEN", "", "CM"]
    assert seg(done, "OBR")[3] == f"{order.accession_number}^LUMEN"
    assert seg(done, "OBR")[18] == order.accession_number
    order.refresh_from_db()
    assert seg(done, "ORC")[9] == hl7_time(order.status_changed_at)
    assert seg(done, "ORC")[9].endswith("-0600")


def test_it_sends_order_discontinued_when_the_modality_discontinues(
    ehr, partner_receiver, dicom_listener, front_desk, patient, make_order, ct_resource
):
    order = make_order(patient, placer_order_number="PLC89")
    services.book_appointment(actor=front_desk, order=order, resource=ct_resource, start=at(9))
    ae = AE("CT1")
    ae.add_requested_context(ModalityPerformedProcedureStep)
    assoc = ae.associate("127.0.0.1", dicom_listener, ae_title="LUMEN")
    assert assoc.is_established
    try:
        uid = generate_uid()
        assert assoc.send_n_create(in_progress(order), ModalityPerformedProcedureStep, uid)[0].Status == 0x0000
        stopped = completed(generate_uid(), 1, status="DISCONTINUED")
        reason = Dataset()
        reason.CodeValue, reason.CodingSchemeDesignator, reason.CodeMeaning = "110514", "DCM", "Equipment failure"
        stopped.PerformedProcedureStepDiscontinuationReasonCodeSequence = [reason]
        assert assoc.send_n_set(stopped, ModalityPerformedProcedureStep, uid)[0].Status == 0x0000
    finally:
        assoc.release()
    orc = seg(partner_receiver.received[-1], "ORC")
    assert (orc[1], orc[2], orc[5], orc[16]) == ("OD", "PLC89", "DC", "Equipment failure")
