"""kill -9 of the listener during ingest: every acknowledged instance is present and valid after restart, and no
index row lacks its file; files the crash left without a row are removed at start."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from pydicom import dcmread
from pynetdicom import AE
from pynetdicom.sop_class import CTImageStorage

from pacs import storage
from pacs.models import Instance
from tests.pacs.conftest import SCU_AE, free_port, write_series

BASE_DIR = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = db["USER"] or "postgres"
        return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def start_listener(port: int, processes: int = 1) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "LUMEN_STORAGE_ROOT": str(settings.STORAGE_ROOT),
        "LUMEN_ORPHAN_MIN_AGE_SECONDS": "0",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "dicom_listener",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--ae-title",
            "LUMEN",
            "--processes",
            str(processes),
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen = []
    for line in process.stdout:  # the command says when it listens (probing the port would open an association)
        seen.append(line)
        if "SIGTERM stops it" in line:
            return process
    process.kill()
    raise AssertionError("".join(seen))


def test_kill_9_during_ingest_loses_nothing_acknowledged(transactional_db, storage_root, scu_node, tmp_path):
    _study, paths = write_series(tmp_path / "s", 200, size=256)
    port = free_port()
    listener = start_listener(port)
    acknowledged: list[str] = []
    ae = AE(SCU_AE)
    ae.add_requested_context(CTImageStorage, "1.2.840.10008.1.2.1")
    assoc = ae.associate("127.0.0.1", port, ae_title="LUMEN")
    assert assoc.is_established

    def kill_after_some():
        while len(acknowledged) < 40:
            time.sleep(0.005)
        listener.send_signal(signal.SIGKILL)

    killer = threading.Thread(target=kill_after_some)
    killer.start()
    for path in paths:
        ds = dcmread(path)
        try:
            status = assoc.send_c_store(ds)
        except (OSError, RuntimeError):
            break
        if not assoc.is_established or status is None or "Status" not in status:
            break
        if status.Status == 0x0000:
            acknowledged.append(str(ds.SOPInstanceUID))
    killer.join(timeout=30)
    listener.wait(timeout=30)
    assert 40 <= len(acknowledged) < 200

    # A file renamed into place whose row never committed: the start-up clean-up removes it.
    orphan = storage.absolute(storage.relative_path("1.2.3", "1.2.3.4", "1.2.3.4.5"))
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"left by a crash")
    restarted = start_listener(port)
    restarted.send_signal(signal.SIGTERM)
    output = restarted.communicate(timeout=30)[0]
    assert restarted.returncode == 0, output
    assert "DICOM listener stopped." in output

    indexed = {i.sop_instance_uid: i for i in Instance.objects.all()}
    assert set(acknowledged) <= set(indexed)
    for instance in indexed.values():
        assert storage.sha256_of(storage.absolute(instance.path)) == instance.sha256
    on_disk = {p.relative_to(storage.root()).as_posix() for p in storage.root().glob("??/??/*/*/*.dcm")}
    assert on_disk == {i.path for i in indexed.values()}
    assert not orphan.exists()


def test_worker_processes_stop_when_their_listener_is_killed(transactional_db, storage_root):
    port = free_port()
    listener = start_listener(port, processes=3)
    pattern = f"dicom_listener.*--port {port}"

    def running() -> int:
        return len(subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split())

    try:
        # Said to listen only once every process serves: one listening socket, held by all three.
        listening = subprocess.run(
            ["ss", "-Htlnp", f"sport = :{port}"], capture_output=True, text=True, check=True
        ).stdout.splitlines()
        assert len(listening) == 1
        assert len(set(re.findall(r"pid=(\d+)", listening[0]))) == 3
        assert running() == 3
    finally:
        listener.send_signal(signal.SIGKILL)  # the workers must notice and stop by themselves
        listener.wait(timeout=10)
    deadline = time.monotonic() + 10
    while running() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert running() == 0
