"""One exam through the whole department over real interfaces (docs/architecture.md, "Data flow of one exam"):
the EHR's ADT^A04 and ORM^O01 over MLLP, booking in the UI with SIU^S12 to the partner, the modality's worklist
query (DCMTK findscu), MPPS and C-STORE (pynetdicom), the charge on completion, the report signed in the UI with
ORU^R01 to the partner, the referrer's portal, the claim exported as 837P, and the access log of it all."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.urls import reverse
from django.utils import timezone
from pydicom import dcmread
from pydicom.uid import CTImageStorage, generate_uid
from pynetdicom import AE
from pynetdicom.sop_class import ModalityPerformedProcedureStep

from billing.models import Charge, Claim, ExportBatch
from pacs.dicom import server as dicom_server
from pacs.models import Study
from reporting.models import Report
from ris.audit.models import AccessLog
from ris.hl7 import server as hl7_server
from ris.hl7.models import Partner
from ris.orders.models import Order
from ris.patients.models import Patient
from tests.billing.conftest import acme, pyx12_errors  # noqa: F401  (acme is a fixture)
from tests.conftest import PASSWORD
from tests.hl7.conftest import PartnerReceiver, adt, frame, orm, segments, send_raw
from tests.pacs.conftest import ct_dataset, dcmtk, free_port
from tests.scheduling.conftest import ct_modality, ct_resource  # noqa: F401  (fixtures)
from tests.scheduling.test_mpps import completed, in_progress

IMPRESSION = "Acute left frontal subdural haematoma."
# Per billing mode: the charges once the exam is complete (component, CPT modifiers, Acme's price) and once the
# report is signed (component, who renders it, the NPI). Either way the claim totals Acme's global fee, 180.
CHARGES = {
    "global": {
        "completed": [("global", [], "180.00")],
        "signed": [("global", "rita", "1234567893")],
    },
    "split": {
        "completed": [("technical", ["TC"], "120.00")],
        "signed": [("technical", None, ""), ("professional", "rita", "1234567893")],
    },
}


@pytest.fixture
def hl7_port(transactional_db, settings):
    settings.LUMEN_HL7_TIMEOUT = 2
    port = free_port()
    running = hl7_server.start("127.0.0.1", port, timeout=2)
    yield port
    running.stop()


@pytest.fixture
def dicom_port(transactional_db, storage_root):
    port = free_port()
    running = dicom_server.start("127.0.0.1", port, "LUMEN", block=False)
    yield port
    running.shutdown()


@pytest.fixture
def partner():
    receiver = PartnerReceiver()
    yield receiver
    receiver.close()


def wait_for(messages: list[str], count: int, timeout: float = 10) -> list[str]:
    """The partner's messages once it has ``count`` of them (delivery runs on commit; give it a moment)."""
    deadline = time.monotonic() + timeout
    while len(messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return list(messages)


def fields(message: str, name: str) -> list[str]:
    return next(s for s in message.split("\r") if s.startswith(name + "|")).split("|")


def worklist(port: int, tmp_path) -> list:
    out = tmp_path / "worklist"
    out.mkdir()
    keys = ["AccessionNumber", "PatientID", "PatientName", "StudyInstanceUID", "RequestedProcedureID"]
    step = ["ScheduledStationAETitle=CT1", "ScheduledProcedureStepStartDate", "ScheduledProcedureStepStartTime"]
    args = [arg for key in keys for arg in ("-k", key)]
    args += [arg for key in step for arg in ("-k", f"ScheduledProcedureStepSequence[0].{key}")]
    result = dcmtk(
        "findscu", "-W", "-aet", "CT1", "-aec", "LUMEN", "-X", "-od", str(out), *args, "127.0.0.1", str(port)
    )
    assert result.returncode == 0, result.stderr
    return [dcmread(p) for p in sorted(out.iterdir())]


def perform_exam(port: int, order: Order, worklist_item) -> str:
    """The CT's side on one association: MPPS N-CREATE, two images with the worklist's Study Instance UID and
    accession number, N-SET COMPLETED (every status checked). Returns the order's status after the N-CREATE."""
    ae = AE("CT1")
    ae.add_requested_context(ModalityPerformedProcedureStep)
    ae.add_requested_context(CTImageStorage)
    assoc = ae.associate("127.0.0.1", port, ae_title="LUMEN")
    assert assoc.is_established
    try:
        mpps_uid = generate_uid()
        status, _ = assoc.send_n_create(in_progress(order), ModalityPerformedProcedureStep, mpps_uid)
        assert status.Status == 0x0000
        after_create = Order.objects.get(pk=order.pk).status
        series_uid = generate_uid()
        for number in (1, 2):
            ds = ct_dataset(
                study_uid=worklist_item.StudyInstanceUID,
                series_uid=series_uid,
                number=number,
                patient_id=worklist_item.PatientID,
                patient_name="Muller^Zoe",
                accession=worklist_item.AccessionNumber,
            )
            assert assoc.send_c_store(ds).Status == 0x0000
        status, _ = assoc.send_n_set(completed(series_uid, 2), ModalityPerformedProcedureStep, mpps_uid)
        assert status.Status == 0x0000
    finally:
        assoc.release()
    return after_create


def charges_of(order: Order) -> list[Charge]:
    return list(Charge.objects.filter(order=order).select_related("rendering_provider").order_by("id"))


@pytest.mark.parametrize("billing", ["global", "split"])
def test_it_walks_one_exam_from_the_ehr_order_to_the_exported_claim(
    billing,
    settings,
    hl7_port,
    dicom_port,
    partner,
    client,
    ct_head,
    ct_resource,  # noqa: F811
    acme,  # noqa: F811
    front_desk,
    radiologist,
    billing_clerk,
    referring_doctor,
    other_doctor,
    tmp_path,
):
    settings.LUMEN_BILLING_SPLIT = billing
    expected = CHARGES[billing]

    # 1. The EHR registers the patient and orders the exam over MLLP.
    acks = [send_raw(hl7_port, frame(message)) for message in (adt("A04", "ADT0001"), orm("ORM0001"))]
    assert [segments(a)["MSA"][1:3] for a in acks] == [["AA", "ADT0001"], ["AA", "ORM0001"]]
    patient = Patient.objects.get(issuer="GENHOSP", mrn="4455667")
    order = Order.objects.get(placer_order_number="PLC1001")
    assert (order.patient, order.procedure, order.status, order.referring_physician) == (
        patient,
        ct_head,
        "ordered",
        referring_doctor,
    )

    # 2. The partner subscribes; the front desk adds the insurance and books the exam in the UI.
    Partner.objects.create(
        name="EHR",
        host="127.0.0.1",
        port=partner.port,
        application="EPIC",
        facility="GENHOSP",
        message_types=["SIU", "ORU"],
    )
    client.force_login(front_desk)
    covered = client.post(
        f"/api/v1/patients/{patient.pk}/coverages/",
        {"payer_name": "Acme Health", "plan_name": "PPO", "member_id": "ACM123456"},
    )
    assert covered.status_code == 201, covered.content
    order_page = client.get(reverse("orders:detail", args=[order.pk]))
    assert f'href="{reverse("scheduling:slots", args=[order.pk])}">Book</a>' in order_page.content.decode()
    day = timezone.localdate() + dt.timedelta(days=1)
    booked = client.post(
        reverse("scheduling:book"), {"order": order.pk, "resource": ct_resource.pk, "start": f"{day:%Y-%m-%d}T09:00"}
    )
    appointment = order.appointments.get()
    assert (booked.status_code, booked["Location"]) == (302, appointment.get_absolute_url())
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
    assert (appointment.start, appointment.resource, Order.objects.get(pk=order.pk).status) == (
        start,
        ct_resource,
        "scheduled",
    )
    [siu] = wait_for(partner.received, 1)
    stamp = timezone.localtime(start).strftime("%Y%m%d%H%M%S%z")
    assert fields(siu, "MSH")[8] == "SIU^S12^SIU_S12"
    assert (fields(siu, "SCH")[25], fields(siu, "SCH")[27]) == ("Booked", f"{order.accession_number}^LUMEN")
    assert fields(siu, "PID")[3] == "4455667^^^GENHOSP^MR"
    assert fields(siu, "AIL")[3:7] == ["CT1^^^^^^^^CT Scanner 1", "", "", stamp]
    assert (fields(siu, "AIG")[3], fields(siu, "AIG")[8]) == ("CT1^^^AE", stamp)

    # 3. The CT asks for its worklist, performs the exam and sends the images.
    [item] = worklist(dicom_port, tmp_path)
    assert (item.AccessionNumber, item.StudyInstanceUID, item.PatientID, item.RequestedProcedureID) == (
        order.accession_number,
        order.study_instance_uid,
        "4455667",
        order.accession_number,
    )
    step = item.ScheduledProcedureStepSequence[0]
    assert (step.ScheduledStationAETitle, step.ScheduledProcedureStepStartDate) == ("CT1", f"{day:%Y%m%d}")
    assert step.ScheduledProcedureStepStartTime == "090000"
    assert perform_exam(dicom_port, order, item) == "in_progress"
    order = Order.objects.get(pk=order.pk)
    study = Study.objects.get(study_instance_uid=order.study_instance_uid)
    assert (order.status, study.order_id, study.patient_id, study.number_of_instances) == (
        "completed",
        order.pk,
        patient.pk,
        2,
    )
    assert order.images_received_at is not None
    assert order.appointments.get().status == "arrived"  # MPPS IN PROGRESS marked the booked patient arrived
    [charge] = charges_of(order)
    assert (charge.status, charge.payer, charge.rendering_npi, charge.referring_npi) == (
        "pending",
        acme,
        "",
        "1245319599",
    )
    assert [(charge.component, line.modifiers, str(line.amount)) for line in charge.lines.all()] == [
        (expected["completed"][0][0], *expected["completed"][0][1:])
    ]

    # 4. The radiologist claims the study and signs the report with the password.
    client.force_login(radiologist)
    assert list(client.get(reverse("reporting:worklist")).context["page"].rows) == [order]
    found = client.get("/dicomweb/studies", {"AccessionNumber": order.accession_number})  # what the viewer asks
    assert found.status_code == 200
    assert [study["0020000D"]["Value"] for study in found.json()] == [[order.study_instance_uid]]
    claimed = client.post(reverse("reporting:claim", args=[order.pk]))
    report = Report.objects.get(order=order)
    assert (claimed.status_code, claimed["Location"]) == (302, reverse("reporting:report", args=[report.pk]))
    assert client.get(claimed["Location"]).status_code == 200
    signed = client.post(
        reverse("reporting:sign", args=[report.pk]),
        {
            "section-findings": "Thin left frontal subdural collection.",
            "section-impression": IMPRESSION,
            "final": "1",
            "version": report.version,
            "password": PASSWORD,
            "severity": "critical",  # the select's value; the critical box stays unticked
        },
    )
    assert signed.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.signer, Order.objects.get(pk=order.pk).status) == ("final", radiologist, "final")
    siu_again, oru = wait_for(partner.received, 2)
    assert siu_again == siu
    assert fields(oru, "MSH")[8] == "ORU^R01^ORU_R01"
    assert (fields(oru, "OBR")[3], fields(oru, "OBR")[25]) == (f"{order.accession_number}^LUMEN", "F")
    impression = [s.split("|") for s in oru.split("\r") if s.startswith("OBX") and "IMPRESSION" in s]
    assert [(o[3], o[5], o[11]) for o in impression] == [("IMPRESSION^Impression^L", IMPRESSION, "F")]
    charges = charges_of(order)
    assert [
        (c.component, c.rendering_provider and c.rendering_provider.username, c.rendering_npi) for c in charges
    ] == expected["signed"]
    assert [c.problems for c in charges] == [[] for _ in charges]

    # 5. The referrer reads the report in the portal; another doctor cannot; billing exports the claim.
    client.force_login(referring_doctor)
    portal = client.get(reverse("portal:order", args=[order.pk]))
    assert portal.status_code == 200
    assert IMPRESSION in portal.content.decode()
    pdf = client.get(reverse("portal:pdf", args=[report.pk]))
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    client.force_login(other_doctor)
    assert client.get(reverse("portal:order", args=[order.pk])).status_code == 404
    assert client.get(reverse("portal:pdf", args=[report.pk])).status_code == 404

    client.force_login(billing_clerk)
    assert client.get(reverse("billing:charge", args=[charge.pk])).status_code == 200
    for each in charges:
        assert client.post(reverse("billing:charge_action", args=[each.pk, "release"])).status_code == 302
    assert [c.status for c in charges_of(order)] == ["released" for _ in charges]
    assert client.post(reverse("billing:claim_build")).status_code == 302
    claim = Claim.objects.get()
    assert (claim.status, claim.patient, list(claim.charges.order_by("id"))) == ("ready", patient, charges)
    exported = client.post(reverse("billing:export_create"), {"format": "x12"})
    assert exported.status_code == 200
    text = b"".join(exported.streaming_content).decode()
    assert pyx12_errors(text) == []
    assert "NM1*82*1*TEST*RITA****XX*1234567893~" in text
    assert f"CLM*{claim.number}*180***11:B:1*Y*A*Y*Y~" in text
    batch = ExportBatch.objects.get()

    # 6. The access log holds every read, search and export along the way, in order.
    entries = AccessLog.objects.exclude(action="login").order_by("id")
    assert list(entries.values_list("username", "action", "outcome", "object_type", "channel")) == [
        ("fiona", "view", "success", "orders.order", "ui"),
        ("AE CT1", "search", "success", "dicom.mwl", "dicom"),
        ("AE CT1", "create", "success", "dicom.mpps", "dicom"),
        ("AE CT1", "update", "success", "dicom.mpps", "dicom"),
        ("rita", "search", "success", "orders.order", "ui"),
        ("rita", "search", "success", "dicomweb.study", "api"),
        ("rita", "view", "success", "reporting.report", "ui"),
        ("drhouse", "view", "success", "orders.order", "ui"),
        ("drhouse", "view", "success", "reporting.report", "ui"),  # the report on the portal's order page
        ("drhouse", "view", "success", "reporting.report", "ui"),  # the PDF: the report read...
        ("drhouse", "export", "success", "reporting.report", "ui"),  # ...and exported
        ("drother", "view", "denied", "orders.order", "ui"),
        ("drother", "view", "denied", "reporting.report", "ui"),
        ("bill", "view", "success", "billing.charge", "ui"),
        ("bill", "export", "success", "billing.exportbatch", "ui"),
    ]
    reads = entries.filter(action__in=["view", "export"]).exclude(object_type="billing.exportbatch")
    assert set(reads.values_list("patient", flat=True)) == {patient.pk}
    assert entries.get(object_type="billing.exportbatch").object_id == str(batch.pk)
