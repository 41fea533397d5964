"""Lumen's DICOM services, as pynetdicom event handlers (PS3.4 annexes A, B, C, J).

Handlers are thin: they check the caller's rights, call the services (``pacs.services``, ``pacs.query``), log
reads in the access log, and map outcomes to DIMSE statuses.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection, connections
from pydicom.dataset import Dataset
from pynetdicom import evt
from pynetdicom.acse import ACSE
from pynetdicom.sop_class import (
    ModalityWorklistInformationFind,
    PatientRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelGet,
    PatientRootQueryRetrieveInformationModelMove,
)

from pacs import services, storage
from pacs.dicom import access, reactor
from pacs.dicom.network import set_nodelay
from pacs.dicom.received import ReceivedFile
from pacs.dicom.scu import contexts_for, load
from pacs.ingest import Rejected
from pacs.query import QueryError, find, instances_for
from ris.audit.choices import Action, Outcome
from ris.audit.services import printable

logger = logging.getLogger(__name__)

NOT_AUTHORISED = 0x0124
PROCESSING_FAILURE = 0xC211
PENDING, CANCEL = 0xFF00, 0xFE00
PATIENT_ROOT = ("PATIENT", "STUDY", "SERIES", "IMAGE")
STUDY_ROOT = ("STUDY", "SERIES", "IMAGE")
PATIENT_ROOT_UIDS = {
    PatientRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelMove,
    PatientRootQueryRetrieveInformationModelGet,
}


def _levels(event) -> tuple[str, ...]:
    return PATIENT_ROOT if event.request.AffectedSOPClassUID in PATIENT_ROOT_UIDS else STUDY_ROOT


class GatedACSE(ACSE):
    """ACSE that refuses unregistered callers before negotiating (A-ASSOCIATE-RJ, calling AE not recognised)."""

    def _negotiate_as_acceptor(self) -> None:
        request = self.requestor.primitive
        calling = request.calling_ae_title.strip()
        address = self.assoc.requestor.address
        peer, reason = access.check_association(calling, address)
        if peer is None:
            access.record_access(
                username=f"AE {calling}"[:150],
                action=Action.LOGIN_FAILED,
                outcome=Outcome.DENIED,
                address=address,
                channel="dicom",
                detail={"reason": reason, "called_ae": request.called_ae_title.strip()},
            )
            close_old_connections()
            logger.warning("DICOM association refused: %s", reason)
            self.send_reject(0x01, 0x01, 0x03)  # rejected-permanent, service-user, calling-AE-title-not-recognized
            evt.trigger(self.assoc, evt.EVT_REJECTED, {})
            self.assoc.kill()
            return
        self.assoc.lumen_peer = peer
        super()._negotiate_as_acceptor()


def on_connection(event) -> None:
    if event.assoc.is_acceptor and not isinstance(event.assoc.acse, GatedACSE):
        event.assoc.acse = GatedACSE(event.assoc)  # first: nothing below may leave an association ungated
    set_nodelay(event)
    if event.assoc.is_acceptor:
        # C-STOREs may be served in the DUL thread (``pacs.dicom.reactor``), on that thread's own connection.
        reactor.wire(event.assoc, dul_thread_end=connections.close_all)


def on_connection_closed(event) -> None:
    reactor.unwire(event.assoc)


def on_association_start(event) -> None:
    """Each association runs in its own thread with its own database connection, opened once and kept for all
    its requests (reconnecting per C-STORE would cost more than storing)."""
    close_old_connections()


def on_association_end(event) -> None:
    connection.close()


def handle_echo(event) -> int:
    return NOT_AUTHORISED if access.refused(event.assoc, "echo") else 0x0000


def handle_store(event):
    if access.refused(event.assoc, "store"):
        return NOT_AUTHORISED
    request = event.request
    received = request._dataset_file
    if isinstance(received, ReceivedFile):  # received into the incoming directory, hashed as it arrived
        received.flush()
        path, owned, digest, head = received.name, True, (received.sha256(), received.size), received.head
        descriptor = received.fileno()
    else:
        path = Path(event.dataset_path)
        owned, digest, head, descriptor = path.parent == storage.incoming_dir(), None, None, None
    try:
        services.ingest_file(
            path,
            source=event.assoc.requestor.ae_title.strip(),
            owned=owned,
            expected_sop_instance_uid=str(request.AffectedSOPInstanceUID),
            expected_sop_class_uid=str(request.AffectedSOPClassUID),
            digest=digest,
            head=head,
            descriptor=descriptor,
        )
    except Rejected as exc:
        logger.warning("C-STORE refused (0x%04X): %s", exc.status, exc.reason)
        return _status(exc.status, exc.reason)
    except Exception:
        logger.exception("C-STORE failed")
        connection.close()  # a broken connection is not reused for the next request
        return _status(PROCESSING_FAILURE, "Lumen could not store the instance; nothing was kept.")
    return 0x0000


def _status(code: int, comment: str) -> Dataset:
    ds = Dataset()
    ds.Status = code
    ds.ErrorComment = comment[:64]
    return ds


def handle_find(event):
    if event.request.AffectedSOPClassUID == ModalityWorklistInformationFind:
        yield from handle_worklist(event)
        return
    if access.refused(event.assoc, "find"):
        yield NOT_AUTHORISED, None
        return
    levels = _levels(event)
    try:
        identifier = event.identifier
        matches = 0
        for response in find(identifier, allowed=levels, retrieve_ae=settings.LUMEN_DICOM_AE_TITLE):
            if event.is_cancelled:
                yield CANCEL, None
                return
            matches += 1
            yield PENDING, response
    except QueryError as exc:
        yield _status(exc.status, exc.reason), None
        return
    finally:
        _log_query(event, "find", locals().get("matches", 0))
    yield 0x0000, None


def _query_keys(identifier) -> dict[str, str]:
    """The keys a query matched on, for the access log; keys inside a sequence (the worklist's Scheduled
    Procedure Step) as ``Sequence.Keyword``."""
    query = {}
    for elem in identifier:
        if not elem.keyword:
            continue
        if elem.VR == "SQ":
            for item in elem.value or []:
                for sub in item:
                    if sub.keyword and sub.VR != "SQ" and sub.value not in (None, ""):
                        query[f"{elem.keyword}.{sub.keyword}"] = printable(str(sub.value))
        elif elem.value not in (None, ""):
            query[elem.keyword] = printable(str(elem.value))
    return query


def _log_query(event, service: str, count: int, *, object_type: str = "", **detail) -> None:
    try:
        query = _query_keys(event.identifier)
    except Exception:  # noqa: BLE001 - an unreadable identifier is logged without its keys
        query = {}
    access.log_dicom(
        event.assoc,
        action=Action.SEARCH if service == "find" else Action.EXPORT,
        object_type=object_type or f"dicom.c-{service}",
        detail={
            "query": query,
            "matches": count,
            **({"destination": event.move_destination.strip()} if service == "move" else {}),
            **detail,
        },
    )


def handle_move(event):
    if access.refused(event.assoc, "move"):
        raise PermissionError("The calling node may not use C-MOVE.")
    destination = access.find_peer(event.move_destination.strip())
    instances = list(
        instances_for(event.identifier, allowed=_levels(event)).order_by("series_id", "instance_number", "id")
    )
    _log_query(event, "move", len(instances))
    if destination is None or not destination.port:
        yield None, None  # 0xA801 Move destination unknown
        return
    kwargs = {"contexts": contexts_for(instances), "evt_handlers": [(evt.EVT_CONN_OPEN, set_nodelay)]}
    yield destination.host, destination.port, kwargs
    yield len(instances)
    for instance in instances:
        if event.is_cancelled:
            yield CANCEL, None
            return
        yield PENDING, load(instance)


def handle_get(event):
    if access.refused(event.assoc, "get"):
        raise PermissionError("The calling node may not use C-GET.")
    instances = list(
        instances_for(event.identifier, allowed=_levels(event)).order_by("series_id", "instance_number", "id")
    )
    _log_query(event, "get", len(instances))
    yield len(instances)
    for instance in instances:
        if event.is_cancelled:
            yield CANCEL, None
            return
        yield PENDING, load(instance)


def handle_n_action(event):
    """Storage Commitment Push Model request (PS3.4 J.3.2): accept, then report on a new association."""
    if access.refused(event.assoc, "commit"):
        return NOT_AUTHORISED, None
    if event.request.ActionTypeID != 1:
        return 0x0123, None  # No such action: storage commitment defines action type 1 only
    peer = event.assoc.lumen_peer
    if not peer.port:
        return 0x0110, None  # nowhere to send the report: register the node with its port first
    info = event.action_information
    transaction_uid = str(info.get("TransactionUID", ""))
    references = [
        (str(i.ReferencedSOPClassUID), str(i.ReferencedSOPInstanceUID)) for i in info.get("ReferencedSOPSequence", [])
    ]
    if not transaction_uid or not references:
        return 0x0115, None  # Invalid argument value
    access.log_dicom(
        event.assoc,
        action=Action.VIEW,
        object_type="dicom.storage-commitment",
        detail={"transaction": transaction_uid, "instances": len(references)},
    )
    thread = threading.Thread(
        target=_report_commitment, args=(peer.ae_title, peer.host, peer.port, transaction_uid, references), daemon=True
    )
    thread.start()
    return 0x0000, None


def _report_commitment(ae_title: str, host: str, port: int, transaction_uid: str, references) -> None:
    from pacs.dicom.commitment import send_report

    try:
        send_report(ae_title, host, port, transaction_uid, references)
    except Exception:
        logger.exception("Storage commitment report to %s failed", ae_title)
    finally:
        connection.close()


def handle_worklist(event):
    """Modality Worklist C-FIND (PS3.4 K.4.1.3): scheduled procedure steps from ``scheduling.worklist``."""
    from scheduling.worklist import find_worklist

    if access.refused(event.assoc, "worklist"):
        yield NOT_AUTHORISED, None
        return
    matches = 0
    returned: list[str] = []  # accession numbers answered: whose schedule the modality was shown
    try:
        for response in find_worklist(event.identifier):
            if event.is_cancelled:
                yield CANCEL, None
                return
            matches += 1
            returned.append(str(response.get("AccessionNumber", "")))
            yield PENDING, response
    except QueryError as exc:
        yield _status(exc.status, exc.reason), None
        return
    except Exception:
        logger.exception("Worklist query failed")
        connection.close()
        yield _status(0xC000, "Lumen could not answer the worklist query."), None
        return
    finally:
        _log_query(event, "find", matches, object_type="dicom.mwl", returned_accession_numbers=returned)
    yield 0x0000, None


def _mpps_failure(exc) -> tuple[Dataset, None]:
    ds = _status(exc.status, exc.reason)
    if exc.error_id is not None:
        ds.ErrorID = exc.error_id
    return ds, None


def handle_n_create(event):
    """MPPS N-CREATE (PS3.4 F.7.2.1): a step begins (IN PROGRESS)."""
    from pydicom.uid import generate_uid

    from scheduling.mpps import MppsError, create_step

    if access.refused(event.assoc, "mpps"):
        return NOT_AUTHORISED, None
    uid = str(event.request.AffectedSOPInstanceUID or "") or generate_uid()
    try:
        create_step(sop_instance_uid=uid, ds=event.attribute_list, station_ae=event.assoc.requestor.ae_title.strip())
    except MppsError as exc:
        return _mpps_failure(exc)
    except Exception:
        logger.exception("MPPS N-CREATE failed")
        connection.close()
        return _status(PROCESSING_FAILURE, "Lumen could not record the step."), None
    access.log_dicom(event.assoc, action=Action.CREATE, object_type="dicom.mpps", detail={"sop_instance_uid": uid})
    reply = Dataset()
    if not event.request.AffectedSOPInstanceUID:
        reply.AffectedSOPInstanceUID = uid  # the SCP assigned it (PS3.7 10.1.5.1.3); pynetdicom moves it out
    return 0x0000, reply


def handle_n_set(event):
    """MPPS N-SET (PS3.4 F.7.2.2): a step in progress is updated, completed or discontinued."""
    from scheduling.mpps import MppsError, update_step

    if access.refused(event.assoc, "mpps"):
        return NOT_AUTHORISED, None
    try:
        update_step(
            sop_instance_uid=str(event.request.RequestedSOPInstanceUID),
            ds=event.modification_list,
            station_ae=event.assoc.requestor.ae_title.strip(),
        )
    except MppsError as exc:
        return _mpps_failure(exc)
    except Exception:
        logger.exception("MPPS N-SET failed")
        connection.close()
        return _status(PROCESSING_FAILURE, "Lumen could not update the step."), None
    uid = str(event.request.RequestedSOPInstanceUID)
    access.log_dicom(event.assoc, action=Action.UPDATE, object_type="dicom.mpps", detail={"sop_instance_uid": uid})
    return 0x0000, Dataset()


HANDLERS = [
    (evt.EVT_CONN_OPEN, on_connection),
    (evt.EVT_CONN_CLOSE, on_connection_closed),
    (evt.EVT_ACCEPTED, on_association_start),
    (evt.EVT_RELEASED, on_association_end),
    (evt.EVT_ABORTED, on_association_end),
    (evt.EVT_C_ECHO, handle_echo),
    (evt.EVT_C_STORE, handle_store),
    (evt.EVT_C_FIND, handle_find),
    (evt.EVT_C_MOVE, handle_move),
    (evt.EVT_C_GET, handle_get),
    (evt.EVT_N_ACTION, handle_n_action),
    (evt.EVT_N_CREATE, handle_n_create),
    (evt.EVT_N_SET, handle_n_set),
]
