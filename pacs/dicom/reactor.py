"""Event-driven waits for pynetdicom's two reactor threads.

Each pynetdicom association runs two threads that poll each other through queues: the DUL thread sleeps
``_run_loop_delay`` whenever a turn found nothing to do, and the association thread sleeps 1 ms on every turn
before it looks for a complete DIMSE message. On a busy C-STORE association those sleeps, not the work, set the
pace: every instance waits for both threads to wake up, and the wake-ups themselves take the GIL.

Lumen keeps pynetdicom's loops and its state machine as they are and replaces only the two sleeps, through
``install()``: for an association wired by ``wire()``,

- the DUL thread waits in ``poll()`` on its socket and on a wake-up socket that is written whenever the
  association thread queues a primitive to send (a C-STORE response, a release) — it runs the moment the peer
  sends a PDU or Lumen has something to send;
- the association thread waits on an ``Event`` set whenever the DUL thread completes a DIMSE message or
  receives a release or abort.

Both waits are bounded (``MAX_WAIT``) so that pynetdicom's timers and kill flags, which nothing signals, are
still seen within a few milliseconds. A thread that is not wired (a requestor association Lumen opens to send
images) keeps pynetdicom's own sleep. Checked against the pinned pynetdicom (3.0.x); the DICOM test suite runs
every service through these waits.

A C-STORE request that the DUL thread completes while the association thread has nothing to do (no message
queued, none being served) is served where it is, in the DUL thread (``_MessageQueue``): handing it to the
association thread and its response back costs an instance two thread switches, a wake-up and, on a listener with
several associations, the GIL's passing between all their threads at every system call on the way. The C-STORE
is served the same way either way (pynetdicom's storage service class, Lumen's handler, the response through the
same queue); a C-STORE that arrives while another message is queued or served takes the usual way, so messages
are never served two at a time on one association. A wired association serves every other message, and any
C-STORE that does not fit (an unknown context, an association being released), in its own thread as before.
"""

from __future__ import annotations

import logging
import queue
import select
import socket
import sys
import threading
import time as _time
import types
import weakref

from pynetdicom import _config
from pynetdicom import association as _association
from pynetdicom import dul as _dul
from pynetdicom import transport as _transport
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.service_class import StorageServiceClass
from pynetdicom.sop_class import uid_to_service_class

from pacs.dicom.fastpath import read_ahead

logger = logging.getLogger(__name__)

MAX_WAIT = 0.01  # seconds; the longest a wired reactor sleeps without being woken


class _SignallingQueue(queue.Queue):
    """A ``queue.Queue`` that calls ``signal()`` after each put (the consumer waits on it, not on the queue), unless
    the consumer is the thread putting (``consumer``)."""

    def __init__(self, signal, consumer: threading.Thread | None = None) -> None:
        super().__init__()
        self._signal = signal
        self._consumer = consumer

    def _put(self, item) -> None:
        super()._put(item)
        if self._consumer is None or threading.current_thread() is not self._consumer:
            self._signal()


class _AbortAfterFailure:
    """Queued for the association thread when a C-STORE served in the DUL thread failed outside its handler:
    pynetdicom aborts the association then, and only the association thread may wait for that to finish."""


_ABORT = (None, _AbortAfterFailure())


class _MessageQueue(_SignallingQueue):
    """A wired acceptor's queue of received DIMSE messages (``dimse.msg_queue``, filled by the DUL thread only).
    A C-STORE request put while the queue is empty and the association thread serves nothing is served at once
    by the putting DUL thread instead; anything else is queued for the association thread."""

    def __init__(self, assoc, signal) -> None:
        super().__init__(signal)
        self._assoc = weakref.ref(assoc)  # the association holds the queue: no cycle through it

    def put(self, item, block: bool = True, timeout: float | None = None) -> None:
        assoc = self._assoc()
        if assoc is None or not self._served_here(assoc, item):
            super().put(item, block, timeout)

    def _served_here(self, assoc, item) -> bool:
        context_id, primitive = item
        if (
            type(primitive) is not C_STORE
            or self.queue
            or threading.current_thread() is not assoc.dul
            or not primitive.is_valid_request
        ):
            return False
        if not assoc.lumen_serving.acquire(blocking=False):  # the association thread is serving a message
            return False
        try:
            return _serve_store(assoc, primitive, context_id, self)
        finally:
            _served(assoc)


