"""ORC-1 order control on an order entered over HL7: CA cancels, XO changes what was asked, SC moves the status
(ORC-5); each refusal is an AE naming the reason, with nothing changed."""

import pytest

from ris.hl7.models import Message
from ris.orders.models import Order
from tests.hl7.conftest import adt, frame, merge, orm, segments, send_raw


@pytest.fixture
def order(hl7_listener, ct_head):
    assert segments(send_raw(hl7_listener, frame(orm("NEW1"))))["MSA"][1] == "AA"
    return Order.objects.get()


def send(port, message):
    return segments(send_raw(port, frame(message)))


def test_it_cancels_an_order_with_ca(hl7_listener, order):
    ack = send(hl7_listener, orm("CA1", order_control="CA"))

    assert ack["MSA"][1:3] == ["AA", "CA1"]
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert order.status_changes.last().reason == "Patient declined the exam"


def test_it_changes_priority_and_reason_with_xo_but_not_the_procedure(hl7_listener, order, xr_chest):
    changed = orm("XO1", order_control="XO").replace("^^^^^S", "^^^^^R").replace("Sudden severe", "Recurrent")
    ack = send(hl7_listener, changed)
    refused = send(hl7_listener, orm("XO2", order_control="XO", code="XR-CHEST"))

    assert ack["MSA"][1] == "AA"
    order.refresh_from_db()
    assert (order.priority, order.reason) == ("routine", "Recurrent headache")
    assert refused["MSA"][1] == "AE"
    assert refused["ERR"][8] == (
        f"The procedure of order {order.accession_number} cannot change (CT-HEAD to XR-CHEST): "
        "cancel it and send a new order."
    )
    assert Order.objects.get().procedure.code == "CT-HEAD"


def test_it_moves_the_status_with_sc_and_refuses_a_move_the_state_machine_forbids(hl7_listener, order):
    scheduled = send(hl7_listener, orm("SC1", order_control="SC", status="SC"))
    completed = send(hl7_listener, orm("SC2", order_control="SC", status="CM"))
    hold = send(hl7_listener, orm("SC3", order_control="SC", status="HD"))

    assert scheduled["MSA"][1] == "AA"
    assert completed["MSA"][1] == "AE"
    assert completed["ERR"][8].startswith("status: An order that is scheduled cannot become completed.")
    assert hold["ERR"][8] == "ORC-5 order status 'HD' is not one Lumen takes (SC, IP, CM, CA, DC)."
    order.refresh_from_db()
    assert order.status == "scheduled"


def test_it_refuses_an_order_message_for_another_patients_order(hl7_listener, order):
    send(hl7_listener, adt("A04", "OTHER", mrn="5555"))

    ack = send(hl7_listener, orm("CA9", order_control="CA", mrn="5555"))

    assert ack["MSA"][1] == "AE"
    assert ack["ERR"][8] == f"Order {order.accession_number} is not an order of patient 5555 from GENHOSP."
    order.refresh_from_db()
    assert order.status == "ordered"


def test_it_refuses_a_second_new_order_with_the_same_placer_number(hl7_listener, order):
    ack = send(hl7_listener, orm("NEW2"))

    assert ack["MSA"][1] == "AE"
    assert ack["ERR"][3] == "205^Duplicate key identifier^HL70357"
    assert Order.objects.count() == 1


def test_it_refuses_an_unknown_order_control(hl7_listener, order):
    ack = send(hl7_listener, orm("RP1", order_control="RP"))

    assert ack["ERR"][8] == "ORC-1 order control 'RP' is not supported (NW, CA, XO, SC)."
    assert Message.objects.get(control_id="RP1").status == "error"


def test_it_takes_an_order_for_a_known_patient_whose_pid_carries_only_the_identifier(hl7_listener, ct_head):
    send(hl7_listener, adt("A04", "REG1"))
    sparse = orm("NEW3").replace(
        next(s for s in orm().split("\r") if s.startswith("PID|")), "PID|1||4455667^^^GENHOSP^MR"
    )

    ack = send(hl7_listener, sparse)

    assert ack["MSA"][1] == "AA"
    assert Order.objects.get().patient.given_name == "Zoë"  # the registration is left as it was


def test_it_refuses_an_order_for_a_merged_patient(hl7_listener, ct_head):
    send(hl7_listener, adt("A04", "REG1"))
    send(hl7_listener, adt("A04", "REG2", mrn="7788990"))
    send(hl7_listener, merge("MRG1", survivor="4455667", old="7788990"))

    ack = send(hl7_listener, orm("NEW4", mrn="7788990"))

    assert ack["ERR"][8] == (
        "Patient 7788990 from GENHOSP was merged into another record; send the surviving identifier."
    )
    assert Order.objects.count() == 0
