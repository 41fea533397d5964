"""multipart/related bodies (RFC 2387) as DICOMweb uses them (PS3.18 8.6.1.2)."""

from __future__ import annotations

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
    """The parts of a multipart body: (headers with lower-case names, content)."""
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
