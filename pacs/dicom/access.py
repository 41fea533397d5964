"""Who may talk to Lumen over DICOM, and what they may ask (deny by default).

A calling AE must be a registered DICOM node (``pacs.DicomNode``) or an acquisition modality registered under
equipment, calling from its registered host, and addressing Lumen's own AE title. Each service checks the
node's rights. ``LUMEN_DICOM_ACCEPT_ANY`` lifts the registration check on a closed demo network.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections

from pacs.models import DicomNode
from ris.audit.choices import Action, Outcome
from ris.audit.services import record_access
from ris.equipment.models import Modality

# Equipment's service names for the ones a node may use here.
_MODALITY_SERVICES = {
    "echo": "echo",
    "store": "store",
    "find": "find",
    "move": "move",
    "get": "get",
    "commit": "store",
    "worklist": "worklist",
    "mpps": "mpps",
}
# A registered DicomNode has no worklist or MPPS right of its own: its ``find`` right lets it query the worklist,
# its ``store`` right lets it report performed procedure steps.
_NODE_IMPLIED = {"find": "worklist", "store": "mpps"}


@dataclass
class Peer:
    ae_title: str
    host: str
    port: int
    services: set[str]
    registered: bool


def _resolves_to(host: str, address: str) -> bool:
    try:
        if ipaddress.ip_address(host) == ipaddress.ip_address(address):
            return True
    except ValueError:
        pass
    try:
        return address in {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False


def find_peer(ae_title: str) -> Peer | None:
    ae_title = ae_title.strip()
    node = DicomNode.objects.by_ae_title(ae_title).first()
    if node is not None:
        services = set(node.services) | {_NODE_IMPLIED[s] for s in node.services if s in _NODE_IMPLIED}
        return Peer(node.ae_title, node.host, node.port, services, True)
    modality = Modality.objects.active().by_ae_title(ae_title).first()
    if modality is not None:
        services = {ours for ours, theirs in _MODALITY_SERVICES.items() if theirs in modality.services}
        return Peer(modality.ae_title, modality.host, modality.port, services, True)
    return None


def check_association(calling_ae: str, address: str) -> tuple[Peer | None, str]:
    """The peer, or None with the reason the association is refused."""
    close_old_connections()  # runs in the association's new thread, before anything else touches the database
    peer = find_peer(calling_ae)
    if peer is None:
        if settings.LUMEN_DICOM_ACCEPT_ANY:
            return Peer(calling_ae.strip(), address, 0, set(_MODALITY_SERVICES), False), ""
        return None, f"calling AE title {calling_ae.strip()!r} is not registered"
    if not settings.LUMEN_DICOM_ACCEPT_ANY and not _resolves_to(peer.host, address):
        return None, f"{peer.ae_title} must call from its registered host, not {address}"
    return peer, ""


def log_dicom(assoc, *, action: str, outcome: str = Outcome.SUCCESS, object_type: str = "", detail=None, patient=None):
    """Access-log entry for a DICOM request, the calling AE standing in for the user."""
    record_access(
        username=f"AE {assoc.requestor.ae_title.strip()}"[:150],
        action=action,
        outcome=outcome,
        object_type=object_type,
        patient=patient,
        address=assoc.requestor.address,
        channel="dicom",
        detail=detail or {},
    )


def refused(assoc, service: str) -> bool:
    """True (and logged) when the association's peer may not use ``service``."""
    peer: Peer | None = getattr(assoc, "lumen_peer", None)
    if peer is not None and service in peer.services:
        return False
    log_dicom(assoc, action=Action.LOGIN_FAILED, outcome=Outcome.DENIED, detail={"service": service})
    return True
