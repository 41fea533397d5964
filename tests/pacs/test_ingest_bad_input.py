"""Bad input to ingest: each gets a specific refusal, nothing half-written, nothing outside the storage root,
and what was stored before stays intact."""

import errno
import hashlib
import os

import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

from pacs import services, storage
from pacs.ingest import Rejected
from pacs.models import Instance, Study
from tests.pacs.conftest import ct_dataset, write_series


@pytest.fixture
def first_study(storage_root, db, tmp_path):
    _uid, paths = write_series(tmp_path / "first", 2)
    for path in paths:
        services.ingest_file(path, source="TEST", owned=False)
    return paths


def files_under(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def assert_nothing_new(storage_root, before):
    assert files_under(storage_root) == before
    assert Instance.objects.count() == 2


def save(ds, path):
    ds.save_as(path, enforce_file_format=True)
    return path


def new_ct(**kwargs):
    return ct_dataset(study_uid=generate_uid(), series_uid=generate_uid(), number=1, **kwargs)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda ds: delattr(ds, "StudyInstanceUID"), "StudyInstanceUID is missing or malformed"),
        (lambda ds: setattr(ds, "SeriesInstanceUID", "1.2.3.abc"), "SeriesInstanceUID is missing or malformed"),
        (lambda ds: setattr(ds, "StudyInstanceUID", "../../etc/passwd"), "StudyInstanceUID is missing or malformed"),
        (lambda ds: setattr(ds, "SOPInstanceUID", "1.2/3"), "SOPInstanceUID is missing or malformed"),
        (lambda ds: setattr(ds, "SOPInstanceUID", "1." + "2" * 70), "SOPInstanceUID is missing or malformed"),
    ],
)
def test_missing_or_malformed_uids_are_refused(first_study, storage_root, tmp_path, mutate, reason):
    before = files_under(storage_root)
    ds = new_ct()
    mutate(ds)
    ds.file_meta.MediaStorageSOPInstanceUID = ds.get("SOPInstanceUID", generate_uid())
    path = tmp_path / "bad.dcm"
    ds.save_as(path, enforce_file_format=True)
    with pytest.raises(Rejected) as caught:
        services.ingest_file(path, source="TEST", owned=False)
    assert caught.value.status == 0xC000
    assert caught.value.reason.startswith(reason)
    assert_nothing_new(storage_root, before)


def test_a_truncated_file_is_refused(first_study, storage_root):
    before = files_under(storage_root)
    with pytest.raises(Rejected) as caught:
        services.ingest_file(get_testdata_file("MR_truncated.dcm", download=False), source="TEST", owned=False)
    assert caught.value.reason == "The file is truncated: element 7FE00010 runs past its end."
    assert_nothing_new(storage_root, before)


def test_a_file_without_meta_header_is_refused(first_study, storage_root):
    before = files_under(storage_root)
    with pytest.raises(Rejected) as caught:
        services.ingest_file(get_testdata_file("no_meta.dcm", download=False), source="TEST", owned=False)
    assert caught.value.reason == "Not a DICOM file: the 128-byte preamble and 'DICM' prefix are missing."
    assert_nothing_new(storage_root, before)


def test_an_executable_in_the_preamble_is_refused(first_study, storage_root, tmp_path):
    before = files_under(storage_root)
    path = save(new_ct(), tmp_path / "polyglot.dcm")
    with open(path, "r+b") as handle:
        handle.write(b"MZ\x90\x00" + b"\x00" * 60 + b"This program cannot be run in DOS mode.")
    with pytest.raises(Rejected) as caught:
        services.ingest_file(path, source="TEST", owned=False)
    assert caught.value.reason == "Refused: the file preamble holds an executable or script."
    assert_nothing_new(storage_root, before)


def test_other_preamble_bytes_are_zeroed_when_stored(storage_root, db, tmp_path):
    path = save(new_ct(), tmp_path / "noisy.dcm")
    with open(path, "r+b") as handle:
        handle.write(b"written by some old modality".ljust(128, b"."))
    stored = services.ingest_file(path, source="TEST", owned=False)
    assert storage.absolute(stored.instance.path).read_bytes()[:128] == b"\x00" * 128


def test_a_digest_taken_before_the_preamble_was_zeroed_is_not_kept(storage_root, db, tmp_path):
    """STOW-RS parts are hashed as they arrive; zeroing the preamble afterwards changes the file, so the index
    must hold the hash of what is stored, not of what was sent."""
    path = save(new_ct(), tmp_path / "noisy.dcm")
    with open(path, "r+b") as handle:
        handle.write(b"written by some old modality".ljust(128, b"."))
    sent = path.read_bytes()
    temp = storage.copy_to_temp(path)
    stored = services.ingest_file(temp, source="TEST", owned=True, digest=(hashlib.sha256(sent).hexdigest(), len(sent)))
    kept = storage.absolute(stored.instance.path).read_bytes()
    assert kept[:128] == b"\x00" * 128
    assert stored.instance.sha256 == hashlib.sha256(kept).hexdigest() != hashlib.sha256(sent).hexdigest()


