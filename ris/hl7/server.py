"""The MLLP listener: a threaded TCP (optionally TLS) server; one thread per connection, messages on a
connection answered in order. Listeners are thin: framing here, everything else in ``services.receive``."""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import ssl
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection

from ris.hl7 import mllp, services

logger = logging.getLogger(__name__)


class Handler(socketserver.BaseRequestHandler):
    server: Server

    def setup(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.server.timeout_seconds)

    def handle(self) -> None:
        sock = self.request
        peer = f"{self.client_address[0]}:{self.client_address[1]}"
        if self.server.tls is not None:
            try:
                sock = self.server.tls.wrap_socket(sock, server_side=True)
            except (OSError, ssl.SSLError) as exc:
                logger.warning("HL7 TLS handshake with %s failed: %s", peer, exc)
                return
        try:
            for event in mllp.frames(sock, max_bytes=settings.LUMEN_HL7_MAX_MESSAGE_BYTES, stop=self.server.stopping):
                reply = self.answer(event, peer)
                if reply is not None:
                    sock.sendall(mllp.wrap(reply))
                if event.kind == mllp.STALLED:
                    break
        except (OSError, ssl.SSLError) as exc:
            logger.info("HL7 connection from %s ended: %s", peer, exc)
        finally:
            connection.close()  # this thread's database connection ends with its MLLP connection

    def answer(self, event: mllp.Event, peer: str) -> bytes | None:
        close_old_connections()
        if event.kind == mllp.MESSAGE:
            with self.server.writing(), services.deliveries_deferred(self.server.defer_delivery):
                return services.receive(event.data, peer=peer)
        if event.kind == mllp.OVERSIZED:
            limit = settings.LUMEN_HL7_MAX_MESSAGE_BYTES
            return services.refuse_oversized(
                event.data, peer=peer, reason=f"The message is longer than {limit} bytes.", size=event.size
            )
        reasons = {
            mllp.JUNK: "Bytes outside an MLLP frame (no start block 0x0B before them) were discarded.",
            mllp.TRUNCATED: "The frame was cut short: no end block 0x1C 0x0D before the connection closed "
            "or a new frame began.",
            mllp.STALLED: f"The sender stalled mid-frame for {self.server.timeout_seconds} s; connection closed.",
        }
        services.log_problem(data=event.data, peer=peer, reason=reasons[event.kind], size=event.size)
        return None


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(
        self, address, *, timeout: float, tls: ssl.SSLContext | None, max_connections: int, defer_delivery: bool
    ):
        self.timeout_seconds, self.tls, self.defer_delivery = timeout, tls, defer_delivery
        # SQLite has one writer at a time, and a writer that finds the lock taken polls it with sleeps of up to
        # 100 ms: the connection threads take turns on a lock of their own instead (PostgreSQL needs none).
        self._sqlite_writer = threading.Lock() if connection.vendor == "sqlite" else None
        self.stopping = threading.Event()
        self.slots = threading.BoundedSemaphore(max_connections)
        self.open_sockets: set[socket.socket] = set()
        self.open_lock = threading.Lock()
        super().__init__(address, Handler)

    def process_request(self, request, client_address):
        if not self.slots.acquire(blocking=False):
            logger.warning("HL7: too many connections; refusing %s", client_address[0])
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address):
        with self.open_lock:
            self.open_sockets.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.open_lock:
                self.open_sockets.discard(request)
            self.slots.release()

    def writing(self):
        return self._sqlite_writer if self._sqlite_writer is not None else contextlib.nullcontext()

    def stop(self, grace: float = 10) -> None:
        """Stop accepting; end every connection's reading side (a message being processed still gets its ACK),
        and wait up to ``grace`` seconds for the connection threads to finish."""
        self.stopping.set()
        self.shutdown()
        self.server_close()
        with self.open_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RD)
        deadline = time.monotonic() + grace
        while self.open_sockets and time.monotonic() < deadline:
            time.sleep(0.05)


def server_tls() -> ssl.SSLContext | None:
    if not settings.LUMEN_HL7_TLS_CERT:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.LUMEN_HL7_TLS_CERT, settings.LUMEN_HL7_TLS_KEY or None)
    if settings.LUMEN_HL7_TLS_CA:
        context.load_verify_locations(settings.LUMEN_HL7_TLS_CA)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


class SharedPortServer(Server):
    """A server whose port other listener processes share (SO_REUSEPORT): the kernel spreads connections."""

    allow_reuse_port = True


def start(
    host: str, port: int, *, timeout: float | None = None, defer_delivery: bool = False, shared_port: bool = False
) -> Server:
    """Start listening in a background thread; ``stop()`` the returned server to end it. ``defer_delivery``:
    outbound messages caused by inbound ones are left to the sweep (see ``services.deliveries_deferred``)."""
    server = (SharedPortServer if shared_port else Server)(
        (host, port),
        timeout=timeout or settings.LUMEN_HL7_TIMEOUT,
        tls=server_tls(),
        max_connections=settings.LUMEN_HL7_MAX_CONNECTIONS,
        defer_delivery=defer_delivery,
    )
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    return server
