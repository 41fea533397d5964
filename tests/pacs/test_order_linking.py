"""Incoming studies are linked to their orders by accession number and patient ID; the rest are reconciled."""

import pytest
from pydicom import dcmread

from pacs import services, storage
from pacs.models import Instance, Study
from ris.audit.models import AccessLog
from ris.patients.services import merge_patients
from tests.pacs.conftest import write_series


@pytest.fixture
def order(patient, make_order):
    return make_order(patient)


def ingest(tmp_path, count=2, **kwargs):
    study_uid, paths = write_series(tmp_path / "in", count, **kwargs)
    for path in paths:
        services.ingest_file(path, source="CT1", owned=False)
    return Study.objects.get(study_instance_uid=study_uid)


def test_a_study_with_its_orders_accession_and_mrn_is_linked(storage_root, db, tmp_path, order, patient):
    study = ingest(tmp_path, accession=order.accession_number, patient_id=patient.mrn)
    order.refresh_from_db()
    assert (study.match_state, study.order, study.patient) == ("matched", order, patient)
    assert order.images_received_at is not None


def test_a_patient_id_contradicting_the_order_puts_the_study_in_reconciliation(storage_root, db, tmp_path, order):
    study = ingest(tmp_path, accession=order.accession_number, patient_id="SOMEONE-ELSE")
    order.refresh_from_db()
    assert (study.match_state, study.order, study.patient) == ("conflict", None, None)
    assert study.match_note == (
        f"Patient ID SOMEONE-ELSE contradicts order {order.accession_number} (patient {order.patient.mrn})."
    )
    assert order.images_received_at is None
    assert list(Study.objects.awaiting_reconciliation()) == [study]


def test_a_known_patient_without_order_links_the_patient_only(storage_root, db, tmp_path, patient):
    study = ingest(tmp_path, accession="NOPE", patient_id=patient.mrn)
    assert (study.match_state, study.patient, study.match_note) == (
        "patient_only",
        patient,
        "No order has accession number NOPE.",
    )


def test_nothing_known_leaves_the_study_unmatched(storage_root, db, tmp_path):
    study = ingest(tmp_path, patient_id="X9")
    assert (study.match_state, study.patient, study.order) == ("unmatched", None, None)


def test_reconciling_links_the_study_and_rewrites_every_stored_header(
    storage_root, db, tmp_path, order, patient, front_desk, django_capture_on_commit_callbacks
):
    study = ingest(tmp_path, count=3, accession="WRONG", patient_id="SOMEONE-ELSE", patient_name="Wrong^Name")
    old_paths = set(Instance.objects.values_list("path", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        services.reconcile_study(study=study, order=order, actor=front_desk)
    study.refresh_from_db()
    assert (study.match_state, study.order, study.patient) == ("matched", order, patient)
    assert (study.dicom_patient_id, study.accession_number) == (patient.mrn, order.accession_number)
    for instance in Instance.objects.all():
        header = dcmread(storage.absolute(instance.path), stop_before_pixels=True)
        assert (header.PatientID, header.AccessionNumber, str(header.PatientName)) == (
            patient.mrn,
            order.accession_number,
            patient.dicom_name,
        )
        assert storage.sha256_of(storage.absolute(instance.path)) == instance.sha256
        assert instance.metadata["00100020"]["Value"] == [patient.mrn]
    assert not any(storage.absolute(p).exists() for p in old_paths)
    entry = AccessLog.objects.get(action="update", object_type="pacs.study")
    assert (entry.user, entry.patient) == (front_desk, patient)
    assert entry.detail["before"] == {"patient_id": "SOMEONE-ELSE", "accession_number": "WRONG", "state": "unmatched"}


def test_merging_patients_moves_their_studies_too(storage_root, db, tmp_path, make_patient, front_desk):
    duplicate, survivor = make_patient(), make_patient()
    study = ingest(tmp_path, patient_id=duplicate.mrn)
    moved = merge_patients(source=duplicate, target=survivor, actor=front_desk)
    assert moved == {"pacs.study": 1}
    study.refresh_from_db()
    assert study.patient == survivor
