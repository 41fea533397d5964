"""The listener's processes share out associations: each new one goes to a process serving the fewest."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import pytest
from pynetdicom import AE
from pynetdicom.sop_class import Verification

from pacs.dicom import balance
from pacs.dicom.balance import Gate, LoadTable
from tests.pacs.conftest import free_port
from tests.pacs.test_crash_recovery import start_listener


def test_the_table_is_shared_and_each_process_counts_in_its_own_slot():
    first = LoadTable.create(3)
    second = LoadTable(first.fd, 3, 2)  # what a worker opens from the inherited descriptor
    first.opened()
    first.opened()
    second.opened()
    assert first.counts() == second.counts() == [2, 0, 1]
    first.closed()
    assert second.counts() == [1, 0, 1]
    assert not first.least_loaded()  # slot 1 serves none
    with pytest.raises(ValueError, match="outside"):
        LoadTable(first.fd, 3, 3)
    first.retire(1)  # the process in slot 1 died: nobody stands back for it
    assert second.counts() == [1, 1 << 30, 1]
    assert first.least_loaded()


def test_a_busier_process_stands_back_but_not_for_ever(monkeypatch):
    table = LoadTable.create(2)
    other = LoadTable(table.fd, 2, 1)
    gate = Gate(table)
    assert gate.take()  # all idle: anyone may take it
    table.opened()
    assert not gate.take()  # this one serves one, the other none: leave it to the other
    other.opened()
    assert gate.take()  # even again
    other.closed()
    monkeypatch.setattr(balance, "MAX_DEFER", 0.005)
    started = time.monotonic()
    while not gate.take():  # the other never takes it (it died): this one does, after a short while
        assert time.monotonic() - started < 1
    assert time.monotonic() - started >= 0.005
    assert not gate.take()  # the next association: standing back starts afresh
    time.sleep(0.02)  # not asked for a while: that one was taken elsewhere
    assert not gate.take()  # and the wait for a new one starts afresh too


def _pid_by_peer_port(port: int) -> dict[int, str]:
    """Which listener process holds each association, by the requestor's port."""
    lines = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return {int(line.split()[3].rsplit(":", 1)[1]): re.search(r"pid=(\d+)", line).group(1) for line in lines}


def _sockets(port: int) -> str:
    """The port's connections in every state but listening, with the process holding each."""
    return subprocess.run(["ss", "-Htnp", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout


def _local_port(assoc) -> int:
    return assoc.dul.socket.socket.getsockname()[1]


def test_four_associations_on_two_processes_go_two_and_two(transactional_db, storage_root, scu_node):
    port = free_port()
    listener = start_listener(port, processes=2)
    associations = []
    try:
        ae = AE("TESTSCU")
        ae.add_requested_context(Verification)

        def associate():
            assoc = ae.associate("127.0.0.1", port, ae_title="LUMEN")
            assert assoc.is_established
            associations.append(assoc)
            return assoc

        for _ in range(4):
            associate()
        holders = _pid_by_peer_port(port)
        pids = [holders[_local_port(assoc)] for assoc in associations]
        assert sorted(pids.count(pid) for pid in set(pids)) == [2, 2]
        for assoc in associations:
            assert assoc.send_c_echo().Status == 0x0000

        # An association's end frees its place: two released on one process, the next one goes there.
        freed = pids[0]
        for assoc, pid in zip(list(associations), pids, strict=True):
            if pid == freed:
                assoc.release()
                associations.remove(assoc)
        deadline = time.monotonic() + 10
        while f"pid={freed}," in _sockets(port) and time.monotonic() < deadline:
            time.sleep(0.05)  # until the process has closed them (not only the peer: CLOSE-WAIT counts as open)
        new = associate()
        assert _pid_by_peer_port(port)[_local_port(new)] == freed
    finally:
        for assoc in associations:
            assoc.release()
        listener.send_signal(signal.SIGTERM)
        listener.wait(timeout=60)


def test_a_killed_worker_holds_up_no_association(transactional_db, storage_root, scu_node):
    port = free_port()
    listener = start_listener(port, processes=2)
    associations = []
    try:
        listening = subprocess.run(["ss", "-Htlnp", f"sport = :{port}"], capture_output=True, text=True, check=True)
        worker = max(int(pid) for pid in re.findall(r"pid=(\d+)", listening.stdout))  # started after the parent
        assert worker != listener.pid
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while f"pid={worker}," in _sockets_listening(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        ae = AE("TESTSCU")
        ae.add_requested_context(Verification)
        for _ in range(3):
            assoc = ae.associate("127.0.0.1", port, ae_title="LUMEN")
            assert assoc.is_established
            associations.append(assoc)
            assert assoc.send_c_echo().Status == 0x0000
        assert set(_pid_by_peer_port(port).values()) == {str(listener.pid)}
    finally:
        for assoc in associations:
            assoc.release()
        listener.send_signal(signal.SIGTERM)
        listener.wait(timeout=60)


def _sockets_listening(port: int) -> str:
    return subprocess.run(["ss", "-Htlnp", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
