"""DICOM test fixtures: a real Lumen listener on a free loopback port, registered peers, synthetic images."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from pacs.dicom import server
from pacs.models import DicomNode

DCMTK = Path("/usr/bin")
SCU_AE = "TESTSCU"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dcmtk(tool: str, *args: str, timeout: int = 60) -> subprocess.CompletedProcess:
    """Run a DCMTK tool by full path (pynetdicom installs tools of the same names) with Nagle off."""
    env = {**os.environ, "TCP_NODELAY": "1"}
    return subprocess.run(
        [str(DCMTK / tool), *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


class Listener:
    def __init__(self, port: int, ae_title: str):
        self.host, self.port, self.ae_title = "127.0.0.1", port, ae_title

    def address(self) -> list[str]:
        return ["-aec", self.ae_title, self.host, str(self.port)]


@pytest.fixture
def listener(transactional_db, storage_root):
    port = free_port()
    running = server.start("127.0.0.1", port, "LUMEN", block=False)
    yield Listener(port, "LUMEN")
    running.shutdown()


@pytest.fixture
def scu_node(transactional_db):
    """The test's own AE, registered with every right and a port for move destinations."""
    return DicomNode.objects.create(
        ae_title=SCU_AE, host="127.0.0.1", port=free_port(), services=["echo", "store", "find", "move", "get", "commit"]
    )


def ct_dataset(
    *,
    study_uid: str,
    series_uid: str,
    number: int,
    patient_id: str = "PAT001",
    patient_name: str = "Doe^Jane",
    accession: str = "",
    size: int = 64,
    study_date: str = "20260115",
    description: str = "CT HEAD",
) -> Dataset:
    """A small but complete CT image (Explicit VR Little Endian) with its own SOP Instance UID."""
    sop_uid = generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, sop_uid
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    ds.PatientID, ds.PatientName, ds.PatientBirthDate, ds.PatientSex = patient_id, patient_name, "19700101", "F"
    ds.AccessionNumber, ds.StudyDate, ds.StudyTime, ds.StudyID = accession, study_date, "101500", "1"
    ds.StudyDescription, ds.ReferringPhysicianName = description, "House^Gregory"
    ds.Modality, ds.SeriesNumber, ds.SeriesDescription, ds.BodyPartExamined = "CT", 1, "Axial", "HEAD"
    ds.InstanceNumber = number
    ds.Rows = ds.Columns = size
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
    ds.ContentDate = dt.date(2026, 1, 15).strftime("%Y%m%d")
    ds.PixelData = (np.arange(size * size, dtype=np.uint16).reshape(size, size) + number).tobytes()
    return ds


def write_series(directory: Path, count: int, **kwargs) -> tuple[str, list[Path]]:
    """``count`` CT images of one new study and series written as files; returns the study UID and the paths."""
    study_uid = kwargs.pop("study_uid", None) or generate_uid()
    series_uid = generate_uid()
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(1, count + 1):
        ds = ct_dataset(study_uid=study_uid, series_uid=series_uid, number=number, **kwargs)
        path = directory / f"{number:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return study_uid, paths
