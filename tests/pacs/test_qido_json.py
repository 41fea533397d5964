"""QIDO-RS answers are written as DICOM JSON straight from the index (``query.find_json``); they must be exactly
what pydicom makes of the C-FIND response data sets of the same query (``query.find``), value kinds that need
care included: names with ideographic and phonetic groups, several modalities, empty values, decimal strings and
keys read from the stored header."""

import pytest
from pydicom.dataset import Dataset

from pacs import services
from pacs.models import Instance, Study
from pacs.query import find, find_json, identifier_keys
from tests.pacs.conftest import ct_dataset

LEVEL_KEYS = {
    "STUDY": [
        "StudyDate", "StudyTime", "AccessionNumber", "ModalitiesInStudy", "ReferringPhysicianName", "PatientName",
        "PatientID", "PatientBirthDate", "PatientSex", "StudyInstanceUID", "StudyID", "StudyDescription",
        "NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances", "IssuerOfPatientID", "RetrieveAETitle",
    ],
    "SERIES": [
        "Modality", "SeriesDescription", "SeriesNumber", "SeriesInstanceUID", "BodyPartExamined", "SeriesDate",
        "NumberOfSeriesRelatedInstances", "StudyInstanceUID", "PatientName",
    ],
    "IMAGE": [
        "SOPClassUID", "SOPInstanceUID", "InstanceNumber", "Rows", "Columns", "NumberOfFrames", "SliceThickness",
        "ImageType", "PatientName", "SeriesInstanceUID", "StudyInstanceUID", "RescaleIntercept",
    ],
}  # fmt: skip


@pytest.fixture
def varied_archive(storage_root, db, tmp_path):
    """Three studies whose values exercise every branch of the JSON writer."""
    uids = {"study": [], "series": []}
    specs = [
        {"patient_name": "Yamada^Tarou=山田^太郎=やまだ^たろう", "accession": "ACC-1", "modalities": ["CT", "PR"]},
        {"patient_name": "Müller^Zoë", "accession": "", "modalities": ["MR"]},
        {"patient_name": "", "accession": "ACC-3", "modalities": ["CT"]},
    ]
    for n, spec in enumerate(specs):
        study = f"1.2.826.0.1.3680043.10.999.{n + 1}"
        uids["study"].append(study)
        for m, modality in enumerate(spec["modalities"]):
            series = f"{study}.{m + 1}"
            uids["series"].append(series)
            for number in (1, 2):
                ds = ct_dataset(
                    study_uid=study,
                    series_uid=series,
                    number=number,
                    patient_name=spec["patient_name"],
                    accession=spec["accession"],
                )
                ds.Modality = modality
                ds.SpecificCharacterSet = "ISO_IR 192"
                ds.SliceThickness = "1.25"
                ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
                if n == 2:
                    ds.ReferringPhysicianName = ""
                    ds.InstanceNumber = None
                path = tmp_path / f"{n}-{m}-{number}.dcm"
                ds.save_as(path, enforce_file_format=True)
                services.ingest_file(path, source="TEST", owned=False)
    return uids


def _identifier(level: str, **matching) -> Dataset:
    identifier = Dataset()
    identifier.QueryRetrieveLevel = level
    for keyword in LEVEL_KEYS[level]:
        setattr(identifier, keyword, "")
    for keyword, value in matching.items():
        setattr(identifier, keyword, value)
    return identifier


def _json(level: str) -> list[dict]:
    return list(find_json(level, identifier_keys(_identifier(level)), allowed=("STUDY", "SERIES", "IMAGE")))


def _reference(identifier: Dataset) -> list[dict]:
    documents = []
    for ds in find(identifier, allowed=("STUDY", "SERIES", "IMAGE"), retrieve_ae="LUMEN"):
        del ds.QueryRetrieveLevel
        del ds.RetrieveAETitle
        documents.append(ds.to_json_dict())
    return documents


@pytest.mark.parametrize(
    ("level", "matching", "count"),
    [
        ("STUDY", {}, 3),
        ("STUDY", {"PatientName": "Yamada*"}, 1),
        ("SERIES", {}, 4),
        ("IMAGE", {}, 8),
        ("IMAGE", {"StudyInstanceUID": "1.2.826.0.1.3680043.10.999.3"}, 2),
    ],
)
def test_qido_json_equals_pydicoms_json_of_the_c_find_answers(varied_archive, level, matching, count):
    identifier = _identifier(level, **matching)
    written = list(find_json(level, identifier_keys(identifier), allowed=("STUDY", "SERIES", "IMAGE")))
    assert len(written) == count
    assert written == _reference(identifier)


def test_the_values_that_need_care_are_written_as_the_standard_says(varied_archive):
    by_study = {d["0020000D"]["Value"][0]: d for d in _json("STUDY")}
    first, second, third = (by_study[uid] for uid in varied_archive["study"])
    assert first["00100010"] == {
        "vr": "PN",
        "Value": [{"Alphabetic": "Yamada^Tarou", "Ideographic": "山田^太郎", "Phonetic": "やまだ^たろう"}],
    }
    assert first["00080061"] == {"vr": "CS", "Value": ["CT", "PR"]}
    assert first["00201206"] == {"vr": "IS", "Value": [2]}
    assert first["00201208"] == {"vr": "IS", "Value": [4]}
    assert second["00100010"] == {"vr": "PN", "Value": [{"Alphabetic": "Müller^Zoë"}]}
    assert second["00080050"] == {"vr": "SH"}
    assert third["00100010"] == {"vr": "PN"}
    assert third["00080090"] == {"vr": "PN"}
    assert first["00080005"] == {"vr": "CS", "Value": ["ISO_IR 192"]}
    assert "00080054" not in first  # no Retrieve AE Title: QIDO-RS gives a Retrieve URL
    assert "00080052" not in first  # no Query/Retrieve Level
    image = next(iter(_json("IMAGE")))
    assert image["00180050"] == {"vr": "DS", "Value": [1.25]}
    assert image["00080008"] == {"vr": "CS", "Value": ["ORIGINAL", "PRIMARY", "AXIAL"]}
    assert Instance.objects.count() == 8
    assert Study.objects.count() == 3
