"""The DICOM listener: one pynetdicom AE serving Lumen's DICOM services on a TCP port."""

from __future__ import annotations

import logging
import socket
import tempfile
import threading

from django.conf import settings
from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, _config, evt
from pynetdicom.sop_class import (
    ModalityPerformedProcedureStep,
    ModalityWorklistInformationFind,
    PatientRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelGet,
    PatientRootQueryRetrieveInformationModelMove,
    StorageCommitmentPushModel,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
)
from pynetdicom.transport import RequestHandler, ThreadedAssociationServer

from pacs import storage
from pacs.dicom import fastpath, reactor
from pacs.dicom.balance import Gate
from pacs.dicom.handlers import HANDLERS
from pacs.dicom.network import configure_timeouts

logger = logging.getLogger(__name__)


def configure_pynetdicom() -> None:
    """Stream received data sets to disk, in the storage root's incoming directory; no patient data in logs."""
    _config.STORE_RECV_CHUNKED_DATASET = True
    _config.LOG_REQUEST_IDENTIFIERS = False
    _config.LOG_RESPONSE_IDENTIFIERS = False
    _config.LOG_HANDLER_LEVEL = "none"
    tempfile.tempdir = str(storage.incoming_dir())
    reactor.install()
    fastpath.install()


def build_ae(ae_title: str | None = None) -> AE:
    configure_pynetdicom()
    ae = AE(ae_title or settings.LUMEN_DICOM_AE_TITLE)
    ae.require_called_aet = True
    ae.maximum_associations = settings.LUMEN_DICOM_MAX_ASSOCIATIONS
    ae.maximum_pdu_size = 262_144
    configure_timeouts(ae)
    ae.add_supported_context(Verification, ALL_TRANSFER_SYNTAXES)
    for cx in AllStoragePresentationContexts:
        # scp_role: C-GET requesters act as storage SCPs on the same association (role selection, PS3.7 D.3.3.4).
        ae.add_supported_context(cx.abstract_syntax, ALL_TRANSFER_SYNTAXES, scp_role=True, scu_role=False)
    for sop_class in (
        PatientRootQueryRetrieveInformationModelFind,
        PatientRootQueryRetrieveInformationModelMove,
        PatientRootQueryRetrieveInformationModelGet,
        StudyRootQueryRetrieveInformationModelFind,
        StudyRootQueryRetrieveInformationModelMove,
        StudyRootQueryRetrieveInformationModelGet,
        StorageCommitmentPushModel,
        ModalityWorklistInformationFind,
        ModalityPerformedProcedureStep,
    ):
        ae.add_supported_context(sop_class)
    return ae


class BalancedServer(ThreadedAssociationServer):
    """One of the listener's processes, all accepting on one listening socket (``pacs.dicom.balance``): the first
    binds it, the others are given it (``listen_fd``); each takes a waiting association when its ``gate`` says so,
    and counts it in its slot of the shared table from acceptance until the connection closes."""

    request_queue_size = 64  # one backlog for all the processes (each had its own of 5 with SO_REUSEPORT)

    def __init__(self, *args, gate: Gate, listen_fd: int | None = None, evt_handlers=(), **kwargs):
        self.gate, self.listen_fd = gate, listen_fd
        handlers = [*evt_handlers, (evt.EVT_CONN_CLOSE, self._connection_closed)]
        super().__init__(*args, evt_handlers=handlers, request_handler=CountedRequestHandler, **kwargs)

    def release_once(self):
        """A callable that gives one association's place in the load table back, the first time it is called."""
        once = threading.Lock()

        def release() -> None:
            if once.acquire(blocking=False):
                self.gate.table.closed()

        return release

    def server_bind(self) -> None:
        if self.listen_fd is None:
            super().server_bind()
            return
        self.socket.close()
        self.socket = socket.socket(fileno=self.listen_fd)
        self.server_address = self.socket.getsockname()

    def server_activate(self) -> None:
        if self.listen_fd is None:
            super().server_activate()
        # Another process may take a waiting association first: accept() must then fail at once, not wait.
        self.socket.setblocking(False)

    def server_close(self) -> None:
        # Close this process's descriptor only: shutdown() would stop the socket the other processes listen on.
        self.socket.close()

    def get_request(self):
        if not self.gate.take():
            raise BlockingIOError("left to a less busy listener process")
        return super().get_request()

    def process_request(self, request, client_address) -> None:
        self.gate.table.opened()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.gate.table.closed()
            raise

    @staticmethod
    def _connection_closed(event) -> None:
        release = getattr(event.assoc, "lumen_release", None)
        if release is not None:
            release()  # as soon as the peer is gone, not when the association's thread has wound down


class CountedRequestHandler(RequestHandler):
    """Gives an accepted connection's place in the load table back exactly once: when the connection closes or
    the association's thread ends (whichever comes first; a thread that dies of an error never sees the close), or
    at once if no association ever started."""

    def handle(self) -> None:
        self.release = self.server.release_once()
        started = False
        try:
            super().handle()
            started = True
        finally:
            if not started:
                self.release()

    def _create_association(self):
        assoc = super()._create_association()
        assoc.lumen_release = release = self.release
        run = assoc.run

        def run_then_release() -> None:
            try:
                run()
            finally:
                release()

        assoc.run = run_then_release
        return assoc


def start(
    host: str,
    port: int,
    ae_title: str | None = None,
    *,
    block: bool = True,
    gate: Gate | None = None,
    listen_fd: int | None = None,
):
    """Serve until shut down; with ``block=False`` returns the running server (tests, the listener command).
    With a ``gate``, one of several listener processes (``BalancedServer``)."""
    ae = build_ae(ae_title)
    logger.info("DICOM listener %s on %s:%s", ae.ae_title, host, port)
    if gate is None:
        return ae.start_server((host, port), block=block, evt_handlers=HANDLERS)
    server = ae.make_server(
        (host, port), evt_handlers=HANDLERS, server_class=BalancedServer, gate=gate, listen_fd=listen_fd
    )
    threading.Thread(target=server.serve_forever, name="DicomListener", daemon=True).start()
    ae._servers.append(server)  # as start_server does, so shutdown() finds it
    return server
