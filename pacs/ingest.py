"""Reading and checking one received DICOM file before it is indexed (PS3.10 file format)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pydicom import dcmread
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID

BULK_THRESHOLD = 4096
BINARY_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "UN"}
# First bytes of executables and scripts: a preamble starting so could make the file run on a workstation
# (PS3.10 7.5 and PS3.15 annex on preamble risks).
EXECUTABLE_SIGNATURES = (
    b"MZ",
    b"\x7fELF",
    b"#!",
    b"\xca\xfe\xba\xbe",
    b"\xfe\xed\xfa",
    b"\xcf\xfa\xed\xfe",
    b"PK\x03\x04",
)
TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*")
REQUIRED_UIDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID")


class Rejected(Exception):  # noqa: N818 - a verdict, not an accident
    """The file is refused; ``status`` is the C-STORE failure status (PS3.4 B.2.3), ``reason`` says why in words."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


CANNOT_UNDERSTAND = 0xC000
DOES_NOT_MATCH_SOP_CLASS = 0xA900
OUT_OF_RESOURCES = 0xA700


@dataclass
class Parsed:
    dataset: Dataset
    transfer_syntax_uid: str
    metadata: dict


def check_preamble(path: Path) -> bool:
    """Refuse files whose preamble carries an executable; True when the preamble must be zeroed before storing."""
    with open(path, "rb") as handle:
        head = handle.read(132)
    if len(head) < 132 or head[128:132] != b"DICM":
        raise Rejected(CANNOT_UNDERSTAND, "Not a DICOM file: the 128-byte preamble and 'DICM' prefix are missing.")
    preamble = head[:128]
    if preamble.startswith(EXECUTABLE_SIGNATURES):
        raise Rejected(CANNOT_UNDERSTAND, "Refused: the file preamble holds an executable or script.")
    return any(preamble) and not preamble.startswith(TIFF_SIGNATURES)


def zero_preamble(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.write(b"\x00" * 128)


def valid_uid(value) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 64 and UID(value).is_valid


def parse(
    path: Path, *, expected_sop_instance_uid: str | None = None, expected_sop_class_uid: str | None = None
) -> Parsed:
    """Parse the header, check the file is whole and its identity sound, and build its DICOM JSON metadata."""
    size = os.path.getsize(path)
    try:
        with open(path, "rb") as handle:
            ds = dcmread(handle, defer_size=BULK_THRESHOLD)
            deferred = _deferred_bulk(ds, size)
            metadata = _json(ds, deferred)
    except Rejected:
        raise
    except (InvalidDicomError, EOFError, ValueError, KeyError, TypeError, OverflowError, NotImplementedError) as exc:
        raise Rejected(CANNOT_UNDERSTAND, f"The DICOM file cannot be read: {str(exc)[:200]}") from exc
    meta = getattr(ds, "file_meta", None)
    transfer_syntax = str(getattr(meta, "TransferSyntaxUID", "") or "")
    if not valid_uid(transfer_syntax):
        raise Rejected(CANNOT_UNDERSTAND, "The file meta information has no valid Transfer Syntax UID.")
    for keyword in REQUIRED_UIDS:
        value = ds.get(keyword)
        if not valid_uid(str(value) if value is not None else None):
            raise Rejected(
                CANNOT_UNDERSTAND,
                f"{keyword} is missing or malformed: UIDs are up to 64 digits and dots, e.g. 1.2.840.10008.",
            )
    sop_uid = str(ds.SOPInstanceUID)
    if expected_sop_instance_uid is not None and sop_uid != expected_sop_instance_uid:
        raise Rejected(DOES_NOT_MATCH_SOP_CLASS, "The data set's SOP Instance UID differs from the request's.")
    if expected_sop_class_uid is not None and str(ds.SOPClassUID) != expected_sop_class_uid:
        raise Rejected(DOES_NOT_MATCH_SOP_CLASS, "The data set's SOP Class UID differs from the request's.")
    media_uid = getattr(meta, "MediaStorageSOPInstanceUID", None)
    if media_uid is not None and str(media_uid) != sop_uid:
        raise Rejected(DOES_NOT_MATCH_SOP_CLASS, "The file meta and the data set name different SOP instances.")
    return Parsed(dataset=ds, transfer_syntax_uid=transfer_syntax, metadata=metadata)


def _deferred_bulk(ds: Dataset, size: int) -> dict[int, str]:
    """Top-level binary values left unread (large), checked to lie wholly inside the file: {tag: VR}."""
    deferred: dict[int, str] = {}
    for tag, elem in ds._dict.items():
        if not isinstance(elem, RawDataElement) or elem.value is not None:
            continue
        if elem.length != 0xFFFFFFFF and elem.value_tell + elem.length > size:
            raise Rejected(CANNOT_UNDERSTAND, f"The file is truncated: element {tag:08X} runs past its end.")
        vr = elem.VR or "UN"
        if vr in BINARY_VRS or tag == 0x7FE00010:
            deferred[tag] = "OB" if vr == "UN" and tag == 0x7FE00010 else vr
    return deferred


def _json(ds: Dataset, deferred: dict[int, str]) -> dict:
    header = Dataset()
    for tag in list(ds._dict):
        if tag not in deferred:
            header.add(ds[tag])  # converts the raw element (reading a deferred text value from the file)
    document = header.to_json_dict(bulk_data_threshold=BULK_THRESHOLD, bulk_data_element_handler=_bulk_uri)
    for tag, vr in deferred.items():
        document[f"{tag:08X}"] = {"vr": vr, "BulkDataURI": f"bulkdata/{tag:08X}"}
    return document


def _bulk_uri(elem) -> str:
    return f"bulkdata/{elem.tag:08X}"
