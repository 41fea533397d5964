"""The file a C-STORE data set is received into, in place of pynetdicom's ``NamedTemporaryFile``.

pynetdicom writes each received fragment to disk as it arrives (``STORE_RECV_CHUNKED_DATASET``). This file does
two more things with every fragment, while the sender is still sending: it feeds the SHA-256 that the index keeps
(so the stored file is never read back to hash it), and every 256 KB it asks the kernel to start writing what came
to disk (Linux ``sync_file_range``, which does not wait), so the fsync that a C-STORE success waits for finds less
left to write. Nothing here makes anything durable: the ingest service still fsyncs file and directory.

pynetdicom writes the preamble, ``DICM`` and the file meta information as three small writes before the first
fragment; they are held and written with that fragment, in one system call (``os.writev``). Whatever is held is
written at the latest by ``flush()``, which pynetdicom calls after every fragment, or by ``close()``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os
import secrets
import weakref

from pacs import storage
from pacs.ingest import PEEK_BYTES

SYNC_FILE_RANGE_WRITE = 2
WRITEBACK_BATCH = 1 << 18  # bytes written before the kernel is asked to start writing them back; the rest waits
# for the fsync (one call per fragment, several per image, cost more than they saved)
HOLD_BYTES = 1024  # writes held back while nothing is in the file yet, to go with the next in one system call
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC


def _sync_file_range():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        function = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
    function.restype = ctypes.c_int
    return function


_start_writeback = _sync_file_range()


class ReceivedFile:
    """A new file in the storage root's incoming directory, hashed and on its way to disk as it is written."""

    def __init__(self, delete: bool = False, mode: str = "wb", suffix: str = ".dcm"):
        if delete or mode != "wb":
            raise ValueError("ReceivedFile only writes new binary files that outlive it")
        self.name = storage.incoming_name(f"{secrets.token_hex(12)}{suffix}")
        try:
            self._fd = os.open(self.name, _NEW_FILE, 0o600)
        except FileNotFoundError:  # the incoming directory was removed: made again
            storage.incoming_dir()
            self._fd = os.open(self.name, _NEW_FILE, 0o600)
        # pynetdicom closes it after the C-STORE handler; an association aborted before then just drops it.
        self._closer = weakref.finalize(self, os.close, self._fd)
        self._digest = hashlib.sha256()
        self.size = 0
        self.head = bytearray()  # the first PEEK_BYTES written, for the checks that read a file's start
        self._held = bytearray()  # small writes not in the file yet (see the module's account)
        self._written_back = 0  # bytes the kernel was asked to start writing back

    @property
    def file(self) -> ReceivedFile:
        """Itself: pynetdicom calls ``.file.flush()`` after each fragment (a property, not an attribute, so the
        object holds no reference to itself and an abandoned one is closed as soon as it is dropped)."""
        return self

    def write(self, data) -> int:
        length = len(data)
        start = self.size
        if start < PEEK_BYTES:
            self.head += data[: PEEK_BYTES - start]
        self._digest.update(data)
        self.size += length
        if start == len(self._held) and start + length < HOLD_BYTES:  # nothing in the file yet
            self._held += data
            return length
        if self._held:
            self._write_all([self._held, data])
            self._held = bytearray()
        else:
            self._write_all([data])
        if _start_writeback is not None and self.size - self._written_back >= WRITEBACK_BATCH:
            _start_writeback(self._fd, self._written_back, self.size - self._written_back, SYNC_FILE_RANGE_WRITE)
            self._written_back = self.size
        return length

    def _write_all(self, buffers) -> None:
        views = [memoryview(buffer) for buffer in buffers]
        while views:
            written = os.writev(self._fd, views)
            while views and written >= len(views[0]):
                written -= len(views.pop(0))
            if views:
                views[0] = views[0][written:]

    def flush(self) -> None:
        """Write whatever is held (everything else went to the file as it came)."""
        if self._held:
            self._write_all([self._held])
            self._held = bytearray()

    def fileno(self) -> int:
        return self._fd

    def sha256(self) -> str:
        return self._digest.hexdigest()

    def close(self) -> None:
        try:
            if self._closer.alive:
                self.flush()
        finally:
            self._closer()  # closes once, whoever asks first

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
