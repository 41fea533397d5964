"""The listener's associations wait on signals, not on pynetdicom's polling sleeps (``pacs.dicom.reactor``)."""

import select
import threading
import time

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from pynetdicom import AE
from pynetdicom.sop_class import CTImageStorage, Verification

from pacs.dicom import reactor
from pacs.models import Instance
from tests.pacs.conftest import SCU_AE, ct_dataset


def _server_side(listener_port: int):
    """The listener's association objects (acceptors) now running in this process."""
    return [
        thread
        for thread in threading.enumerate()
        if getattr(thread, "is_acceptor", False) and thread.acceptor.address_info.port == listener_port
    ]


def test_accepted_associations_are_wired_and_serve_on_signals(listener, scu_node):
    ae = AE(SCU_AE)
    ae.add_requested_context(CTImageStorage, "1.2.840.10008.1.2.1")
    ae.add_requested_context(Verification)
    assoc = ae.associate(listener.host, listener.port, ae_title=listener.ae_title)
    assert assoc.is_established
    try:
        (acceptor,) = _server_side(listener.port)
        assert isinstance(acceptor.lumen_activity, threading.Event)
        assert acceptor.dul.lumen_wakeup is not None
        # Each queue between the two reactor threads signals its consumer.
        assert isinstance(acceptor.dimse.msg_queue, reactor._SignallingQueue)
        assert isinstance(acceptor.dul.to_user_queue, reactor._SignallingQueue)
        assert isinstance(acceptor.dul.to_provider_queue, reactor._SignallingQueue)

        study, series = generate_uid(), generate_uid()
        for number in range(1, 21):
            assert assoc.send_c_store(ct_dataset(study_uid=study, series_uid=series, number=number)).Status == 0
        assert assoc.send_c_echo().Status == 0
    finally:
        assoc.release()
    assert assoc.is_released
    assert Instance.objects.filter(series__series_instance_uid=series).count() == 20
    deadline = time.monotonic() + 5
    while _server_side(listener.port) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _server_side(listener.port) == []
    assert acceptor.dul.lumen_wakeup is None  # the wake-up sockets were closed with the connection


def test_queues_signal_their_consumer_and_other_sleeps_are_real():
    activity = threading.Event()
    queue = reactor._SignallingQueue(activity.set)
    queue.put("message")
    assert activity.is_set()
    reactor._association_wait(activity)  # returns at once, and clears the signal for the next turn
    assert not activity.is_set()
    assert queue.get_nowait() == "message"

    wakeup = reactor._Wakeup()
    try:
        assert select.select([wakeup.reader], [], [], 0)[0] == []
        wakeup.set()
        wakeup.set()
        assert select.select([wakeup.reader], [], [], 0)[0] == [wakeup.reader]
        wakeup.drain()
        assert select.select([wakeup.reader], [], [], 0)[0] == []
    finally:
        wakeup.close()
    wakeup.set()  # closed: a late signal is harmless

    reactor.install()
    started = time.monotonic()
    reactor._sleep(0.02)  # not a reactor thread: pynetdicom's own sleep, in full
    assert time.monotonic() - started >= 0.02


def test_an_association_and_its_wake_up_sockets_are_released_once_it_ends(listener, scu_node):
    import gc
    import weakref

    ae = AE(SCU_AE)
    ae.add_requested_context(Verification)
    assoc = ae.associate(listener.host, listener.port, ae_title=listener.ae_title)
    (acceptor,) = _server_side(listener.port)
    gone, wakeup = weakref.ref(acceptor), acceptor.dul.lumen_wakeup
    assert assoc.send_c_echo().Status == 0
    assoc.release()
    del acceptor
    deadline = time.monotonic() + 5
    while gone() is not None and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.05)
    assert gone() is None  # nothing Lumen added keeps a finished association alive
    assert wakeup.reader.fileno() == -1
    assert wakeup.writer.fileno() == -1


