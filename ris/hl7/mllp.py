"""MLLP framing (HL7 v2.5.1 Appendix C, Minimal Lower Layer Protocol release 2): <VT> message <FS><CR>.

``frames()`` reads a connection and yields one event per frame, or per problem with the byte stream: bytes
outside a frame, a frame longer than allowed, a frame cut short by the peer, a peer that stalls mid-frame.
``send()`` is the client side used for outbound delivery.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass

SB = b"\x0b"  # start block, <VT>
EB = b"\x1c"  # end block, <FS>
CR = b"\r"

MESSAGE = "message"
JUNK = "junk"  # bytes outside any frame
OVERSIZED = "oversized"  # a complete frame longer than allowed (data holds its first bytes)
TRUNCATED = "truncated"  # the peer closed the connection (or started a new frame) mid-frame
STALLED = "stalled"  # nothing arrived for the timeout in the middle of a frame


@dataclass
class Event:
    kind: str
    data: bytes
    size: int = 0


def wrap(message: bytes) -> bytes:
    return SB + message + EB + CR


def frames(sock: socket.socket, *, max_bytes: int, stop: threading.Event, wait_idle: bool = True) -> Iterator[Event]:
    """The frames arriving on ``sock`` until the peer closes or ``stop`` is set. The socket's timeout is the
    stall timeout mid-frame; between frames the server waits on (``wait_idle``), a client gives up."""
    buf = bytearray()
    junk = bytearray()
    in_frame = False
    size = 0
    while True:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            if in_frame:
                yield Event(STALLED, bytes(buf), size)
                return
            if stop.is_set() or not wait_idle:
                return
            continue
        except (OSError, ssl.SSLError):
            data = b""
        if not data:
            if in_frame:
                yield Event(TRUNCATED, bytes(buf), size)
            elif junk.strip(b"\r\n"):
                yield Event(JUNK, bytes(junk[:max_bytes]), len(junk))
            return
        i = 0
        while i < len(data):
            if not in_frame:
                start = data.find(SB, i)
                junk += data[i : len(data) if start < 0 else start]
                if start < 0:
                    break
                if junk.strip(b"\r\n"):  # the CR after <FS> (and stray newlines) between frames is not junk
                    yield Event(JUNK, bytes(junk[:max_bytes]), len(junk))
                junk.clear()
                buf.clear()
                in_frame, size, i = True, 0, start + 1
                continue
            end = data.find(EB, i)
            restart = data.find(SB, i)
            if restart >= 0 and (end < 0 or restart < end):
                # A new start block before the end: the sender gave up on the frame and began again.
                buf += data[i:restart][: max(0, max_bytes - len(buf))]
                yield Event(TRUNCATED, bytes(buf), size + restart - i)
                buf.clear()
                size, i = 0, restart + 1
                continue
            piece = data[i : len(data) if end < 0 else end]
            size += len(piece)
            if len(buf) < max_bytes:
                buf += piece[: max_bytes - len(buf)]
            if end < 0:
                break
            yield Event(OVERSIZED if size > max_bytes else MESSAGE, bytes(buf), size)
            buf.clear()
            in_frame, i = False, end + 1


class DeliveryError(Exception):
    """The partner could not be reached or gave no acknowledgement (worth retrying)."""


def send(
    host: str, port: int, message: bytes, *, connect_timeout: float, ack_timeout: float, tls: ssl.SSLContext | None
) -> bytes:
    """Send one framed message and return the acknowledgement's bytes (without framing)."""
    try:
        sock = socket.create_connection((host, port), timeout=connect_timeout)
    except OSError as exc:
        raise DeliveryError(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from None
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            sock = tls.wrap_socket(sock, server_hostname=host)
        sock.settimeout(ack_timeout)
        sock.sendall(wrap(message))
        for event in frames(sock, max_bytes=1024 * 1024, stop=threading.Event(), wait_idle=False):
            if event.kind == MESSAGE:
                return event.data
            if event.kind != JUNK:
                break
        raise DeliveryError(f"{host}:{port} gave no acknowledgement")
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"{host}:{port}: {exc}") from None
    finally:
        sock.close()
