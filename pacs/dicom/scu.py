"""Lumen as a DICOM client: sending stored instances to another node (C-STORE SCU)."""

from __future__ import annotations

from pydicom import dcmread
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE, build_context, evt

from pacs import storage
from pacs.dicom.network import configure_timeouts, set_nodelay
from pacs.models import Instance

UNCOMPRESSED = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]


def contexts_for(instances: list[Instance]) -> list:
    """One presentation context per (SOP class, stored transfer syntax); uncompressed ones may be re-encoded."""
    wanted: dict[tuple[str, str], list[str]] = {}
    for inst in instances:
        syntaxes = [inst.transfer_syntax_uid]
        if UID(inst.transfer_syntax_uid) in UNCOMPRESSED or not UID(inst.transfer_syntax_uid).is_compressed:
            syntaxes += [ts for ts in UNCOMPRESSED if ts != inst.transfer_syntax_uid]
        wanted[(inst.sop_class_uid, inst.transfer_syntax_uid)] = syntaxes
    return [build_context(sop_class, syntaxes) for (sop_class, _ts), syntaxes in list(wanted.items())[:128]]


def load(instance: Instance):
    return dcmread(storage.absolute(instance.path))


def send_instances(instances: list[Instance], ae_title: str, host: str, port: int) -> dict[str, int]:
    """C-STORE each instance to the node on one association; returns counts of completed and failed."""
    from django.conf import settings

    ae = AE(settings.LUMEN_DICOM_AE_TITLE)
    configure_timeouts(ae)
    assoc = ae.associate(
        host, port, contexts=contexts_for(instances), ae_title=ae_title, evt_handlers=[(evt.EVT_CONN_OPEN, set_nodelay)]
    )
    if not assoc.is_established:
        raise ConnectionError(f"{ae_title} at {host}:{port} did not accept an association")
    result = {"completed": 0, "failed": 0}
    try:
        for instance in instances:
            status = assoc.send_c_store(load(instance))
            ok = status is not None and getattr(status, "Status", 0xFFFF) in (0x0000, 0xB000, 0xB007, 0xB006)
            result["completed" if ok else "failed"] += 1
    finally:
        assoc.release()
    return result
