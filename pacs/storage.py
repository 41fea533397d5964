"""Where and how instance files are kept under the storage root.

Paths come from SHA-256 hashes of the UIDs, never from UID text, so no UID can steer a file outside the root
(``../``, ``/``) or collide with another. Files reach their final name only complete and fsynced: written (or
received) under a temporary name in the same file system, fsynced, renamed, and the directory fsynced.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
import tempfile
from pathlib import Path

from django.conf import settings

INCOMING = ".incoming"
CHUNK = 1 << 20


class StorageFull(OSError):
    """The storage file system has no room (or no inodes) left."""


def root() -> Path:
    return Path(settings.STORAGE_ROOT)


def incoming_dir() -> Path:
    """Temporary files live here, on the same file system as their final names, so renames are atomic."""
    path = root() / INCOMING
    path.mkdir(parents=True, exist_ok=True)
    return path


def incoming_name(name: str) -> str:
    """The path of a new file ``name`` in the incoming directory, as text, without checking the directory is there
    (a receiver opening it calls ``incoming_dir()`` and tries again if it is not): a C-STORE pays neither the
    ``mkdir`` nor ``pathlib``."""
    return os.path.join(settings.STORAGE_ROOT, INCOMING, name)


def _h(uid: str) -> str:
    return hashlib.sha256(uid.encode("ascii")).hexdigest()


def relative_path(study_uid: str, series_uid: str, sop_uid: str) -> str:
    """``ab/cd/<study hash>/<series hash 16>/<instance hash>-<random 16>.dcm``.

    256×256 top directories spread the load. Each placement gets a name of its own (a random part of 64 bits),
    so no two writers ever share a file: a writer only ever removes the file it placed itself, and a new copy of
    an instance (replacement, header rewrite) never overwrites the file the index points at. (Files stored
    before carry a part of their content hash in the name too; both forms are read alike.)
    """
    study = _h(study_uid)
    return f"{study[:2]}/{study[2:4]}/{study}/{_h(series_uid)[:16]}/{_h(sop_uid)}-{secrets.token_hex(8)}.dcm"


def absolute(relative: str) -> Path:
    """The file's path under the storage root; a path that could lead out of it (absolute, ``..``) is refused.
    Checked on the text: only Lumen writes under the root, so no symbolic link there can lead out either."""
    return Path(absolute_text(relative))


def absolute_text(relative: str) -> str:
    """``absolute`` as text (``pathlib`` costs more than the rest of a rename)."""
    parts = relative.split("/")
    if relative.startswith("/") or "\0" in relative or ".." in parts or all(p in ("", ".") for p in parts):
        raise ValueError("stored path escapes the storage root")
    return os.path.join(settings.STORAGE_ROOT, relative)


def new_temp_path() -> Path:
    handle, name = tempfile.mkstemp(dir=incoming_dir(), suffix=".part")
    os.close(handle)
    return Path(name)


def copy_to_temp(source: Path) -> Path:
    """Copy a file into the incoming directory (imports leave their source untouched)."""
    target = new_temp_path()
    try:
        with open(source, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise _classify(exc) from exc
    return target


def sha256_and_fsync(path: Path) -> tuple[str, int]:
    """The file's SHA-256 and size, after forcing its bytes to disk."""
    try:
        with open(path, "rb+") as handle:
            return sha256_and_fsync_open(handle)
    except OSError as exc:
        raise _classify(exc) from exc


def sha256_and_fsync_open(handle) -> tuple[str, int]:
    """``sha256_and_fsync`` of a file opened for reading (it may be renamed or removed meanwhile), read from the
    start; the handle is closed when done."""
    digest = hashlib.sha256()
    size = 0
    try:
        with handle:
            handle.seek(0)
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
            os.fsync(handle.fileno())
    except OSError as exc:
        raise _classify(exc) from exc
    return digest.hexdigest(), size


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def place(temp: Path, relative: str) -> Path:
    """Rename the fsynced temporary file to its final name and fsync the directory that now holds it."""
    final = move_into_place(temp, relative)
    try:
        fsync_dir(final.parent)
    except OSError as exc:
        raise _classify(exc) from exc
    return final


def move_into_place(temp: Path | str, relative: str) -> Path:
    """Rename a temporary file to its final name, its directories created durably; the new entry itself is durable
    only once ``seal`` (or ``fsync_dir``) has run on that directory. No index row may point at it before then."""
    return Path(move_into_place_text(temp, relative))


def move_into_place_text(temp: Path | str, relative: str) -> str:
    """``move_into_place``, the final path as text."""
    final = absolute_text(relative)
    directory = os.path.dirname(final)
    try:
        try:
            _make_dirs_durably(directory)
            os.replace(temp, final)
        except FileNotFoundError:
            if not os.path.exists(temp):
                raise
            _durable_dirs.clear()  # a directory was removed behind Lumen's back: make the chain again
            _make_dirs_durably(directory)
            os.replace(temp, final)
    except OSError as exc:
        raise _classify(exc) from exc
    return final


def seal(
    handle, directory: Path | str | None, digest: tuple[str, int] | None = None, *, descriptor: int | None = None
) -> tuple[str, int]:
    """The file's SHA-256 and size (``digest``, if taken as it was written; else read here) once its bytes are on
    disk, and then ``directory`` fsynced too (where the file was renamed to before): one job that leaves the file's
    bytes and its name on disk. Run in a pool thread while the header is parsed; the handle is closed when done.
    With ``descriptor`` (its writer's, and ``digest``) instead of a handle: fsynced through it, left open."""
    if digest is None:
        digest = sha256_and_fsync_open(handle)
    try:
        if descriptor is not None:
            os.fsync(descriptor)
        elif not handle.closed:  # hashed as written: only the fsync is left to do
            with handle:
                os.fsync(handle.fileno())
        if directory is not None:
            fsync_dir(directory)
    except OSError as exc:
        raise _classify(exc) from exc
    return digest


# Directories this process has made sure of (created if missing, and each one's entry in its parent fsynced).
_durable_dirs: set[str] = set()
_DURABLE_DIRS_LIMIT = 20_000


def _make_dirs_durably(directory: str) -> None:
    """Create missing directories and fsync each one's entry in its parent, the first time this process uses the
    directory: whether it or another writer created it (that writer may not have fsynced the parent yet)."""
    directory = os.path.normpath(directory)
    if directory in _durable_dirs:
        return
    root_dir = os.path.normpath(settings.STORAGE_ROOT)
    chain = []
    current = directory
    while current != root_dir and current not in _durable_dirs:
        parent = os.path.dirname(current)
        if parent == current:  # not under the root: absolute_text() made sure it is, so never here
            raise ValueError("stored path escapes the storage root")
        chain.append(current)
        current = parent
    for new in reversed(chain):
        try:
            os.mkdir(new)
        except FileExistsError:
            pass
        fsync_dir(os.path.dirname(new))
    if len(_durable_dirs) > _DURABLE_DIRS_LIMIT:
        _durable_dirs.clear()
    _durable_dirs.update(chain)


def fsync_dir(path: Path | str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove(relative: str) -> None:
    absolute(relative).unlink(missing_ok=True)


def _classify(exc: OSError) -> OSError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFull(exc.errno, "The image store is full")
    return exc
