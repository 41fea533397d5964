"""The header read straight from the bytes (``pacs.dicomjson``) equals pydicom's reading, or steps aside."""

from __future__ import annotations

import random
import struct
from io import BytesIO
from pathlib import Path

import pytest
from pydicom.data import get_testdata_files
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from pacs import ingest
from pacs.ingest import Rejected
from tests.pacs.conftest import ct_dataset, write_series

TEST_FILES = sorted(p for p in map(Path, get_testdata_files()) if p.is_file())


def _both(path: Path):
    fast = ingest._read_directly(path)
    try:
        slow = ingest._read_with_pydicom(path)
    except (Rejected, OSError):  # refused (OSError: pydicom found no tag where one should be)
        slow = None
    return fast, slow


def test_every_pydicom_test_file_it_reads_gives_pydicoms_document():
    read = 0
    for path in TEST_FILES:
        fast, slow = _both(path)
        if fast is None:
            continue
        read += 1
        assert fast == slow, path.name
    assert read >= 100  # most of them: explicit VR little endian, plain or compressed


def test_a_full_header_with_sequences_names_numbers_and_bulk_data(tmp_path):
    ds = ct_dataset(study_uid=generate_uid(), series_uid=generate_uid(), number=7, patient_name="Müller^Zoë=ミュラー")
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.PixelSpacing = ["0.488281", "0.488281"]
    ds.ImagePositionPatient = ["-125", "-125.5", "1.25E2"]
    ds.WindowCenter, ds.WindowWidth = "40\\400", "400\\1500"
    ds.add_new(0x00181310, "US", [0, 512, 512, 0])  # Acquisition Matrix
    ds.add_new(0x00200052, "UI", "1.2.3.4.5\0")
    ds.add_new(0x00189327, "FD", 12.5)  # Table Position
    ds.add_new(0x00280106, "US", 0)
    ds.add_new(0x00091001, "OB", b"\x01\x02\x03")  # private, small: inline
    ds.add_new(0x00091002, "OB", b"\x00" * 3500)  # over 3 KB: bulk data, in place
    ds.add_new(0x00091003, "OW", b"\x00" * 5000)  # over 4 KB: bulk data
    item = Dataset()
    item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID = ds.SOPClassUID, generate_uid()
    nested = Dataset()
    nested.CodeValue, nested.CodingSchemeDesignator, nested.CodeMeaning = "121311", "DCM", "Localizer"
    item.PurposeOfReferenceCodeSequence = Sequence([nested])
    ds.ReferencedImageSequence = Sequence([item, Dataset()])
    ds.ProcedureCodeSequence = Sequence([])
    path = tmp_path / "full.dcm"
    ds.save_as(path, enforce_file_format=True)
    for undefined in (False, True):
        if undefined:
            ds["ReferencedImageSequence"].is_undefined_length = True
            for each in ds.ReferencedImageSequence:
                each.is_undefined_length_sequence_item = True
            ds.save_as(path, enforce_file_format=True)
        fast, slow = _both(path)
        assert fast is not None
        assert fast == slow
    document = fast[2]
    assert document["00100010"] == {"vr": "PN", "Value": [{"Alphabetic": "Müller^Zoë", "Ideographic": "ミュラー"}]}
    assert document["00280030"] == {"vr": "DS", "Value": [0.488281, 0.488281]}
    assert document["00091003"] == {"vr": "OW", "BulkDataURI": "bulkdata/00091003"}
    assert document["7FE00010"] == {"vr": "OW", "BulkDataURI": "bulkdata/7FE00010"}


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (
            lambda ds: (
                ds.file_meta.__setitem__("TransferSyntaxUID", ds.file_meta["TransferSyntaxUID"])
                or setattr(ds.file_meta, "TransferSyntaxUID", "1.2.840.10008.1.2")
            ),
            "implicit VR",
        ),
        (lambda ds: setattr(ds, "SpecificCharacterSet", "ISO 2022 IR 87"), "a character set it does not read"),
        (lambda ds: ds.add_new(0x00091010, "UN", b"1234"), "UN"),
        (lambda ds: setattr(ds, "InstanceNumber", "7.0"), "an IS pydicom reads its own way"),
    ],
)
def test_it_steps_aside_where_it_is_not_sure(tmp_path, change, why):
    ds = ct_dataset(study_uid=generate_uid(), series_uid=generate_uid(), number=1)
    change(ds)
    path = tmp_path / "odd.dcm"
    ds.save_as(path, enforce_file_format=True)
    assert ingest._read_directly(path) is None, why


