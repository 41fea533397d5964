"""multipart/related bodies (RFC 2387) as DICOMweb uses them (PS3.18 8.6.1.2)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Iterator


def boundary() -> str:
    return f"lumen-{secrets.token_hex(16)}"


def stream(parts: Iterable[tuple[str, Iterable[bytes]]], mark: str) -> Iterator[bytes]:
    """Yield a multipart body from (content type, chunks) parts without holding any part in memory."""
    for content_type, chunks in parts:
        yield f"--{mark}\r\nContent-Type: {content_type}\r\n\r\n".encode()
        yield from chunks
        yield b"\r\n"
    yield f"--{mark}--\r\n".encode()


def parameters(content_type: str) -> tuple[str, dict[str, str]]:
    """The media type and its parameters (quotes removed, names lower-cased)."""
    media, *rest = content_type.split(";")
    params = {}
    for item in rest:
        name, _, value = item.strip().partition("=")
        if name:
            params[name.strip().lower()] = value.strip().strip('"')
    return media.strip().lower(), params


def split(body: bytes, mark: str) -> list[tuple[dict[str, str], bytes]]:
    """The parts of a multipart body held in memory (a response read by a client or a test)."""
    delimiter = b"--" + mark.encode()
    parts = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        head, _, content = chunk.partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        parts.append((headers, content[:-2] if content.endswith(b"\r\n") else content))
    return parts


class TooLarge(Exception):
    """The body is larger than allowed."""


class Malformed(ValueError):
    """The body is not a well-formed multipart body."""


def parts_to_files(read, mark: str, new_file, *, limit: int, chunk: int = 1 << 20):
    """Stream a multipart body part by part into files, never holding a whole part in memory.

    ``read(n)`` returns up to n bytes (b"" at the end); ``new_file()`` returns a path to write a part to. Yields
    (headers, path, (SHA-256, size)) per part as soon as it is complete: hashed as written, so ingest need not
    read the file back to hash it.
    """
    first = b"--" + mark.encode()
    separator = b"\r\n--" + mark.encode()
    total = 0
    buffer = b""

    def more() -> bool:
        nonlocal buffer, total
        data = read(chunk)
        total += len(data)
        if total > limit:
            raise TooLarge
        buffer += data
        return bool(data)

    while first not in buffer:
        if not more():
            raise Malformed("The body holds no multipart boundary.")
    buffer = buffer[buffer.index(first) + len(first) :]
    while True:
        while len(buffer) < 2:
            if not more():
                raise Malformed("The body ends without its closing boundary.")
        if buffer.startswith(b"--"):
            return
        while b"\r\n\r\n" not in buffer:
            if len(buffer) > 65536 or not more():
                raise Malformed("A part's headers are missing or too long.")
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip():
                headers[name.strip().lower()] = value.strip()
        path = new_file()
        keep = len(separator) - 1
        digest, size = hashlib.sha256(), 0
        try:
            with open(path, "wb") as sink:
                while True:
                    index = buffer.find(separator)
                    piece = buffer[:index] if index >= 0 else buffer[:-keep] if len(buffer) > keep else b""
                    if piece:
                        sink.write(piece)
                        digest.update(piece)
                        size += len(piece)
                    if index >= 0:
                        buffer = buffer[index + len(separator) :]
                        break
                    if len(buffer) > keep:
                        buffer = buffer[-keep:]
                    if not more():
                        raise Malformed("The body ends inside a part.")
        except BaseException:
            path.unlink(missing_ok=True)  # a part cut short (or too large) leaves nothing behind
            raise
        yield headers, path, (digest.hexdigest(), size)