def _serve_store(assoc, primitive: C_STORE, context_id: int, messages: _MessageQueue) -> bool:
    """What ``Association._serve_request`` does with a C-STORE request, in the calling (DUL) thread; False, and
    nothing done, where it would do anything else (log and ignore it, or abort)."""
    context = assoc._accepted_cx.get(context_id)
    if context is None or assoc._sent_release or not assoc.is_established:
        return False
    class_uid = primitive.AffectedSOPClassUID
    extended = assoc.acceptor.accepted_common_extended.get(class_uid)
    if extended is not None:
        class_uid = extended[0]
    if _config.UNRESTRICTED_STORAGE_SERVICE:
        class_uid = "1.2.840.10008.5.1.4.1.1.1"
    try:
        service_class = uid_to_service_class(class_uid)
    except Exception:  # noqa: BLE001 - whatever pynetdicom would make of it, it makes in its own thread
        return False
    if service_class is not StorageServiceClass:
        return False
    try:
        assoc.dimse.cancel_req = {}
        service_class(assoc).SCP(primitive, context)
        assoc.dimse.cancel_req = {}
    except Exception:
        # The handler's own failures are answered by the service class; this is anything else (pynetdicom
        # aborts the association then, and so does the association thread now).
        logger.exception("C-STORE failed outside its handler; the association is aborted")
        queue.Queue.put(messages, _ABORT)
    return True


_pynetdicom_serve_request = _association.Association._serve_request


def _serve_request(self, msg, context_id) -> None:
    """``Association._serve_request``, holding the association's serving lock when a wired association's own
    thread serves (so its DUL thread serves no C-STORE meanwhile, and the network idle timer does not run out
    while a slow request is served); the abort a failed C-STORE left it."""
    if isinstance(msg, _AbortAfterFailure):
        self.abort()
        return
    serving = getattr(self, "lumen_serving", None)
    if serving is None or threading.current_thread() is not self:
        _pynetdicom_serve_request(self, msg, context_id)
        return
    serving.acquire()
    try:
        _pynetdicom_serve_request(self, msg, context_id)
    finally:
        _served(self)


def _served(assoc) -> None:
    """End a wired association's serving of a message, in whichever thread served it: the network idle timer
    starts again (the time spent serving was not the peer's silence) and the serving lock is released."""
    assoc.dul._idle_timer.restart()
    assoc.lumen_serving.release()


class _Wakeup:
    """One DUL thread's wake-up: a socket pair whose read end is polled next to the peer's socket."""

    def __init__(self) -> None:
        self.reader, self.writer = socket.socketpair()
        self.reader.setblocking(False)
        self.writer.setblocking(False)

    def set(self) -> None:
        try:
            self.writer.send(b"\0")
        except (BlockingIOError, OSError):  # already pending, or closed at the association's end
            pass

    def drain(self) -> None:
        try:
            while self.reader.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def close(self) -> None:
        self.reader.close()
        self.writer.close()


def wire(assoc, *, dul_thread_end=None) -> None:
    """Make an association's reactors wait on signals, and its DUL thread serve C-STOREs when the association
    thread is idle. Call before the association's threads start (an acceptor's EVT_CONN_OPEN): the queues it
    replaces must still be empty. ``dul_thread_end`` is called in the DUL thread as it ends (what its C-STORE
    handlers opened in that thread, such as a database connection, is closed there)."""
    dul, dimse = assoc.dul, assoc.dimse
    if getattr(dul, "lumen_wakeup", None) is not None:
        return
    activity = threading.Event()
    wakeup = _Wakeup()
    dul.to_provider_queue = _SignallingQueue(wakeup.set, consumer=dul)
    dul.to_user_queue = _SignallingQueue(activity.set)
    dimse.msg_queue = _MessageQueue(assoc, activity.set)
    dul.lumen_wakeup = wakeup
    assoc.lumen_activity = activity
    assoc.lumen_serving = serving = threading.Lock()
    # The network is not idle while Lumen serves a C-STORE in the DUL thread (the peer is waiting for its answer):
    # the association thread, which checks the idle timer meanwhile, must not take it for a silent peer.
    expired = dul.idle_timer_expired
    dul.idle_timer_expired = lambda: not serving.locked() and expired()
    if dul_thread_end is not None:
        target = dul._target  # the thread's run_reactor, bound when pynetdicom made the thread

        def run_then_end(*args, **kwargs) -> None:
            try:
                target(*args, **kwargs)
            finally:
                dul_thread_end()

        dul._target = run_then_end
    # Closed with the connection (EVT_CONN_CLOSE), or at the latest when the association is collected (the
    # finalizer holds the socket pair only: anything holding the association would keep it alive).
    weakref.finalize(assoc, wakeup.close)


