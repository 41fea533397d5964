"""An ingest's index transaction on SQLite commits without fsyncing under the write lock, and fsyncs the
write-ahead log after releasing it, before anything acts on the commit (``common.db.durable_after_unlock``)."""

from __future__ import annotations

import errno
import os
import sqlite3

import pytest
from django.db import connection, transaction
from pydicom.uid import generate_uid

from common import db as durable
from common.db import CommitNotDurable, durable_after_unlock
from pacs import services, storage
from pacs.models import Instance, Study
from tests.pacs.conftest import ct_dataset

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock and log; PostgreSQL commits as ever"),
]


def _synchronous() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        return cursor.fetchone()[0]


def _other_connection() -> sqlite3.Connection:
    return sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)


@pytest.fixture
def fsyncs(monkeypatch):
    """Each fsync of this process as (file name, what was true at that moment)."""
    seen = []
    real = os.fsync

    def spy(descriptor):
        name = os.readlink(f"/proc/self/fd/{descriptor}")
        if name.endswith("-wal"):
            other = _other_connection()
            try:
                other.execute("BEGIN IMMEDIATE")  # refused with "database is locked" while the writer holds it
                other.execute("ROLLBACK")
                unlocked = True
            except sqlite3.OperationalError:
                unlocked = False
            committed = other.execute("SELECT count(*) FROM pacs_study").fetchone()[0]
            other.close()
            seen.append((name, {"unlocked": unlocked, "rows seen": committed, "synchronous": _synchronous()}))
        real(descriptor)

    monkeypatch.setattr(durable.os, "fsync", spy)
    return seen


def test_the_log_is_fsynced_once_the_lock_is_released_and_before_the_commits_hooks(fsyncs):
    order = []
    with durable_after_unlock():
        assert _synchronous() == 1  # NORMAL: no fsync inside the commit
        Study.objects.create(study_instance_uid="1.2.826.0.1.3680043.10.999.71")
        transaction.on_commit(lambda: order.append(("hook", len(fsyncs))))
    assert [(name.rsplit("/", 1)[1], facts) for name, facts in fsyncs] == [
        ("test-lumen.sqlite3-wal", {"unlocked": True, "rows seen": 1, "synchronous": 2})
    ]
    assert order == [("hook", 1)]  # the other hooks ran after the fsync
    assert _synchronous() == 2  # FULL again for whatever the connection writes next


class _Stop(Exception):
    pass


def _create_then_fail() -> None:
    with durable_after_unlock():
        Study.objects.create(study_instance_uid="1.2.826.0.1.3680043.10.999.72")
        raise _Stop


def test_a_transaction_that_fails_fsyncs_nothing_and_leaves_the_connection_full(fsyncs):
    with pytest.raises(_Stop):
        _create_then_fail()
    assert fsyncs == []
    assert Study.objects.count() == 0
    assert _synchronous() == 2


def test_inside_an_outer_transaction_the_outer_commit_decides(fsyncs):
    with transaction.atomic():
        with durable_after_unlock():
            Study.objects.create(study_instance_uid="1.2.826.0.1.3680043.10.999.73")
        assert _synchronous() == 2  # never switched: the outer commit fsyncs, as every commit does
    assert fsyncs == []
    assert Study.objects.count() == 1


def test_an_ingest_answers_only_after_its_row_is_on_disk(tmp_path, storage_root, fsyncs):
    ds = ct_dataset(study_uid=generate_uid(), series_uid=generate_uid(), number=1)
    path = tmp_path / "one.dcm"
    ds.save_as(path, enforce_file_format=True)
    stored = services.ingest_file(path, source="TEST", owned=False)
    assert stored.outcome == "stored"
    assert [facts for _name, facts in fsyncs] == [{"unlocked": True, "rows seen": 1, "synchronous": 2}]
    assert _synchronous() == 2


def test_a_log_that_cannot_be_fsynced_fails_the_ingest_and_keeps_the_committed_rows_file(
    tmp_path, storage_root, monkeypatch
):
    def broken(descriptor):
        if os.readlink(f"/proc/self/fd/{descriptor}").endswith("-wal"):
            raise OSError(errno.EIO, "Input/output error")
        os.fdatasync(descriptor)

    monkeypatch.setattr(durable.os, "fsync", broken)
    ds = ct_dataset(study_uid=generate_uid(), series_uid=generate_uid(), number=1)
    path = tmp_path / "one.dcm"
    ds.save_as(path, enforce_file_format=True)
    with pytest.raises(CommitNotDurable, match="The database log could not be written to disk: .*Input/output"):
        services.ingest_file(path, source="TEST", owned=False)
    instance = Instance.objects.get(sop_instance_uid=str(ds.SOPInstanceUID))
    assert storage.absolute(instance.path).read_bytes() == path.read_bytes()  # no row without its file
    assert _synchronous() == 2
