"""Storage commitment report (N-EVENT-REPORT, PS3.4 J.3.3): which referenced instances Lumen holds safely."""

from __future__ import annotations

from pydicom.dataset import Dataset
from pynetdicom import AE, build_role, evt
from pynetdicom.sop_class import StorageCommitmentPushModel

from pacs import storage
from pacs.dicom.network import configure_timeouts, set_nodelay
from pacs.models import Instance

STORAGE_COMMITMENT_INSTANCE = "1.2.840.10008.1.20.1.1"
PROCESSING_FAILURE = 0x0110
NO_SUCH_OBJECT_INSTANCE = 0x0112
CLASS_INSTANCE_CONFLICT = 0x0119


def verdicts(references: list[tuple[str, str]]) -> tuple[list, list]:
    """Split references into committed (stored, file present and its SHA-256 as indexed) and failed with reason."""
    stored = {
        i.sop_instance_uid: i for i in Instance.objects.filter(sop_instance_uid__in=[uid for _c, uid in references])
    }
    ok, failed = [], []
    for sop_class, sop_uid in references:
        instance = stored.get(sop_uid)
        if instance is None:
            failed.append((sop_class, sop_uid, NO_SUCH_OBJECT_INSTANCE))
        elif instance.sop_class_uid != sop_class:
            failed.append((sop_class, sop_uid, CLASS_INSTANCE_CONFLICT))
        else:
            try:
                intact = storage.sha256_of(storage.absolute(instance.path)) == instance.sha256
            except OSError:
                intact = False
            if intact:
                ok.append((sop_class, sop_uid))
            else:  # indexed but its file is missing or no longer what was stored
                failed.append((sop_class, sop_uid, PROCESSING_FAILURE))
    return ok, failed


def report(transaction_uid: str, references: list[tuple[str, str]]) -> tuple[int, Dataset]:
    ok, failed = verdicts(references)
    ds = Dataset()
    ds.TransactionUID = transaction_uid
    ds.ReferencedSOPSequence = []
    for sop_class, sop_uid in ok:
        item = Dataset()
        item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID = sop_class, sop_uid
        ds.ReferencedSOPSequence.append(item)
    if failed:
        ds.FailedSOPSequence = []
        for sop_class, sop_uid, reason in failed:
            item = Dataset()
            item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID, item.FailureReason = sop_class, sop_uid, reason
            ds.FailedSOPSequence.append(item)
    return (2 if failed else 1), ds


def send_report(ae_title: str, host: str, port: int, transaction_uid: str, references) -> int:
    """Open an association to the requester (Lumen in the SCP role) and send the report; returns its status."""
    from django.conf import settings

    event_type, ds = report(transaction_uid, references)
    ae = AE(settings.LUMEN_DICOM_AE_TITLE)
    configure_timeouts(ae)
    ae.add_requested_context(StorageCommitmentPushModel)
    role = build_role(StorageCommitmentPushModel, scp_role=True)
    assoc = ae.associate(host, port, ae_title=ae_title, ext_neg=[role], evt_handlers=[(evt.EVT_CONN_OPEN, set_nodelay)])
    if not assoc.is_established:
        raise ConnectionError(f"{ae_title} at {host}:{port} refused the storage commitment report")
    try:
        status, _reply = assoc.send_n_event_report(
            ds, event_type, StorageCommitmentPushModel, STORAGE_COMMITMENT_INSTANCE
        )
        return getattr(status, "Status", 0xFFFF)
    finally:
        assoc.release()
