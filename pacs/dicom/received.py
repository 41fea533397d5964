"""The file a C-STORE data set is received into, in place of pynetdicom's ``NamedTemporaryFile``.

pynetdicom writes each received fragment to disk as it arrives (``STORE_RECV_CHUNKED_DATASET``). This file does
two more things with every fragment, while the sender is still sending: it feeds the SHA-256 that the index keeps
(so the stored file is never read back to hash it), and it asks the kernel to start writing the fragment to disk
(Linux ``sync_file_range``, which does not wait), so the fsync that a C-STORE success waits for finds little
left to write. Nothing here makes anything durable: the ingest service still fsyncs file and directory.
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
START_WRITEBACK_BYTES = 1 << 16  # smaller fragments wait for the fsync
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


class _Unbuffered:
    """``.file.flush()``, which pynetdicom calls after each fragment: writes are unbuffered, so nothing to do."""

    def flush(self) -> None:
        pass


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
        self.file = _Unbuffered()

    def write(self, data) -> int:
        view = memoryview(data)
        start = self.size
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self._digest.update(data)
        if start < PEEK_BYTES:
            self.head += data[: PEEK_BYTES - start]
        self.size += len(data)
        if _start_writeback is not None and len(data) >= START_WRITEBACK_BYTES:
            _start_writeback(self._fd, start, len(data), SYNC_FILE_RANGE_WRITE)
        return len(data)

    def sha256(self) -> str:
        return self._digest.hexdigest()

    def close(self) -> None:
        self._closer()  # closes once, whoever asks first

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
