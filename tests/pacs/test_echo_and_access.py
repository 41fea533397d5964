"""Who may associate: registered AEs from their host, to Lumen's AE title, for the services they hold."""

from pynetdicom import AE
from pynetdicom.sop_class import Verification

from pacs.models import DicomNode
from ris.audit.models import AccessLog
from tests.pacs.conftest import SCU_AE, dcmtk


def echo(listener, calling_ae=SCU_AE, called_ae=None):
    ae = AE(calling_ae)
    ae.add_requested_context(Verification)
    assoc = ae.associate(listener.host, listener.port, ae_title=called_ae or listener.ae_title)
    if not assoc.is_established:
        return None, assoc
    status = assoc.send_c_echo()
    assoc.release()
    return status.Status, assoc


def test_dcmtk_echoscu_gets_success_from_a_registered_node(listener, scu_node):
    result = dcmtk("echoscu", "-aet", SCU_AE, *listener.address())
    assert result.returncode == 0, result.stderr


def test_an_unknown_calling_ae_is_rejected_and_the_refusal_logged(listener, scu_node):
    status, assoc = echo(listener, calling_ae="STRANGER")
    assert status is None
    assert assoc.is_rejected
    entry = AccessLog.objects.get(action="login_failed")
    assert (entry.username, entry.outcome, entry.channel, entry.address) == (
        "AE STRANGER",
        "denied",
        "dicom",
        "127.0.0.1",
    )
    assert entry.detail == {"reason": "calling AE title 'STRANGER' is not registered", "called_ae": "LUMEN"}


def test_a_registered_ae_calling_from_another_host_is_rejected(listener, scu_node):
    scu_node.host = "10.9.9.9"
    scu_node.save()
    status, assoc = echo(listener)
    assert assoc.is_rejected
    assert AccessLog.objects.get(action="login_failed").detail["reason"] == (
        "TESTSCU must call from its registered host, not 127.0.0.1"
    )


def test_a_wrong_called_ae_title_is_rejected(listener, scu_node):
    _status, assoc = echo(listener, called_ae="NOTLUMEN")
    assert assoc.is_rejected


def test_a_node_without_the_echo_right_gets_not_authorised(listener, scu_node):
    scu_node.services = ["store"]
    scu_node.save()
    status, assoc = echo(listener)
    assert status == 0x0124
    entry = AccessLog.objects.get(action="login_failed")
    assert entry.detail == {"service": "echo"}


def test_accept_any_lets_an_unregistered_caller_in(listener, settings):
    settings.LUMEN_DICOM_ACCEPT_ANY = True
    status, _assoc = echo(listener, calling_ae="ANYONE")
    assert status == 0x0000
    assert DicomNode.objects.count() == 0