def test_damaged_files_are_read_as_pydicom_reads_them_or_left_to_it(tmp_path):
    """Bytes flipped and files cut short: it reads them as pydicom does, or leaves them to pydicom; it never
    raises, and never accepts what pydicom refuses."""
    rng = random.Random(20261205)
    bases = [p for p in TEST_FILES if p.stat().st_size < 600_000 and ingest._read_directly(p) is not None]
    path = tmp_path / "damaged.dcm"
    read = 0
    for _ in range(400):
        data = bytearray(rng.choice(bases).read_bytes())
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(132, min(len(data), 3132))] = rng.randrange(256)
        if rng.random() < 0.2:
            data = data[: rng.randrange(132, len(data))]
        path.write_bytes(data)
        fast, slow = _both(path)
        if fast is not None:
            read += 1
            assert fast == slow
    assert read > 100


def _raw(tag: int, vr: str, value: bytes) -> bytes:
    group, element = tag >> 16, tag & 0xFFFF
    if vr in ("OB", "OW", "SQ", "UN", "UT", "UC", "UR"):
        return struct.pack("<HH2sHI", group, element, vr.encode(), 0, len(value)) + value
    return struct.pack("<HH2sH", group, element, vr.encode(), len(value)) + value


STUDY = (
    _raw(0x00080016, "UI", b"1.2.840.10008.5.1.4.1.1.7\0")
    + _raw(0x00080018, "UI", b"1.2.3.4\0")
    + _raw(0x0020000D, "UI", b"1.2.3.5\0")
)
SERIES = _raw(0x0020000E, "UI", b"1.2.3.6\0")
IDENTITY = STUDY + SERIES


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (_raw(0x00100010, "PN", b"M\xc3\xbcller") + _raw(0x00080005, "CS", b"ISO_IR 192") + IDENTITY, "out of order"),
        (_raw(0x00080005, "CS", b" ISO_IR 192") + IDENTITY, "a character set name with a leading space"),
        (IDENTITY + _raw(0x00091010, "LO", b"A\x1b(BX "), "an escape sequence"),
        (IDENTITY + _raw(0x00200013, "IS", b"12345678901234567 "), "an IS too long for pydicom's float"),
        (IDENTITY + _raw(0x7FE00010, "UT", b"a" * 5000), "Pixel Data that is not binary"),
        (STUDY + _raw(0xFFFEE00D, "UI", b"") + SERIES, "a delimiter out of place"),
    ],
)
def test_it_steps_aside_for_what_pydicom_reads_its_own_way(tmp_path, body, why):
    path = tmp_path / "raw.dcm"
    meta = Dataset()
    meta.file_meta = FileMetaDataset()
    meta.file_meta.MediaStorageSOPClassUID, meta.file_meta.MediaStorageSOPInstanceUID = (
        "1.2.840.10008.5.1.4.1.1.7",
        "1.2.3.4",
    )
    meta.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buffer = BytesIO()
    meta.save_as(buffer, enforce_file_format=True)
    path.write_bytes(buffer.getvalue() + body)
    assert ingest._read_directly(path) is None, why


def test_sequences_nested_deeper_than_any_modality_writes_are_left_to_pydicom(tmp_path):
    ds = ct_dataset(study_uid=generate_uid(), series_uid=generate_uid(), number=1)
    inner = Dataset()
    inner.CodeValue = "1"
    for _ in range(40):
        outer = Dataset()
        outer.ConceptNameCodeSequence = Sequence([inner])
        inner = outer
    ds.ContentSequence = Sequence([inner])
    path = tmp_path / "deep.dcm"
    ds.save_as(path, enforce_file_format=True)
    assert ingest._read_directly(path) is None


def test_a_header_within_the_first_bytes_is_read_from_them_as_from_the_whole_file():
    """A received file's kept head and size: the same document as the whole file gives, or None (then the whole
    file is read); never a different one."""
    from_head = 0
    for path in TEST_FILES:
        data = path.read_bytes()
        whole = ingest._read_directly(path)
        head = ingest._read_head(data[: ingest.PEEK_BYTES], len(data))
        if head is None:
            continue
        from_head += 1
        assert head == whole, path.name
        assert len(data) > ingest.PEEK_BYTES or head == ingest._read_head(data, len(data)), path.name
    assert from_head >= 60  # most: their pixel data, read by no one, starts within the first 16 KB


def test_the_head_is_not_taken_for_a_file_that_ends_too_soon_or_a_header_that_runs_past_it(tmp_path):
    _, (path,) = write_series(tmp_path, 1, size=256)
    data = path.read_bytes()
    head = data[: ingest.PEEK_BYTES]
    document = ingest._read_head(head, len(data))
    assert document is not None
    assert document == ingest._read_directly(path)
    # The pixel data would end past the file's end (a truncated file): not read from the head...
    assert ingest._read_head(head, len(data) - 1) is None
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[:-1])
    with pytest.raises(Rejected, match="truncated"):  # ...but from the file, by pydicom, which refuses it
        ingest.parse(cut, head=head, size=len(data) - 1)
    assert ingest._read_head(head, len(head) - 1) is None  # a size smaller than what is at hand
    # Header elements (not bulk data) that run past what is at hand: the whole file has to be read.
    assert ingest._read_head(data[:400], len(data)) is None
    assert ingest.parse(path, head=data[:400], size=len(data)).metadata == document[2]
