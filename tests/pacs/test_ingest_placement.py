"""Where a received file goes, and when: the early peek at its UIDs, and the full parse's last word."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from pydicom import config, dcmread
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ImplicitVRLittleEndian,
    generate_uid,
)

from pacs import services, storage
from pacs.ingest import PEEK_BYTES, Rejected, check_preamble, peek_identity, valid_uid
from pacs.models import Instance
from tests.pacs.conftest import ct_dataset


def _write(tmp_path, ds, name="x.dcm", **kwargs):
    path = tmp_path / name
    ds.save_as(path, enforce_file_format=True, **kwargs)
    return path


def _identity(path):
    ds = dcmread(path)
    return str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID)


def _dirs(study_uid: str, series_uid: str) -> str:
    study = hashlib.sha256(study_uid.encode()).hexdigest()
    return f"{study[:2]}/{study[2:4]}/{study}/{hashlib.sha256(series_uid.encode()).hexdigest()[:16]}/"


def test_peek_reads_the_uids_of_explicit_and_implicit_files(tmp_path):
    ds = ct_dataset(study_uid=generate_uid(), series_uid=generate_uid(), number=1)
    explicit = _write(tmp_path, ds, "explicit.dcm")
    assert peek_identity(explicit) == _identity(explicit)
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    implicit = _write(tmp_path, ds, "implicit.dcm")
    assert peek_identity(implicit) == _identity(implicit)
    odd = ct_dataset(study_uid="1.2.3.45", series_uid="1.2.3.456", number=1)  # odd lengths: padded with NUL
    assert peek_identity(_write(tmp_path, odd, "odd.dcm")) == ("1.2.3.45", "1.2.3.456", str(odd.SOPInstanceUID))


def test_the_start_of_a_received_file_is_taken_from_its_kept_head(tmp_path):
    ds = ct_dataset(study_uid=generate_uid(), series_uid=generate_uid(), number=1)
    ds.add_new(0x00290010, "LO", "LUMEN TEST")
    ds.add_new(0x00291000, "OB", b"\x01" * PEEK_BYTES)  # after the UIDs: the file is longer than the head
    path = _write(tmp_path, ds, "received.dcm")
    head = path.read_bytes()[:PEEK_BYTES]
    path.write_bytes(b"\x00" * path.stat().st_size)  # the file no longer says: only the head can
    assert peek_identity(path, head) == (str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID))
    assert check_preamble(path, head) is False
    assert peek_identity(path, head[:-1]) is None  # a shorter head is not trusted: the file is read
    with pytest.raises(Rejected, match="'DICM' prefix"):
        check_preamble(path, head[:100])
    with pytest.raises(Rejected, match="holds an executable"):
        check_preamble(path, b"MZ" + head[2:])


@pytest.mark.parametrize("syntax", [ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian])
def test_peek_leaves_unusual_syntaxes_to_the_parse(tmp_path, syntax):
    ds = ct_dataset(study_uid=generate_uid(), series_uid=generate_uid(), number=1)
    ds.file_meta.TransferSyntaxUID = syntax
    assert peek_identity(_write(tmp_path, ds)) is None


def test_peek_gives_up_where_the_uids_are_not_simply_at_hand(tmp_path):
    ds = ct_dataset(study_uid=generate_uid(), series_uid=generate_uid(), number=1)
    item = Dataset()
    item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID = ds.SOPClassUID, generate_uid()
    ds.ReferencedImageSequence = Sequence([item])
    ds["ReferencedImageSequence"].is_undefined_length = True  # (0008,1140): before the study UID
    assert peek_identity(_write(tmp_path, ds, "undefined.dcm")) is None

    ds = ct_dataset(study_uid=generate_uid(), series_uid=generate_uid(), number=1)
    ds.add_new(0x00190010, "LO", "LUMEN TEST")
    ds.add_new(0x00191000, "OB", b"\x01" * PEEK_BYTES)  # a private blob pushes the UIDs out of the first bytes
    assert peek_identity(_write(tmp_path, ds, "far.dcm")) is None

    ds = ct_dataset(study_uid=generate_uid(), series_uid=generate_uid(), number=1)
    ds.SeriesInstanceUID = ["1.2.3", "1.2.4"]  # multiple: the parse refuses it
    assert peek_identity(_write(tmp_path, ds, "multiple.dcm")) is None

    ds = ct_dataset(study_uid="1.2.3a", series_uid=generate_uid(), number=1)  # not digits and dots
    assert peek_identity(_write(tmp_path, ds, "letters.dcm")) is None


@pytest.mark.django_db(transaction=True)
def test_files_the_peek_cannot_read_are_stored_where_their_uids_say(tmp_path, storage_root):
    ds = ct_dataset(study_uid=generate_uid(), series_uid=generate_uid(), number=1)
    ds.add_new(0x00190010, "LO", "LUMEN TEST")
    ds.add_new(0x00191000, "OB", b"\x01" * PEEK_BYTES)
    path = _write(tmp_path, ds)
    stored = services.ingest_file(path, source="TEST", owned=False)
    instance = Instance.objects.get(pk=stored.instance.pk)
    assert instance.path.startswith(_dirs(str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID)))
    assert storage.absolute(instance.path).read_bytes() == path.read_bytes()
    assert list(storage.incoming_dir().iterdir()) == []


@pytest.mark.django_db(transaction=True)
def test_the_parse_has_the_last_word_on_where_a_file_goes(tmp_path, storage_root):
    ds = ct_dataset(study_uid=generate_uid(), series_uid=generate_uid(), number=1)
    temp = storage.copy_to_temp(_write(tmp_path, ds))
    placement = services._Placement(temp, None)
    wrong = (generate_uid(), generate_uid(), str(ds.SOPInstanceUID))
    placement.start(wrong)
    early = storage.absolute(placement.relative)
    assert early.exists()
    assert not temp.exists()
    right = (str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID))
    relative = placement.settle(right)
    assert relative.startswith(_dirs(*right[:2]))
    assert storage.absolute(relative).exists()
    assert not early.exists()
    assert placement.durable()[1] == storage.absolute(relative).stat().st_size
    placement.close()  # not kept: nothing is left behind
    assert not storage.absolute(relative).exists()


def test_each_new_directory_is_made_durable_once_by_each_process(storage_root, monkeypatch):
    synced = []
    monkeypatch.setattr(storage, "fsync_dir", lambda path: synced.append(path))
    monkeypatch.setattr(storage, "_durable_dirs", set())
    relative = storage.relative_path("1.2.3", "1.2.3.4", "1.2.3.4.5")
    series_dir = storage.absolute(relative).parent
    # Another writer made the directories a moment ago and has not fsynced their parents yet: this process
    # still fsyncs each entry before it relies on them.
    series_dir.mkdir(parents=True)
    for name in ("a", "b"):
        temp = storage.new_temp_path()
        storage.move_into_place(temp, storage.relative_path("1.2.3", "1.2.3.4", name))
    chain = [series_dir, series_dir.parent, series_dir.parent.parent, series_dir.parent.parent.parent]
    # root's entry first, each once, not again for "b"
    assert [Path(p) for p in synced] == [d.parent for d in reversed(chain)]

    # Removed behind Lumen's back: made again rather than failing every store into it.
    for path in series_dir.iterdir():
        path.unlink()
    series_dir.rmdir()
    temp = storage.new_temp_path()
    storage.move_into_place(temp, storage.relative_path("1.2.3", "1.2.3.4", "c"))
    assert series_dir.is_dir()
    assert len(list(series_dir.iterdir())) == 1

    # The whole study's directory removed, and a new series of it arrives: its chain is made again from the root.
    shutil.rmtree(series_dir.parent)
    temp = storage.new_temp_path()
    placed = storage.move_into_place(temp, storage.relative_path("1.2.3", "1.2.3.9", "d"))
    assert placed.is_file()
    assert placed.parent.parent == series_dir.parent
    assert not temp.exists()


@pytest.mark.parametrize(
    "value",
    [
        "1.2.840.10008.1.2.1",
        " 1.2.3 ",
        "1.2.3\0",
        "0.0",
        "1.02.3",
        "1..2",
        "1.2.",
        ".1.2",
        "1.2.3a",
        "1.2/../3",
        "1.2.3\n",
        "",
        "  ",
        "1." + "2" * 62,
        "1." + "2" * 63,
        " 1." + "2" * 62,  # 64 characters once stripped, 65 as given
        "١.٢",
    ],
)
def test_valid_uid_agrees_with_pydicom(value):
    expected = 0 < len(value) <= 64 and UID(value, validation_mode=config.IGNORE).is_valid
    assert valid_uid(value) is expected


def test_valid_uid_refuses_what_is_not_text():
    assert [valid_uid(value) for value in (None, 1.2, b"1.2.3", ["1.2.3"])] == [False] * 4


def test_a_received_instance_is_parsed_from_its_kept_head_and_fsynced_through_its_writers_descriptor(
    listener, scu_node, monkeypatch
):
    """Over C-STORE the header is read from the bytes kept as they arrived (the file is not opened to parse it),
    and the file is fsynced through the receiver's own descriptor, which stays its receiver's to close."""
    from pynetdicom import AE
    from pynetdicom.sop_class import CTImageStorage

    from pacs import ingest
    from tests.pacs.conftest import SCU_AE

    opened, sealed = [], []
    read_directly, seal = ingest._read_directly, storage.seal
    monkeypatch.setattr(ingest, "_read_directly", lambda path: opened.append(path) or read_directly(path))
    monkeypatch.setattr(
        storage, "seal", lambda *args, **kwargs: sealed.append((args[0], kwargs["descriptor"])) or seal(*args, **kwargs)
    )
    ae = AE(SCU_AE)
    ae.add_requested_context(CTImageStorage, "1.2.840.10008.1.2.1")
    assoc = ae.associate(listener.host, listener.port, ae_title=listener.ae_title)
    study, series = generate_uid(), generate_uid()
    sent = [ct_dataset(study_uid=study, series_uid=series, number=n, size=256) for n in (1, 2)]
    try:
        for ds in sent:
            assert assoc.send_c_store(ds).Status == 0
    finally:
        assoc.release()
    assert opened == []
    assert len(sealed) == 2
    assert all(handle is None and isinstance(descriptor, int) for handle, descriptor in sealed)
    for ds in sent:
        instance = Instance.objects.get(sop_instance_uid=ds.SOPInstanceUID)
        data = storage.absolute(instance.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == instance.sha256
        assert instance.size_bytes == len(data)
        assert instance.metadata == ingest._read_directly(storage.absolute(instance.path))[2]
    assert list((storage.incoming_dir()).iterdir()) == []  # no temporary left behind


@pytest.mark.django_db(transaction=True)
def test_the_durability_job_runs_beside_the_parse_alone_and_in_the_ingesting_thread_when_others_run(
    tmp_path, storage_root, monkeypatch
):
    """One ingest at a time: the file's fsync runs in a pool thread while the header is parsed. While the process
    runs others, it runs in the ingesting thread when its result is needed: the others keep the processor busy."""
    import threading

    threads = []
    seal = storage.seal
    monkeypatch.setattr(
        storage, "seal", lambda *args, **kwargs: threads.append(threading.current_thread()) or seal(*args, **kwargs)
    )
    study, series = generate_uid(), generate_uid()
    first = _write(tmp_path, ct_dataset(study_uid=study, series_uid=series, number=1), "1.dcm")
    second = _write(tmp_path, ct_dataset(study_uid=study, series_uid=series, number=2), "2.dcm")
    assert services.ingest_file(first, source="T", owned=False).outcome == "stored"
    assert threads[-1] is not threading.current_thread()
    assert threads[-1].name.startswith("lumen-fsync")
    with services._ingesting:  # another ingest under way in this process
        stored = services.ingest_file(second, source="T", owned=False)
    assert stored.outcome == "stored"
    assert threads[-1] is threading.current_thread()
    assert services._ingesting.count == 0
    for path, number in ((first, 1), (second, 2)):
        instance = Instance.objects.get(series__series_instance_uid=series, instance_number=number)
        data = storage.absolute(instance.path).read_bytes()
        assert data == path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == instance.sha256


def test_a_job_run_when_asked_runs_once_keeps_its_error_and_may_be_cancelled_before():
    from concurrent.futures import CancelledError

    calls = []
    job = services._Later(lambda x: calls.append(x) or x * 2, 21)
    assert job.exception() is None
    assert calls == []  # not run until asked
    assert job.result() == 42
    assert job.result() == 42
    assert calls == [21]
    assert job.cancel() is False  # done already

    def failing():
        calls.append("failing")
        raise storage.StorageFull(28, "The image store is full")

    broken = services._Later(failing)
    with pytest.raises(storage.StorageFull):
        broken.result()
    assert isinstance(broken.exception(), storage.StorageFull)
    with pytest.raises(storage.StorageFull):
        broken.result()
    assert calls == [21, "failing"]

    never = services._Later(failing)
    assert never.cancel() is True
    assert isinstance(never.exception(), CancelledError)
    assert calls == [21, "failing"]


@pytest.mark.django_db(transaction=True)
def test_what_an_ingest_returns_holds_the_rows_it_stored_in_and_builds_them_only_when_asked(tmp_path, storage_root):
    study, series = generate_uid(), generate_uid()
    paths = [_write(tmp_path, ct_dataset(study_uid=study, series_uid=series, number=n), f"{n}.dcm") for n in (1, 2)]
    first = services.ingest_file(paths[0], source="T", owned=False)
    second = services.ingest_file(paths[1], source="T", owned=False)  # study and series known to the process now
    assert (first.created_study, second.created_study) == (True, False)
    assert callable(second._instance)  # not built yet
    assert callable(second._study)
    row = Instance.objects.select_related("series__study").get(sop_instance_uid=dcmread(paths[1]).SOPInstanceUID)
    assert second.instance.pk == row.pk
    assert second.instance.series.pk == row.series.pk
    assert second.instance.series.series_instance_uid == series
    assert second.instance.path == row.path
    assert second.instance.sha256 == row.sha256
    assert (second.study.pk, second.study.study_instance_uid) == (row.series.study.pk, study)
    assert second.study is second.study  # built once
    assert first.study.pk == second.study.pk
    assert services.ingest_file(paths[1], source="T", owned=False).instance.pk == row.pk  # a duplicate: the first copy
