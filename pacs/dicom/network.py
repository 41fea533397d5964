"""Socket and AE settings shared by everything that speaks DICOM: TCP_NODELAY, timeouts, the local AE title."""

from __future__ import annotations

import socket

from django.conf import settings


def set_nodelay(event) -> None:
    """EVT_CONN_OPEN handler: without TCP_NODELAY every DIMSE exchange waits on a delayed ACK (~40 ms)."""
    sock = getattr(getattr(event.assoc.dul, "socket", None), "socket", None)
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def configure_timeouts(ae) -> None:
    ae.acse_timeout = settings.LUMEN_DICOM_TIMEOUT
    ae.dimse_timeout = settings.LUMEN_DICOM_TIMEOUT
    ae.network_timeout = settings.LUMEN_DICOM_TIMEOUT
    ae.connection_timeout = 10
