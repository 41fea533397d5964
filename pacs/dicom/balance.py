"""How the DICOM listener's processes share out new associations.

All the listener's processes accept on one listening socket, made by the first and inherited by the others. A
process takes a waiting association only if no other serves fewer; otherwise it stands back for a moment so a
less busy one takes it. Each process keeps the number of associations it serves in its own slot of a small table
in shared memory, which every process reads.

Before, each process had a socket of its own on the port (SO_REUSEPORT) and the kernel chose one at random for each
new connection: four associations landed three and one, or all four, on two processes about half the time, and
Python's GIL held such a process to one core while the other idled.

A process that died is marked gone by the parent (``retire``); until then others stand back for it at most about
``MAX_DEFER`` seconds per association.
"""

from __future__ import annotations

import mmap
import os
import threading
import time
from array import array

MAX_DEFER = 0.05  # seconds a process stands back for a less busy one before taking the association itself
GONE = 1 << 30  # a dead process's count: never the least busy
RETRY = 0.001  # while standing back, asked again about every millisecond...
NEW_WAIT_AFTER = 0.01  # ...so a longer pause means the association waited for was taken, and another is waiting


class LoadTable:
    """Open associations per listener process, one 4-byte slot each, in memory shared across the processes."""

    def __init__(self, fd: int, processes: int, index: int):
        if not 0 <= index < processes:
            raise ValueError(f"slot {index} outside a table of {processes}")
        self.fd, self.processes, self.index = fd, processes, index
        self._map = mmap.mmap(fd, 4 * processes)
        self._lock = threading.Lock()

    @classmethod
    def create(cls, processes: int) -> LoadTable:
        """A new table, owned by the first process (slot 0); its ``fd`` is for the others to inherit."""
        fd = os.memfd_create("lumen-dicom-load", 0)  # not close-on-exec: workers get it through pass_fds
        os.ftruncate(fd, 4 * processes)
        return cls(fd, processes, 0)

    def counts(self) -> list[int]:
        return list(array("i", self._map[:]))

    def _add(self, delta: int) -> None:
        with self._lock:
            offset = 4 * self.index
            value = int.from_bytes(self._map[offset : offset + 4], "little", signed=True) + delta
            self._map[offset : offset + 4] = value.to_bytes(4, "little", signed=True)

    def retire(self, index: int) -> None:
        """Mark a process that is gone (by the parent that started it): the others no longer stand back for it."""
        offset = 4 * index
        self._map[offset : offset + 4] = GONE.to_bytes(4, "little", signed=True)

    def opened(self) -> None:
        self._add(+1)

    def closed(self) -> None:
        self._add(-1)

    def least_loaded(self) -> bool:
        counts = self.counts()
        return counts[self.index] <= min(counts)


class Gate:
    """Decides, each time the listening socket has an association waiting, whether this process takes it."""

    def __init__(self, table: LoadTable):
        self.table = table
        self._standing_back_since: float | None = None
        self._last_asked = 0.0

    def take(self) -> bool:
        now = time.monotonic()
        if now - self._last_asked > NEW_WAIT_AFTER:
            self._standing_back_since = None  # the last association waiting was taken by another: a new one now
        self._last_asked = now
        if self.table.least_loaded():
            self._standing_back_since = None
            return True
        if self._standing_back_since is None:
            self._standing_back_since = now
        if now - self._standing_back_since >= MAX_DEFER:
            self._standing_back_since = None
            return True
        time.sleep(RETRY)  # the socket stays readable: without a pause the accept loop would spin
        return False