def _record_threads(monkeypatch) -> list[tuple[str, str]]:
    """(service, kind of thread) for each request a handler checks the caller's rights for."""
    from pacs.dicom import handlers

    seen = []
    refused = handlers.access.refused

    def recording(assoc, service):
        seen.append((service, type(threading.current_thread()).__name__))
        return refused(assoc, service)

    monkeypatch.setattr(handlers.access, "refused", recording)
    return seen


def test_c_stores_are_served_in_the_dul_thread_while_the_association_thread_is_idle(listener, scu_node, monkeypatch):
    from django.db import connections

    seen = _record_threads(monkeypatch)
    ended = []
    close_all = connections.close_all
    monkeypatch.setattr(
        connections, "close_all", lambda: (ended.append(type(threading.current_thread()).__name__), close_all())
    )
    ae = AE(SCU_AE)
    ae.add_requested_context(CTImageStorage, "1.2.840.10008.1.2.1")
    ae.add_requested_context(Verification)
    assoc = ae.associate(listener.host, listener.port, ae_title=listener.ae_title)
    assert assoc.is_established
    study, series = generate_uid(), generate_uid()
    try:
        for number in range(1, 6):
            assert assoc.send_c_store(ct_dataset(study_uid=study, series_uid=series, number=number)).Status == 0
        assert assoc.send_c_echo().Status == 0
    finally:
        assoc.release()
    assert seen == [("store", "DULServiceProvider")] * 5 + [("echo", "Association")]
    assert Instance.objects.filter(series__series_instance_uid=series).count() == 5
    deadline = time.monotonic() + 5
    while "DULServiceProvider" not in ended and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "DULServiceProvider" in ended  # the DUL thread's own database connection closed as it ended


def test_a_c_store_arriving_while_the_association_thread_serves_waits_its_turn(listener, scu_node, monkeypatch):
    seen = _record_threads(monkeypatch)
    ae = AE(SCU_AE)
    ae.add_requested_context(CTImageStorage, "1.2.840.10008.1.2.1")
    assoc = ae.associate(listener.host, listener.port, ae_title=listener.ae_title)
    assert assoc.is_established
    (acceptor,) = _server_side(listener.port)
    study, series = generate_uid(), generate_uid()
    statuses = []
    try:
        with acceptor.lumen_serving:  # as if the association thread were serving another message
            sender = threading.Thread(
                target=lambda: statuses.append(
                    assoc.send_c_store(ct_dataset(study_uid=study, series_uid=series, number=1)).Status
                )
            )
            sender.start()
            time.sleep(0.5)  # long enough for the DUL thread to have served it, had it done so
            assert seen == []  # queued for the association thread, which waits for the lock
            assert statuses == []
        sender.join(10)
        assert statuses == [0]
        assert assoc.send_c_store(ct_dataset(study_uid=study, series_uid=series, number=2)).Status == 0
    finally:
        assoc.release()
    assert seen == [("store", "Association"), ("store", "DULServiceProvider")]
    assert Instance.objects.filter(series__series_instance_uid=series).count() == 2


def test_a_c_store_failing_outside_its_handler_in_the_dul_thread_aborts_the_association(
    listener, scu_node, monkeypatch
):
    from pynetdicom.service_class import StorageServiceClass

    def broken(self, req, context):
        raise RuntimeError("broken service class")

    monkeypatch.setattr(StorageServiceClass, "SCP", broken)
    ae = AE(SCU_AE)
    ae.add_requested_context(CTImageStorage, "1.2.840.10008.1.2.1")
    assoc = ae.associate(listener.host, listener.port, ae_title=listener.ae_title)
    assert assoc.is_established
    status = assoc.send_c_store(ct_dataset(study_uid=generate_uid(), series_uid=generate_uid(), number=1))
    assert status == Dataset()  # no response: the association was aborted
    deadline = time.monotonic() + 5
    while not assoc.is_aborted and time.monotonic() < deadline:
        time.sleep(0.01)
    assert assoc.is_aborted
    deadline = time.monotonic() + 5
    while _server_side(listener.port) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _server_side(listener.port) == []  # both of the listener's threads for it ended


