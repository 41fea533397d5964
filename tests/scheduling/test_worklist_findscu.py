"""DCMTK's findscu -W asks Lumen's listener for its worklist (Modality Worklist Information Model - FIND)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from pydicom import dcmread

from pacs.dicom import server
from ris.equipment.models import Modality
from scheduling import services
from scheduling.models import Resource
from tests.conftest import make_user
from tests.pacs.conftest import dcmtk, free_port
from tests.scheduling.conftest import open_every_day

# The return keys of DCMTK's worklist example wlistqry1.dump, and the station / date matching keys.
EXAMPLE_KEYS = [
    "AccessionNumber",
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "MedicalAlerts",
    "(0010,2110)",  # ContrastAllergies
    "StudyInstanceUID",
    "RequestingPhysician",
    "RequestedProcedureDescription",
    "RequestedProcedureID",
    "RequestedProcedurePriority",
]
STEP_KEYS = [
    "Modality",
    "ScheduledPerformingPhysicianName",
    "ScheduledProcedureStepDescription",
    "ScheduledProcedureStepID",
    "ScheduledProcedureStepStartTime",
]


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


def worklist(port, tmp_path, station: str, *keys: str, calling: str = "CT1"):
    out = tmp_path / f"rsp-{len(list(tmp_path.iterdir()))}"
    out.mkdir()
    args = ["-W", "-aet", calling, "-aec", "LUMEN", "-X", "-od", str(out), "127.0.0.1", str(port)]
    for key in [*EXAMPLE_KEYS, *(f"ScheduledProcedureStepSequence[0].{k}" for k in STEP_KEYS), *keys]:
        args += ["-k", key]
    args += ["-k", f"ScheduledProcedureStepSequence[0].ScheduledStationAETitle={station}"]
    result = dcmtk("findscu", "-v", *args)
    return result, [dcmread(p) for p in sorted(out.iterdir())]


def test_it_hands_the_modality_its_scheduled_step(listener, booked, tmp_path):
    day = (timezone.localdate() + dt.timedelta(days=1)).strftime("%Y%m%d")
    result, responses = worklist(
        listener, tmp_path, "CT1", f"ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate={day}"
    )
    assert result.returncode == 0, result.stderr
    assert len(responses) == 1
    ds, order = responses[0], booked.order
    assert (ds.AccessionNumber, ds.PatientID, str(ds.PatientName)) == (
        order.accession_number,
        order.patient.mrn,
        "Müller^Zoë",
    )
    assert ds.StudyInstanceUID == order.study_instance_uid
    assert (ds.PatientBirthDate, ds.PatientSex, ds.RequestedProcedureID) == ("19750423", "F", order.accession_number)
    assert ds.RequestedProcedureDescription == "CT head without contrast"
    assert ds.RequestedProcedurePriority == "ROUTINE"
    step = ds.ScheduledProcedureStepSequence[0]
    assert (step.Modality, step.ScheduledStationAETitle, step.ScheduledProcedureStepStartDate) == ("CT", "CT1", day)
    assert (step.ScheduledProcedureStepStartTime, step.ScheduledProcedureStepID) == ("090000", f"SPS{booked.pk}")
    assert step.ScheduledProcedureStepDescription == "CT head without contrast"


def test_a_modality_sees_only_its_own_station(listener, booked, tmp_path, make_order, patient, front_desk, tomorrow_at):
    mr = Modality.objects.create(name="MR", modality_type="CT", ae_title="CT2", host="127.0.0.1", services=["worklist"])
    other = open_every_day(Resource.objects.create(code="CT2", name="CT Scanner 2", modality_type="CT", modality=mr))
    services.book_appointment(actor=front_desk, order=make_order(patient), resource=other, start=tomorrow_at(10))
    _, own = worklist(listener, tmp_path, "CT1")
    _, everyone = worklist(listener, tmp_path, "")
    assert [r.ScheduledProcedureStepSequence[0].ScheduledStationAETitle for r in own] == ["CT1"]
    assert sorted(r.ScheduledProcedureStepSequence[0].ScheduledStationAETitle for r in everyone) == ["CT1", "CT2"]


def test_date_ranges_and_patient_name_wildcards_match(listener, booked, tmp_path):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    span = f"{tomorrow:%Y%m%d}-{tomorrow + dt.timedelta(days=3):%Y%m%d}"
    before = f"-{timezone.localdate():%Y%m%d}"
    _, hit = worklist(
        listener, tmp_path, "CT1", f"ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate={span}"
    )
    _, miss = worklist(
        listener, tmp_path, "CT1", f"ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate={before}"
    )
    _, name_hit = worklist(listener, tmp_path, "", "PatientName=m?LLER*")
    _, name_miss = worklist(listener, tmp_path, "", "PatientName=Smith*")
    assert (len(hit), len(miss), len(name_hit), len(name_miss)) == (1, 0, 1, 0)


def test_a_malformed_date_gets_a_failure_status_and_unknown_keys_are_ignored(listener, booked, tmp_path):
    bad, responses = worklist(
        listener, tmp_path, "CT1", "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=2026XX01"
    )
    assert responses == []
    assert "Received Final Find Response (Error: DataSetDoesNotMatchSOPClass)" in bad.stdout + bad.stderr
    result, responses = worklist(listener, tmp_path, "CT1", "PatientMotherBirthName", "(0011,0010)")
    assert result.returncode == 0, result.stderr
    assert len(responses) == 1
    assert "PatientMotherBirthName" not in responses[0]


def test_an_unregistered_caller_is_refused(listener, booked, tmp_path):
    result, responses = worklist(listener, tmp_path, "CT1", calling="NOBODY")
    assert responses == []
    assert "rejected" in (result.stderr + result.stdout).lower()


EXAMPLES = Path("/usr/share/doc/dcmtk/examples/wlistqry")


@pytest.mark.skipif(not (EXAMPLES / "wlistqry1.dump").exists(), reason="DCMTK's worklist examples are not installed")
def test_dcmtks_own_example_query_file_gets_the_worklist(listener, booked, tmp_path):
    query = tmp_path / "wlistqry1.wl"
    made = dcmtk("dump2dcm", str(EXAMPLES / "wlistqry1.dump"), str(query))
    assert made.returncode == 0, made.stderr
    out = tmp_path / "out"
    out.mkdir()
    result = dcmtk(
        "findscu", "-W", "-aet", "CT1", "-aec", "LUMEN", "-X", "-od", str(out), "127.0.0.1", str(listener), str(query)
    )
    assert result.returncode == 0, result.stderr
    responses = [dcmread(p) for p in out.iterdir()]
    assert [(r.AccessionNumber, r.StudyInstanceUID) for r in responses] == [
        (booked.order.accession_number, booked.order.study_instance_uid)
    ]
    assert responses[0].ScheduledProcedureStepSequence[0].ScheduledStationAETitle == "CT1"


def test_it_matches_the_scheduled_performing_physician(listener, booked, tmp_path, make_order, patient, tomorrow_at):
    house = make_user("house", "radiologist")
    other = services.book_appointment(
        actor=booked.created_by, order=make_order(patient), resource=booked.resource, start=tomorrow_at(11)
    )
    services.modify_appointment(actor=booked.created_by, appointment=other, performing_physician=house)
    key = "ScheduledProcedureStepSequence[0].ScheduledPerformingPhysicianName"

    exact = worklist(listener, tmp_path, "CT1", f"{key}=Test^House")[1]
    wildcard = worklist(listener, tmp_path, "CT1", f"{key}=Te*^H*")[1]
    nobody = worklist(listener, tmp_path, "CT1", f"{key}=Test^Wilson")[1]

    assert [ds.AccessionNumber for ds in exact] == [other.order.accession_number]
    assert str(exact[0].ScheduledProcedureStepSequence[0].ScheduledPerformingPhysicianName) == "Test^House"
    assert [ds.AccessionNumber for ds in wildcard] == [other.order.accession_number]
    assert nobody == []
