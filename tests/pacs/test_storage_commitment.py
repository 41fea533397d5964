"""Storage commitment push model: N-ACTION answered by an N-EVENT-REPORT listing exactly what is stored."""

import threading

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from pynetdicom import AE, evt
from pynetdicom.sop_class import StorageCommitmentPushModel

from pacs import services, storage
from pacs.models import Instance
from tests.pacs.conftest import SCU_AE, write_series


def test_commitment_reports_stored_instances_and_fails_the_rest(listener, scu_node, tmp_path):
    _study, paths = write_series(tmp_path / "s", 3)
    for path in paths:
        services.ingest_file(path, source=SCU_AE, owned=False)
    stored = list(Instance.objects.order_by("instance_number"))
    damaged = stored[2]
    storage.absolute(damaged.path).write_bytes(b"bit rot")
    missing_uid = generate_uid()

    reports: list[Dataset] = []
    received = threading.Event()

    def on_report(event):
        reports.append((event.event_type, event.event_information))
        received.set()
        return 0x0000, None

    receiver = AE(SCU_AE)
    receiver.add_supported_context(StorageCommitmentPushModel, scu_role=True, scp_role=True)
    server = receiver.start_server(
        ("127.0.0.1", scu_node.port), block=False, evt_handlers=[(evt.EVT_N_EVENT_REPORT, on_report)]
    )
    try:
        requester = AE(SCU_AE)
        requester.add_requested_context(StorageCommitmentPushModel)
        assoc = requester.associate(listener.host, listener.port, ae_title=listener.ae_title)
        request = Dataset()
        request.TransactionUID = generate_uid()
        request.ReferencedSOPSequence = []
        for sop_class, sop_uid in [(i.sop_class_uid, i.sop_instance_uid) for i in stored] + [
            (stored[0].sop_class_uid, missing_uid)
        ]:
            item = Dataset()
            item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID = sop_class, sop_uid
            request.ReferencedSOPSequence.append(item)
        status, _reply = assoc.send_n_action(request, 1, StorageCommitmentPushModel, "1.2.840.10008.1.20.1.1")
        assoc.release()
        assert status.Status == 0x0000
        assert received.wait(timeout=20)
    finally:
        server.shutdown()
    event_type, info = reports[0]
    assert event_type == 2  # some failed
    assert info.TransactionUID == request.TransactionUID
    assert sorted(i.ReferencedSOPInstanceUID for i in info.ReferencedSOPSequence) == sorted(
        i.sop_instance_uid for i in stored[:2]
    )
    assert sorted((i.ReferencedSOPInstanceUID, i.FailureReason) for i in info.FailedSOPSequence) == sorted(
        [(damaged.sop_instance_uid, 0x0110), (missing_uid, 0x0112)]
    )
