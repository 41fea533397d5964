"""Reading and checking one received DICOM file before it is indexed (PS3.10 file format)."""

from __future__ import annotations

import mmap
import os
import re
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from struct import unpack_from

from pydicom import dcmread
from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import BytesLengthException, InvalidDicomError
from pydicom.uid import RE_VALID_UID

from pacs import dicomjson

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
    """A checked header: its transfer syntax and its DICOM JSON, from which the index takes its values."""

    transfer_syntax_uid: str
    metadata: dict

    def values(self, keyword: str) -> list:
        return self.metadata.get(_json_key(keyword), {}).get("Value") or []

    def text(self, keyword: str, limit: int) -> str:
        """The value as DICOM writes it (multiple values joined with backslashes, a person name's groups with
        '='), trimmed to ``limit`` characters."""
        parts = [
            "=".join(v[group] for group in PN_GROUPS if group in v) if isinstance(v, dict) else str(v)
            for v in self.values(keyword)
        ]
        return "\\".join(parts).strip()[:limit]

    def integer(self, keyword: str) -> int | None:
        values = self.values(keyword)
        return values[0] if len(values) == 1 and isinstance(values[0], int) else None

    def uid(self, keyword: str) -> str:
        """The single UID; empty if there is none or several."""
        values = self.values(keyword)
        return values[0] if len(values) == 1 and isinstance(values[0], str) else ""


PN_GROUPS = ("Alphabetic", "Ideographic", "Phonetic")


@lru_cache(maxsize=256)
def _json_key(keyword: str) -> str:
    return f"{tag_for_keyword(keyword):08X}"


def check_preamble(path: Path | str, head: bytes | None = None) -> bool:
    """Refuse files whose preamble carries an executable; True when the preamble must be zeroed before storing.
    ``head``: the file's first bytes, when at hand (a received file keeps them), saving a read."""
    if head is None or len(head) < 132:
        with open(path, "rb", buffering=0) as handle:
            head = handle.read(132)
    head = head[:132]
    if len(head) < 132 or head[128:132] != b"DICM":
        raise Rejected(CANNOT_UNDERSTAND, "Not a DICOM file: the 128-byte preamble and 'DICM' prefix are missing.")
    preamble = head[:128]
    if preamble.startswith(EXECUTABLE_SIGNATURES):
        raise Rejected(CANNOT_UNDERSTAND, "Refused: the file preamble holds an executable or script.")
    return any(preamble) and not preamble.startswith(TIFF_SIGNATURES)


