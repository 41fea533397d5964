"""An association cut off in the middle of a large C-STORE: nothing half-stored, earlier instances intact, the
listener keeps serving, and the partial temporary file is cleaned up."""

import socket
import threading
import time

from pydicom.uid import generate_uid
from pynetdicom import AE, evt
from pynetdicom.sop_class import CTImageStorage, Verification

from pacs import services, storage
from pacs.models import Instance
from tests.pacs.conftest import SCU_AE, ct_dataset


def test_an_abort_mid_transfer_stores_nothing_of_it(listener, scu_node):
    ae = AE(SCU_AE)
    ae.add_requested_context(CTImageStorage, "1.2.840.10008.1.2.1")
    ae.add_requested_context(Verification)
    sent = []
    aborting = threading.Event()

    def on_pdu_sent(event):
        sent.append(1)
        if len(sent) == 20 and not aborting.is_set():  # well into the 32 MB data set: the connection drops
            aborting.set()
            event.assoc.dul.socket.socket.shutdown(socket.SHUT_RDWR)

    assoc = ae.associate(listener.host, listener.port, ae_title=listener.ae_title)
    study, series = generate_uid(), generate_uid()
    small = ct_dataset(study_uid=study, series_uid=series, number=1)
    assert assoc.send_c_store(small).Status == 0x0000
    big = ct_dataset(study_uid=study, series_uid=series, number=2, size=2048)  # 8 MB a frame
    big.NumberOfFrames = 4
    big.PixelData = big.PixelData * 4
    sent.clear()
    assoc.bind(evt.EVT_PDU_SENT, on_pdu_sent)
    sender = threading.Thread(target=lambda: assoc.send_c_store(big), daemon=True)
    sender.start()
    assert aborting.wait(timeout=20)
    sender.join(timeout=5)
    time.sleep(0.5)

    assert list(Instance.objects.values_list("sop_instance_uid", flat=True)) == [small.SOPInstanceUID]
    stored = Instance.objects.get()
    assert storage.sha256_of(storage.absolute(stored.path)) == stored.sha256
    again = AE(SCU_AE)
    again.add_requested_context(Verification)
    check = again.associate(listener.host, listener.port, ae_title=listener.ae_title)
    assert check.send_c_echo().Status == 0x0000
    check.release()
    services.remove_orphans(min_age_seconds=0)
    assert list(storage.incoming_dir().iterdir()) == []
    assert [p.name for p in storage.root().glob("??/??/*/*/*.dcm")] == [stored.path.rsplit("/", 1)[1]]
