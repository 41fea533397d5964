"""A modality reports its exam over MPPS (pynetdicom N-CREATE / N-SET) and the order follows."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid
from pynetdicom import AE
from pynetdicom.sop_class import ModalityPerformedProcedureStep

from pacs.dicom import server
from ris.orders.models import Order
from scheduling import services
from scheduling.models import PerformedStep
from tests.pacs.conftest import free_port


@pytest.fixture
def listener(transactional_db, storage_root):
    port = free_port()
    running = server.start("127.0.0.1", port, "LUMEN", block=False)
    yield port
    running.shutdown()


@pytest.fixture
def booked(transactional_db, make_order, patient, ct_resource, front_desk, tomorrow_at):
    return services.book_appointment(
        actor=front_desk, order=make_order(patient), resource=ct_resource, start=tomorrow_at(9)
    )


@pytest.fixture
def mpps(listener, ct_modality):
    """An association from the CT (AE CT1) with the MPPS context; yields it, released at the end."""
    ae = AE("CT1")
    ae.add_requested_context(ModalityPerformedProcedureStep)
    assoc = ae.associate("127.0.0.1", listener, ae_title="LUMEN")
    assert assoc.is_established
    yield assoc
    assoc.release()


def in_progress(order: Order | None, *, accession: str | None = None, uid: str | None = None) -> Dataset:
    ref = Dataset()
    ref.StudyInstanceUID = uid if uid is not None else order.study_instance_uid
    ref.AccessionNumber = accession if accession is not None else order.accession_number
    ref.ScheduledProcedureStepID = ""
    ds = Dataset()
    ds.ScheduledStepAttributesSequence = Sequence([ref])
    ds.PatientName = "Müller^Zoë"
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PerformedStationAETitle = "CT1"
    ds.PerformedProcedureStepStartDate = "20261205"
    ds.PerformedProcedureStepStartTime = "090200"
    ds.PerformedProcedureStepStatus = "IN PROGRESS"
    ds.PerformedProcedureStepID = "PPS1"
    ds.Modality = "CT"
    ds.PerformedSeriesSequence = Sequence()
    return ds


def completed(series_uid: str, images: int, status: str = "COMPLETED") -> Dataset:
    series = Dataset()
    series.SeriesInstanceUID = series_uid
    series.SeriesDescription = "Axial 5mm"
    series.ProtocolName = "HEAD"
    series.OperatorsName = "Tech^Tomas"
    series.ReferencedImageSequence = Sequence()
    for _ in range(images):
        ref = Dataset()
        ref.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        ref.ReferencedSOPInstanceUID = generate_uid()
        series.ReferencedImageSequence.append(ref)
    ds = Dataset()
    ds.PerformedProcedureStepStatus = status
    ds.PerformedProcedureStepEndDate = "20261205"
    ds.PerformedProcedureStepEndTime = "091500"
    ds.PerformedSeriesSequence = Sequence([series])
    ds.TotalNumberOfExposures = 3
    ds.CommentsOnRadiationDose = "CTDIvol 42 mGy"
    return ds


def test_in_progress_then_completed_moves_the_order_and_keeps_series_and_dose(mpps, booked):
    uid = generate_uid()
    status, reply = mpps.send_n_create(in_progress(booked.order), ModalityPerformedProcedureStep, uid)
    assert status.Status == 0x0000
    order = Order.objects.get(pk=booked.order_id)
    assert order.status == "in_progress"
    assert list(order.status_changes.values_list("to_status", flat=True)) == [
        "ordered",
        "scheduled",
        "arrived",
        "in_progress",
    ]
    series_uid = generate_uid()
    status, _ = mpps.send_n_set(completed(series_uid, 2), ModalityPerformedProcedureStep, uid)
    assert status.Status == 0x0000
    step = PerformedStep.objects.get(sop_instance_uid=uid)
    assert (step.status, step.review, step.order_id, step.appointment_id) == (
        "COMPLETED",
        "matched",
        order.pk,
        booked.pk,
    )
    assert step.performed_series == [
        {
            "series_instance_uid": series_uid,
            "description": "Axial 5mm",
            "protocol": "HEAD",
            "operator": "Tech^Tomas",
            "images": 2,
        }
    ]
    assert step.dose == {"TotalNumberOfExposures": "3", "CommentsOnRadiationDose": "CTDIvol 42 mGy"}
    assert Order.objects.get(pk=order.pk).status == "completed"


def test_discontinued_moves_the_order_with_the_reason(mpps, booked):
    uid = generate_uid()
    mpps.send_n_create(in_progress(booked.order), ModalityPerformedProcedureStep, uid)
    ds = completed(generate_uid(), 0, status="DISCONTINUED")
    reason = Dataset()
    reason.CodeValue, reason.CodingSchemeDesignator, reason.CodeMeaning = (
        "110514",
        "DCM",
        "Incorrect worklist entry selected",
    )
    ds.PerformedProcedureStepDiscontinuationReasonCodeSequence = Sequence([reason])
    status, _ = mpps.send_n_set(ds, ModalityPerformedProcedureStep, uid)
    assert status.Status == 0x0000
    order = Order.objects.get(pk=booked.order_id)
    assert order.status == "discontinued"
    assert order.status_changes.last().reason == "Incorrect worklist entry selected"


def test_unknown_and_mismatched_steps_are_kept_for_review(mpps, booked):
    unknown = generate_uid()
    status, _ = mpps.send_n_create(
        in_progress(None, accession="NOPE", uid="1.2.3.4"), ModalityPerformedProcedureStep, unknown
    )
    assert status.Status == 0x0000
    step = PerformedStep.objects.get(sop_instance_uid=unknown)
    assert (step.review, step.order_id, step.problem) == (
        "needs_review",
        None,
        "No order has this Study Instance UID or accession number.",
    )
    cancelled = Order.objects.get(pk=booked.order_id)
    services.cancel_appointment(actor=None, appointment=booked, reason="Moved")
    mismatch = generate_uid()
    status, _ = mpps.send_n_create(in_progress(cancelled), ModalityPerformedProcedureStep, mismatch)
    assert status.Status == 0x0000
    step = PerformedStep.objects.get(sop_instance_uid=mismatch)
    assert (step.review, step.order_id) == ("needs_review", cancelled.pk)
    assert step.problem == "Order not moved: The order is ordered."
    assert Order.objects.get(pk=cancelled.pk).status == "ordered"


def test_bad_requests_get_the_right_dimse_status(mpps, booked):
    uid = generate_uid()
    assert mpps.send_n_create(in_progress(booked.order), ModalityPerformedProcedureStep, uid)[0].Status == 0x0000
    again, _ = mpps.send_n_create(in_progress(booked.order), ModalityPerformedProcedureStep, uid)
    assert again.Status == 0x0111  # duplicate SOP instance
    missing, _ = mpps.send_n_set(completed(generate_uid(), 1), ModalityPerformedProcedureStep, generate_uid())
    assert missing.Status == 0x0112  # no such SOP instance
    wrong = in_progress(booked.order)
    wrong.PerformedProcedureStepStatus = "COMPLETED"
    created_done, _ = mpps.send_n_create(wrong, ModalityPerformedProcedureStep, generate_uid())
    assert created_done.Status == 0x0106  # invalid attribute value
    assert mpps.send_n_set(completed(generate_uid(), 1), ModalityPerformedProcedureStep, uid)[0].Status == 0x0000
    after, _ = mpps.send_n_set(completed(generate_uid(), 1), ModalityPerformedProcedureStep, uid)
    assert (after.Status, after.ErrorID) == (0x0110, 0xA710)  # may no longer be updated
    assert PerformedStep.objects.count() == 1


def test_a_node_without_rights_is_refused(listener, booked, transactional_db):
    from pacs.models import DicomNode

    DicomNode.objects.create(ae_title="VIEWER", host="127.0.0.1", port=104, services=["echo", "find"])
    ae = AE("VIEWER")
    ae.add_requested_context(ModalityPerformedProcedureStep)
    assoc = ae.associate("127.0.0.1", listener, ae_title="LUMEN")
    status, _ = assoc.send_n_create(in_progress(booked.order), ModalityPerformedProcedureStep, generate_uid())
    assoc.release()
    assert status.Status == 0x0124
    assert PerformedStep.objects.count() == 0


def test_a_step_sent_without_its_uid_gets_one_from_lumen(mpps, booked):
    status, _ = mpps.send_n_create(in_progress(booked.order), ModalityPerformedProcedureStep)
    assert status.Status == 0x0000
    step = PerformedStep.objects.get()
    assert step.sop_instance_uid.startswith("1.2.826.0.1.3680043.8.498.")  # pydicom's UID root
    assert Order.objects.get(pk=booked.order_id).status == "in_progress"


def test_a_step_kept_for_review_is_marked_reviewed_on_the_review_page(client, technologist, transactional_db):
    from tests.conftest import login

    step = PerformedStep.objects.create(
        sop_instance_uid="1.2.3", status="IN PROGRESS", review="needs_review", problem="x"
    )
    login(client, technologist)
    assert "x" in client.get("/scheduling/review/").content.decode()
    assert client.post("/scheduling/review/", {"step": "abc"}).status_code == 404
    client.post("/scheduling/review/", {"step": step.pk})
    assert PerformedStep.objects.get().review == "resolved"


def test_the_second_of_two_racing_n_creates_gets_duplicate_and_moves_nothing(mpps, booked, monkeypatch):
    """Two associations create one instance at once: both pass the existence check, the second insert fails."""
    from scheduling import mpps as mpps_logic

    uid = generate_uid()
    match = mpps_logic._match

    def racing_match(ds, station_ae):
        found = match(ds, station_ae)
        PerformedStep.objects.create(sop_instance_uid=uid, status="IN PROGRESS", station_ae_title="CT1")
        return found

    monkeypatch.setattr(mpps_logic, "_match", racing_match)
    status, _ = mpps.send_n_create(in_progress(booked.order), ModalityPerformedProcedureStep, uid)

    assert status.Status == 0x0111  # duplicate SOP instance, not a processing failure
    assert Order.objects.get(pk=booked.order_id).status == "scheduled"
