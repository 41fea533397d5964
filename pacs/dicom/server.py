"""The DICOM listener: one pynetdicom AE serving Lumen's DICOM services on a TCP port."""

from __future__ import annotations

import logging
import socket
import tempfile
import threading

from django.conf import settings
from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, _config
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
from pynetdicom.transport import ThreadedAssociationServer

from pacs import storage
from pacs.dicom import fastpath, reactor
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


class SharedPortServer(ThreadedAssociationServer):
    """An association server whose port other Lumen listener processes share (SO_REUSEPORT): the kernel spreads
    incoming associations over the processes, so ingest uses every core despite Python's GIL."""

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


def start(host: str, port: int, ae_title: str | None = None, *, block: bool = True, shared_port: bool = False):
    """Serve until shut down; with ``block=False`` returns the running server (tests, the listener command)."""
    ae = build_ae(ae_title)
    logger.info("DICOM listener %s on %s:%s", ae.ae_title, host, port)
    if not shared_port:
        return ae.start_server((host, port), block=block, evt_handlers=HANDLERS)
    server = ae.make_server((host, port), evt_handlers=HANDLERS, server_class=SharedPortServer)
    threading.Thread(target=server.serve_forever, name="DicomListener", daemon=True).start()
    ae._servers.append(server)  # as start_server does, so shutdown() finds it
    return server
