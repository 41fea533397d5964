"""Regressions found in review: retrieves need a unique key, modalities add up, rewrites keep non-ASCII names,
an import stopped by a full store resumes the files it could not store."""

import errno
import io
import os

import pytest
from django.core.management import CommandError, call_command
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from pynetdicom import AE, build_role, evt
from pynetdicom.sop_class import CTImageStorage, StudyRootQueryRetrieveInformationModelGet

from pacs import services, storage, tasks
from pacs.models import Instance, Study
from tests.pacs.conftest import SCU_AE, ct_dataset, write_series


def test_a_retrieve_without_its_unique_key_is_refused_and_sends_nothing(listener, scu_node, tmp_path):
    _uid, paths = write_series(tmp_path / "s", 2)
    for path in paths:
        services.ingest_file(path, source="X", owned=False)
    received = []
    ae = AE(SCU_AE)
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    ae.add_requested_context(CTImageStorage)
    role = build_role(CTImageStorage, scp_role=True)
    handlers = [(evt.EVT_C_STORE, lambda e: received.append(1) or 0x0000)]
    assoc = ae.associate(
        listener.host, listener.port, ae_title=listener.ae_title, ext_neg=[role], evt_handlers=handlers
    )
    identifier = Dataset()
    identifier.QueryRetrieveLevel = "STUDY"
    identifier.StudyInstanceUID = ""
    statuses = [s.Status for s, _ in assoc.send_c_get(identifier, StudyRootQueryRetrieveInformationModelGet) if s]
    assoc.release()
    assert received == []
    assert statuses[-1] >= 0xA000  # a failure status, never success with everything


def test_modalities_of_every_series_add_up_on_the_study(storage_root, db, tmp_path):
    study_uid = generate_uid()
    ct = ct_dataset(study_uid=study_uid, series_uid=generate_uid(), number=1)
    mr = ct_dataset(study_uid=study_uid, series_uid=generate_uid(), number=2)
    mr.Modality = "MR"
    for i, ds in enumerate((ct, mr)):
        path = tmp_path / f"{i}.dcm"
        ds.save_as(path, enforce_file_format=True)
        services.ingest_file(path, source="X", owned=False)
    assert Study.objects.get().modalities_in_study == "CT\\MR"


def test_a_header_rewrite_keeps_non_ascii_names_and_is_idempotent(storage_root, db, tmp_path):
    _uid, paths = write_series(tmp_path / "s", 1)
    services.ingest_file(paths[0], source="X", owned=False)
    study = Study.objects.get()
    study.patient_name = "山田^太郎"
    study.save()
    assert tasks.rewrite_study_headers_task(study.pk) == 1
    instance = Instance.objects.get()
    assert str(dcmread(storage.absolute(instance.path)).PatientName) == "山田^太郎"
    assert tasks.rewrite_study_headers_task(study.pk) == 0


def test_an_import_stopped_by_a_full_store_continues_later(storage_root, db, tmp_path, settings, monkeypatch):
    settings.VAR_DIR = tmp_path / "var"
    legacy = tmp_path / "legacy"
    write_series(legacy, 3)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(CommandError, match="The image store is full"):
        call_command("import_dicom", str(legacy), "--no-progress", stdout=io.StringIO(), stderr=io.StringIO())
    monkeypatch.undo()
    out = io.StringIO()
    call_command("import_dicom", str(legacy), "--no-progress", stdout=out, stderr=io.StringIO())
    assert "  stored:                3" in out.getvalue()
    assert Instance.objects.count() == 3


def test_c_find_matches_keys_the_index_has_no_column_for(listener, scu_node, tmp_path):
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind

    for name, institution in (("a", "Springfield General"), ("b", "Shelbyville Clinic")):
        _uid, paths = write_series(tmp_path / name, 1)
        ds = dcmread(paths[0])
        ds.InstitutionName = institution
        ds.save_as(paths[0], enforce_file_format=True)
        services.ingest_file(paths[0], source="X", owned=False)
    ae = AE(SCU_AE)
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
    assoc = ae.associate(listener.host, listener.port, ae_title=listener.ae_title)

    def institutions(pattern):
        query = Dataset()
        query.QueryRetrieveLevel = "STUDY"
        query.StudyInstanceUID = ""
        query.InstitutionName = pattern
        found = assoc.send_c_find(query, StudyRootQueryRetrieveInformationModelFind)
        return sorted(str(ds.InstitutionName) for status, ds in found if status and status.Status == 0xFF00)

    assert institutions("Springfield General") == ["Springfield General"]
    assert institutions("S*l") == ["Springfield General"]
    assert institutions("*Clinic") == ["Shelbyville Clinic"]
    assert institutions("") == ["Shelbyville Clinic", "Springfield General"]
    assert institutions("Nowhere") == []
    assoc.release()