def test_a_full_disk_answers_out_of_resources_and_keeps_what_was_stored(
    first_study, storage_root, tmp_path, monkeypatch
):
    before = files_under(storage_root)

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(Rejected) as caught:
        services.ingest_file(save(new_ct(), tmp_path / "new.dcm"), source="TEST", owned=False)
    assert (caught.value.status, caught.value.reason) == (
        0xA700,
        "The image store is full; the instance was not stored.",
    )
    monkeypatch.undo()
    assert_nothing_new(storage_root, before)
    for instance in Instance.objects.all():
        assert storage.sha256_of(storage.absolute(instance.path)) == instance.sha256


def test_a_database_failure_after_the_rename_leaves_no_file(storage_root, db, tmp_path, monkeypatch):
    def broken(study):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "link_study", broken)
    with pytest.raises(RuntimeError):
        services.ingest_file(save(new_ct(), tmp_path / "x.dcm"), source="TEST", owned=False)
    assert files_under(storage_root) == []
    assert Study.objects.count() == 0


def test_paths_are_hashes_of_uids_and_stay_inside_the_root(storage_root, db, tmp_path):
    stored = services.ingest_file(save(new_ct(), tmp_path / "ok.dcm"), source="TEST", owned=False)
    path = stored.instance.path
    assert stored.instance.sop_instance_uid not in path
    assert storage.absolute(path).is_relative_to(storage_root)
    with pytest.raises(ValueError, match="escapes the storage root"):
        storage.absolute("../../etc/passwd")


@pytest.mark.parametrize("name", ["JPEG2000.dcm", "SC_rgb_jpeg.dcm", "MR_small_RLE.dcm", "examples_jpeg2k.dcm"])
def test_compressed_transfer_syntaxes_are_stored_byte_for_byte_as_sent(storage_root, db, name):
    source = get_testdata_file(name, download=False)
    stored = services.ingest_file(source, source="TEST", owned=False)
    assert storage.sha256_of(storage.absolute(stored.instance.path)) == storage.sha256_of(source)
    assert stored.instance.transfer_syntax_uid == str(dcmread(source).file_meta.TransferSyntaxUID)


def test_the_same_instance_twice_keeps_one_copy_and_one_row(
    storage_root, db, settings, django_capture_on_commit_callbacks
):
    rle = get_testdata_file("MR_small_RLE.dcm", download=False)
    jpeg_ls = get_testdata_file("MR_small_jpeg_ls_lossless.dcm", download=False)  # same SOP Instance UID
    first = services.ingest_file(rle, source="A", owned=False)
    again = services.ingest_file(jpeg_ls, source="B", owned=False)
    assert (first.outcome, again.outcome) == ("stored", "duplicate")
    assert again.instance.pk == first.instance.pk
    assert Instance.objects.count() == 1
    assert files_under(storage_root) == [first.instance.path]  # the second copy was never placed
    # Edited to be another instance, but its meta header still names the stored one: refused, not a duplicate.
    edited = dcmread(jpeg_ls)
    edited.SOPInstanceUID = generate_uid()
    edited.save_as(storage_root.parent / "edited.dcm")
    assert str(edited.file_meta.MediaStorageSOPInstanceUID) == first.instance.sop_instance_uid
    with pytest.raises(Rejected) as refused:
        services.ingest_file(storage_root.parent / "edited.dcm", source="C", owned=False)
    assert (refused.value.status, refused.value.reason) == (
        0xA900,
        "The file meta and the data set name different SOP instances.",
    )
    # A C-STORE whose request names the stored instance but whose data set is another one: refused too.
    with pytest.raises(Rejected) as refused:
        services.ingest_file(
            storage_root.parent / "edited.dcm",
            source="C",
            owned=False,
            expected_sop_instance_uid=first.instance.sop_instance_uid,
        )
    assert refused.value.status == 0xA900
    assert files_under(storage_root) == [first.instance.path]
    assert Instance.objects.count() == 1
    assert Instance.objects.get().transfer_syntax_uid == "1.2.840.10008.1.2.5"
    settings.LUMEN_DUPLICATE_POLICY = "replace"
    with django_capture_on_commit_callbacks(execute=True):
        replaced = services.ingest_file(jpeg_ls, source="B", owned=False)
    instance = Instance.objects.get()
    assert replaced.outcome == "replaced"
    assert (instance.transfer_syntax_uid, instance.received_from) == ("1.2.840.10008.1.2.4.80", "B")
    assert storage.sha256_of(storage.absolute(instance.path)) == storage.sha256_of(jpeg_ls)
    assert files_under(storage_root) == [instance.path]
    assert (Study.objects.get().number_of_instances, Study.objects.get().number_of_series) == (1, 1)