def zero_preamble(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.write(b"\x00" * 128)


PEEK_BYTES = 16384
_UID_TEXT = re.compile(r"[0-9.]{1,64}")
_IDENTITY_SLOTS = {0x0020000D: 0, 0x0020000E: 1, 0x00080018: 2}


def peek_identity(path: Path | str, head: bytes | None = None) -> tuple[str, str, str] | None:
    """(Study, Series, SOP Instance UID) read straight from the first bytes of a Part-10 file, or None where that
    is not simple: the UIDs lie further in, an element of undefined length comes before them, a value is
    multiple or empty, the transfer syntax is big endian or deflated.

    A hint only, so a received file can go to its final place (and to disk) while the full parse runs; ``parse``
    has the last word, and the caller moves the file again in the unlikely case they disagree. ``head``: the
    file's first ``PEEK_BYTES`` bytes, when at hand (a received file keeps them); a shorter head is not used.
    """
    if head is not None and len(head) >= PEEK_BYTES:
        data = bytes(head[:PEEK_BYTES])
    else:
        with open(path, "rb", buffering=0) as handle:
            data = handle.read(PEEK_BYTES)
    meta = dicomjson.file_meta(data)
    if meta is None or meta[0] in (dicomjson.EXPLICIT_VR_BIG_ENDIAN, dicomjson.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN):
        return None
    syntax, _, pos = meta
    explicit = syntax != dicomjson.IMPLICIT_VR_LITTLE_ENDIAN
    found: list[str | None] = [None, None, None]
    while pos + 8 <= len(data):
        group, element = unpack_from("<HH", data, pos)
        tag = group << 16 | element
        if tag > 0x0020000E:
            break
        header = dicomjson.element_header(data, pos, explicit=explicit)
        if header is None or header[0] == dicomjson.UNDEFINED:
            return None
        length, pos = header
        slot = _IDENTITY_SLOTS.get(tag)
        if slot is not None:
            if pos + length > len(data):
                return None
            value = data[pos : pos + length].decode("latin-1").rstrip("\0 ")
            if not _UID_TEXT.fullmatch(value):
                return None  # empty, multiple, or not plain digits and dots: left to the parse
            found[slot] = value
        pos += length
    study, series, sop = found
    return (study, series, sop) if study and series and sop else None


def valid_uid(value) -> bool:
    """pydicom's ``UID(value).is_valid``, not empty (without building the UID: this runs for every UID ingested)."""
    return isinstance(value, str) and 0 < len(value) <= 64 and RE_VALID_UID.match(value.strip()) is not None


def parse(
    path: Path | str,
    *,
    expected_sop_instance_uid: str | None = None,
    expected_sop_class_uid: str | None = None,
    head: bytes | None = None,
    size: int | None = None,
) -> Parsed:
    """Parse the header, check the file is whole and its identity sound, and build its DICOM JSON metadata.

    Most files are read by ``pacs.dicomjson`` straight from their bytes; what it is not sure of, pydicom reads
    (and says what is wrong with a broken file). Both give the same document. ``head`` and ``size``: the file's
    first bytes as written and its size, when at hand (a received file): a header that lies wholly in them is read
    from them, without opening the file."""
    header = None
    if head is not None and size is not None:
        header = _read_head(head, size)
    header = header or _read_directly(path) or _read_with_pydicom(path)
    transfer_syntax, media_uid, metadata = header
    parsed = Parsed(transfer_syntax_uid=transfer_syntax, metadata=metadata)
    if not valid_uid(transfer_syntax):
        raise Rejected(CANNOT_UNDERSTAND, "The file meta information has no valid Transfer Syntax UID.")
    for keyword in REQUIRED_UIDS:
        if not valid_uid(parsed.uid(keyword)):
            raise Rejected(
                CANNOT_UNDERSTAND,
                f"{keyword} is missing or malformed: UIDs are up to 64 digits and dots, e.g. 1.2.840.10008.",
            )
    sop_uid = parsed.uid("SOPInstanceUID")
    if expected_sop_instance_uid is not None and sop_uid != expected_sop_instance_uid:
        raise Rejected(DOES_NOT_MATCH_SOP_CLASS, "The data set's SOP Instance UID differs from the request's.")
    if expected_sop_class_uid is not None and parsed.uid("SOPClassUID") != expected_sop_class_uid:
        raise Rejected(DOES_NOT_MATCH_SOP_CLASS, "The data set's SOP Class UID differs from the request's.")
    if media_uid is not None and media_uid != sop_uid:
        raise Rejected(DOES_NOT_MATCH_SOP_CLASS, "The file meta and the data set name different SOP instances.")
    return parsed


def _read_head(data, size: int) -> tuple[str, str | None, dict] | None:
    """(transfer syntax, Media Storage SOP Instance UID, DICOM JSON) by ``pacs.dicomjson`` from a file's bytes:
    all of them, or its first ones and its size (None also where the header runs past them)."""
    meta = dicomjson.file_meta(data)
    if meta is None:
        return None
    syntax, media_uid, start = meta
    document = dicomjson.read(data, syntax, start, size)
    return None if document is None else (syntax, media_uid, document)


def _read_directly(path: Path | str) -> tuple[str, str | None, dict] | None:
    """``_read_head`` of the whole file, mapped into memory; None where ``pacs.dicomjson`` is not sure."""
    try:
        with open(path, "rb", buffering=0) as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _read_head(data, len(data))
    except (OSError, ValueError):  # an empty file cannot be mapped: pydicom says what is wrong
        return None


def _read_with_pydicom(path: Path) -> tuple[str, str | None, dict]:
    size = os.path.getsize(path)
    try:
        with open(path, "rb") as handle:
            ds = dcmread(handle, defer_size=BULK_THRESHOLD)
            deferred = _deferred_bulk(ds, size)
            metadata = _json(ds, deferred)
            meta = getattr(ds, "file_meta", None)
            syntax = str(getattr(meta, "TransferSyntaxUID", "") or "")
            media_uid = getattr(meta, "MediaStorageSOPInstanceUID", None)
    except Rejected:
        raise
    except (
        InvalidDicomError,
        BytesLengthException,
        EOFError,
        ValueError,
        KeyError,
        TypeError,
        OverflowError,
        NotImplementedError,
        struct.error,
    ) as exc:
        raise Rejected(CANNOT_UNDERSTAND, f"The DICOM file cannot be read: {str(exc)[:200]}") from exc
    return syntax, str(media_uid) if media_uid is not None else None, metadata


def _deferred_bulk(ds: Dataset, size: int) -> dict[int, str]:
    """Top-level binary values left unread (large), checked to lie wholly inside the file: {tag: VR}."""
    deferred: dict[int, str] = {}
    for tag, elem in ds._dict.items():
        if not isinstance(elem, RawDataElement) or elem.value is not None or elem.length == 0:
            continue  # read already, or empty: an empty value is no bulk data
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
