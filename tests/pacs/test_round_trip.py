"""storescu a study -> findscu finds it at every level -> movescu to a storescp and getscu retrieve it
byte-identical; the stored checksums match the index."""

import hashlib
import re
import subprocess
import time

import pytest
from pydicom import dcmread

from pacs import storage
from pacs.models import Instance, Series, Study
from ris.audit.models import AccessLog
from tests.pacs.conftest import DCMTK, SCU_AE, dcmtk, write_series


@pytest.fixture
def stored_study(listener, scu_node, tmp_path):
    study_uid, paths = write_series(tmp_path / "out", 5, accession="ACC42", patient_name="Müller^Zoë")
    result = dcmtk("storescu", "-aet", SCU_AE, *listener.address(), *map(str, paths))
    assert result.returncode == 0, result.stderr
    return study_uid, paths


def shows(output: str, tag_vr: str, value: str) -> bool:
    """dcmdump-style output holds the element with this value (DICOM pads odd lengths with a space)."""
    return re.search(re.escape(f"{tag_vr} [{value}") + r" ?\]", output) is not None


def find(listener, level_flag, *keys):
    args = ["-aet", SCU_AE, level_flag, *listener.address()]
    for key in keys:
        args += ["-k", key]
    result = dcmtk("findscu", *args)
    assert result.returncode == 0, result.stderr
    return result.stderr + result.stdout


def test_storescu_stores_every_instance_durably_with_matching_checksums(stored_study):
    study_uid, paths = stored_study
    study = Study.objects.get(study_instance_uid=study_uid)
    assert (study.number_of_series, study.number_of_instances, study.accession_number) == (1, 5, "ACC42")
    assert study.patient_name == "Müller^Zoë"
    for instance in Instance.objects.all():
        stored = storage.absolute(instance.path)
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == instance.sha256
        assert stored.stat().st_size == instance.size_bytes
        assert instance.metadata["7FE00010"] == {"vr": "OW", "BulkDataURI": "bulkdata/7FE00010"}
        assert instance.metadata["00100020"] == {"vr": "LO", "Value": ["PAT001"]}
    originals = {dcmread(p).SOPInstanceUID: dcmread(p).PixelData for p in paths}
    for instance in Instance.objects.all():
        assert dcmread(storage.absolute(instance.path)).PixelData == originals[instance.sop_instance_uid]


def test_findscu_finds_the_study_at_every_level(listener, stored_study):
    study_uid, _paths = stored_study
    patient = find(
        listener, "-P", "QueryRetrieveLevel=PATIENT", "PatientID=PAT*", "PatientName", "NumberOfPatientRelatedStudies"
    )
    assert "PAT001" in patient
    assert shows(patient, "(0020,1200) IS", "1")
    study = find(
        listener,
        "-S",
        "QueryRetrieveLevel=STUDY",
        "StudyDate=20260101-20260131",
        "StudyInstanceUID",
        "AccessionNumber",
        "ModalitiesInStudy",
        "NumberOfStudyRelatedInstances",
        "StudyDescription",
    )
    assert study_uid in study
    assert shows(study, "(0008,0050) SH", "ACC42")
    assert shows(study, "(0020,1208) IS", "5")
    assert shows(study, "(0008,1030) LO", "CT HEAD")
    series = find(
        listener,
        "-S",
        "QueryRetrieveLevel=SERIES",
        f"StudyInstanceUID={study_uid}",
        "Modality=CT",
        "SeriesInstanceUID",
        "NumberOfSeriesRelatedInstances",
    )
    assert shows(series, "(0020,1209) IS", "5")
    series_uid = Series.objects.get().series_instance_uid
    images = find(
        listener,
        "-S",
        "QueryRetrieveLevel=IMAGE",
        f"StudyInstanceUID={study_uid}",
        f"SeriesInstanceUID={series_uid}",
        "SOPInstanceUID",
        "InstanceNumber",
    )
    assert images.count("(0008,0018) UI") == 5
    none = find(listener, "-S", "QueryRetrieveLevel=STUDY", "StudyDate=19990101-19991231", "StudyInstanceUID")
    assert study_uid not in none
    assert AccessLog.objects.filter(channel="dicom", action="search").count() == 5


def test_movescu_sends_the_study_to_a_storescp_byte_identical(listener, stored_study, scu_node, tmp_path):
    study_uid, paths = stored_study
    received = tmp_path / "received"
    received.mkdir()
    receiver = subprocess.Popen(
        [
            str(DCMTK / "storescp"),
            "-aet",
            SCU_AE,
            "-od",
            str(received),
            "--sort-on-study-uid",
            "st",
            str(scu_node.port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(0.5)
        result = dcmtk(
            "movescu",
            "-aet",
            SCU_AE,
            "-aem",
            SCU_AE,
            "-S",
            *listener.address(),
            "-k",
            "QueryRetrieveLevel=STUDY",
            "-k",
            f"StudyInstanceUID={study_uid}",
        )
        assert result.returncode == 0, result.stderr
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
    files = sorted(received.rglob("*.dcm")) or sorted(p for p in received.rglob("*") if p.is_file())
    assert len(files) == 5
    sent = {dcmread(p).SOPInstanceUID: dcmread(p).PixelData for p in paths}
    assert {dcmread(f).SOPInstanceUID: dcmread(f).PixelData for f in files} == sent
    export = AccessLog.objects.get(action="export")
    assert export.detail["destination"] == SCU_AE
    assert export.detail["matches"] == 5


def test_getscu_retrieves_the_study_byte_identical(listener, stored_study, tmp_path):
    study_uid, paths = stored_study
    out = tmp_path / "got"
    out.mkdir()
    result = dcmtk(
        "getscu",
        "-aet",
        SCU_AE,
        "-S",
        *listener.address(),
        "-od",
        str(out),
        "-k",
        "QueryRetrieveLevel=STUDY",
        "-k",
        f"StudyInstanceUID={study_uid}",
    )
    assert result.returncode == 0, result.stderr
    files = [p for p in out.iterdir() if p.is_file()]
    assert len(files) == 5
    sent = {dcmread(p).SOPInstanceUID: dcmread(p).PixelData for p in paths}
    assert {dcmread(f).SOPInstanceUID: dcmread(f).PixelData for f in files} == sent


def test_a_move_to_an_unknown_destination_fails_with_a801(listener, stored_study):
    study_uid, _paths = stored_study
    result = dcmtk(
        "movescu",
        "-aet",
        SCU_AE,
        "-aem",
        "NOWHERE",
        "-S",
        *listener.address(),
        "-k",
        "QueryRetrieveLevel=STUDY",
        "-k",
        f"StudyInstanceUID={study_uid}",
    )
    assert result.returncode != 0
    assert "Move response with error status (Refused: MoveDestinationUnknown)" in result.stderr