def test_the_socket_is_not_asked_again_when_the_dul_wait_has_just_seen_data(monkeypatch):
    import socket
    import types

    reactor.install()
    reader, writer = socket.socketpair()
    try:
        fake = types.SimpleNamespace(socket=reader, _is_connected=True, event_queue=None)
        asked = []
        real_select = select.select
        monkeypatch.setattr(select, "select", lambda *args: asked.append(args) or real_select(*args))
        assert reactor._socket_ready(fake) is False  # nothing waiting: the kernel is asked
        assert len(asked) == 1
        fake.lumen_readable = True  # the wait's poll saw data
        assert reactor._socket_ready(fake) is True
        assert len(asked) == 1  # not asked again
        assert reactor._socket_ready(fake) is False  # the word is used once
        assert len(asked) == 2
        fake.lumen_readable, fake._is_connected = True, False
        assert reactor._socket_ready(fake) is False  # closed meanwhile: pynetdicom's answer
        fake._is_connected = True
        fake.lumen_inbox = bytearray(b"\x04\x00")  # read past the last PDU: the next one has begun
        assert reactor._socket_ready(fake) is True
        assert len(asked) == 2
        wakeup = reactor._Wakeup()
        started = time.monotonic()
        reactor._dul_wait(types.SimpleNamespace(lumen_wakeup=wakeup, socket=fake), 0.5)
        assert time.monotonic() - started < 0.005  # no wait: there is a PDU to read
        wakeup.close()
        fake.lumen_inbox.clear()
        writer.send(b"x")
        assert reactor._socket_ready(fake) is True
        assert len(asked) == 3
    finally:
        reader.close()
        writer.close()


def test_a_c_store_served_in_the_dul_thread_is_not_taken_for_a_silent_network(listener, scu_node, monkeypatch):
    """The association thread checks the network's idle timer while the DUL thread serves a C-STORE; a slow ingest
    (a very large image on a slow disk) is not the peer's silence, and must not end the association."""
    from pacs.dicom import handlers

    ingest_file = handlers.services.ingest_file

    def slow(*args, **kwargs):
        time.sleep(1.0)
        return ingest_file(*args, **kwargs)

    monkeypatch.setattr(handlers.services, "ingest_file", slow)
    ae = AE(SCU_AE)
    ae.add_requested_context(CTImageStorage, "1.2.840.10008.1.2.1")
    assoc = ae.associate(listener.host, listener.port, ae_title=listener.ae_title)
    assert assoc.is_established
    (acceptor,) = _server_side(listener.port)
    acceptor.dul._idle_timer.timeout = 0.3  # a network timeout far shorter than the ingest
    study, series = generate_uid(), generate_uid()
    try:
        for number in (1, 2):
            assert assoc.send_c_store(ct_dataset(study_uid=study, series_uid=series, number=number)).Status == 0
        assert assoc.is_established
        assert acceptor.is_established
    finally:
        assoc.release()
    assert Instance.objects.filter(series__series_instance_uid=series).count() == 2


def test_a_slow_query_served_by_the_association_thread_does_not_end_the_association(listener, scu_node, monkeypatch):
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind

    from pacs.dicom import handlers

    find = handlers.find

    def slow(*args, **kwargs):
        time.sleep(1.0)
        yield from find(*args, **kwargs)

    monkeypatch.setattr(handlers, "find", slow)
    ae = AE(SCU_AE)
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
    ae.add_requested_context(Verification)
    assoc = ae.associate(listener.host, listener.port, ae_title=listener.ae_title)
    assert assoc.is_established
    (acceptor,) = _server_side(listener.port)
    acceptor.dul._idle_timer.timeout = 0.3
    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.StudyInstanceUID = ""
    try:
        statuses = [status.Status for status, _ in assoc.send_c_find(query, StudyRootQueryRetrieveInformationModelFind)]
        assert statuses == [0x0000]  # nothing stored: no matches, then success
        assert assoc.send_c_echo().Status == 0  # still there
    finally:
        assoc.release()
    assert assoc.is_released
