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
"""

from __future__ import annotations

import queue
import select
import socket
import sys
import threading
import time as _time
import types
import weakref

from pynetdicom import association as _association
from pynetdicom import dul as _dul

MAX_WAIT = 0.01  # seconds; the longest a wired reactor sleeps without being woken


class _SignallingQueue(queue.Queue):
    """A ``queue.Queue`` that calls ``signal()`` after each put (the consumer waits on it, not on the queue)."""

    def __init__(self, signal) -> None:
        super().__init__()
        self._signal = signal

    def _put(self, item) -> None:
        super()._put(item)
        self._signal()


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


def wire(assoc) -> None:
    """Make an association's reactors wait on signals. Call before the association's threads start (an
    acceptor's EVT_CONN_OPEN): the queues it replaces must still be empty."""
    dul, dimse = assoc.dul, assoc.dimse
    if getattr(dul, "lumen_wakeup", None) is not None:
        return
    activity = threading.Event()
    wakeup = _Wakeup()
    dul.to_provider_queue = _SignallingQueue(wakeup.set)
    dul.to_user_queue = _SignallingQueue(activity.set)
    dimse.msg_queue = _SignallingQueue(activity.set)
    dul.lumen_wakeup = wakeup
    assoc.lumen_activity = activity
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
    try:
        poller = select.poll()  # not select(): a busy listener's descriptors may be numbered past 1024
        poller.register(peer, select.POLLIN)
        poller.register(wakeup.reader, select.POLLIN)
        poller.poll(MAX_WAIT * 1000)
    except (OSError, ValueError):  # the socket closed under us: pynetdicom's loop notices on its next turn
        _time.sleep(seconds)
        return
    wakeup.drain()


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