def unwire(assoc) -> None:
    """Close the wake-up sockets (EVT_CONN_CLOSE); a reactor still running falls back to pynetdicom's sleep."""
    _close_wakeup(assoc.dul)


def _close_wakeup(dul) -> None:
    wakeup = getattr(dul, "lumen_wakeup", None)
    if wakeup is not None:
        dul.lumen_wakeup = None
        wakeup.close()


def _dul_wait(dul, seconds: float) -> None:
    wakeup = dul.lumen_wakeup
    peer = getattr(dul.socket, "socket", None)
    if wakeup is None or peer is None:
        _time.sleep(seconds)
        return
    if read_ahead(dul.socket):
        return  # the start of a PDU has arrived already: no need to wait for it
    try:
        poller = select.poll()  # not select(): a busy listener's descriptors may be numbered past 1024
        poller.register(peer, select.POLLIN)
        poller.register(wakeup.reader, select.POLLIN)
        signalled = wakeup.reader.fileno()
        ready = poller.poll(MAX_WAIT * 1000)
    except (OSError, ValueError):  # the socket closed under us: pynetdicom's loop notices on its next turn
        _time.sleep(seconds)
        return
    for descriptor, events in ready:
        if descriptor == signalled:
            wakeup.drain()
        elif events == select.POLLIN:  # data waiting, and nothing else to report (a hang-up, an error)
            dul.socket.lumen_readable = True


_pynetdicom_ready = _transport.AssociationSocket.ready


def _socket_ready(self) -> bool:
    """``AssociationSocket.ready``, without asking the kernel again when the DUL thread's wait has just seen data
    waiting on the socket (only that thread reads it, so the data is still there), or when bytes read past the
    last PDU are waiting in Lumen's inbox (``pacs.dicom.fastpath.next_pdu``)."""
    readable = self.__dict__.pop("lumen_readable", False) or read_ahead(self)
    if readable and self.socket is not None and self._is_connected:
        return True
    return _pynetdicom_ready.fget(self)


def _association_wait(activity: threading.Event) -> None:
    activity.wait(MAX_WAIT)
    activity.clear()  # before the loop looks at the queues, so a signal after this point is not lost


def _sleep(seconds: float) -> None:
    """``time.sleep`` as seen by pynetdicom's ``dul`` and ``association`` modules."""
    thread = threading.current_thread()
    if isinstance(thread, _dul.DULServiceProvider):
        if getattr(thread, "lumen_wakeup", None) is not None and sys._getframe(1).f_code is _DUL_LOOP:
            _dul_wait(thread, seconds)
            return
    elif getattr(thread, "lumen_activity", None) is not None and sys._getframe(1).f_code is _ASSOCIATION_LOOP:
        _association_wait(thread.lumen_activity)
        return
    _time.sleep(seconds)


_DUL_LOOP = _dul.DULServiceProvider.run_reactor.__code__
_ASSOCIATION_LOOP = _association.Association._run_reactor.__code__


def install() -> None:
    """Give pynetdicom's reactor modules Lumen's ``sleep`` (everything else in their ``time`` is the real one)."""
    shim = types.ModuleType("time")
    shim.__dict__.update({name: getattr(_time, name) for name in dir(_time) if not name.startswith("__")})
    shim.sleep = _sleep
    _dul.time = shim
    _association.time = shim
    _association.Association._serve_request = _serve_request
    _transport.AssociationSocket.ready = property(_socket_ready)
