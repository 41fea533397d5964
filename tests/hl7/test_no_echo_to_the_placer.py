"""An order change made by a partner's own message is not echoed back to it as an ORM status update (its ACK
told it already); other partners hear of it, and the placer still hears of the changes Lumen makes later. The
appointment freed by the placer's cancel goes out as SIU^S15, to the placer too (the schedule is Lumen's)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ris.hl7 import services as hl7_services
from ris.hl7.models import Partner
from ris.orders.models import Order
from scheduling import services
from scheduling.models import Appointment
from tests.hl7.conftest import PartnerReceiver, frame, orm, segments, send_raw


@pytest.fixture
def billing_receiver():
    receiver = PartnerReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def partners(hl7_listener, partner_receiver, billing_receiver):
    placer = Partner.objects.create(
        name="EHR",
        host="127.0.0.1",
        port=partner_receiver.port,
        application="EPICADT",  # MSH-3/4 of what the EHR sends (tests.hl7.conftest.msh)
        facility="GENHOSP",
        message_types=["SIU", "ORM"],
    )
    other = Partner.objects.create(
        name="Billing",
        host="127.0.0.1",
        port=billing_receiver.port,
        application="BILLSYS",
        message_types=["ORM"],
    )
    return placer, other


def orc(message: str) -> tuple[str, str]:
    fields = next(s for s in message.split("\r") if s.startswith("ORC|")).split("|")
    return fields[1], fields[5]


def kinds(receiver) -> list[str]:
    return ["^".join(m.split("\r")[0].split("|")[8].split("^")[:2]) for m in receiver.received]


def send(port: int, message: str) -> str:
    return segments(send_raw(port, frame(message)))["MSA"][1]


def test_it_does_not_echo_the_placers_cancel_but_sends_siu_s15_and_later_changes(
    partners, partner_receiver, billing_receiver, hl7_listener, ct_head, ct_resource, front_desk
):
    assert send(hl7_listener, orm("NW1", placer="PLC9")) == "AA"
    order = Order.objects.get(placer_order_number="PLC9")
    start = timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(9)))
    services.book_appointment(actor=front_desk, order=order, resource=ct_resource, start=start)
    hl7_services.deliver_due()
    # A change Lumen made (the booking) goes to the placer as well as to the others.
    assert kinds(partner_receiver) == ["ORM^O01", "SIU^S12"]
    assert orc(partner_receiver.received[0]) == ("SC", "SC")
    assert [orc(m) for m in billing_receiver.received] == [("SC", "SC")]

    assert send(hl7_listener, orm("CA1", order_control="CA", placer="PLC9", filler=order.accession_number)) == "AA"
    hl7_services.deliver_due()

    order.refresh_from_db()
    assert order.status == "cancelled"
    assert Appointment.objects.get(order=order).status == "cancelled"
    # The placer gets the freed slot, not its own cancel back; the billing system gets the cancel.
    assert kinds(partner_receiver) == ["ORM^O01", "SIU^S12", "SIU^S15"]
    s15 = partner_receiver.received[-1].split("\r")
    sch = next(s for s in s15 if s.startswith("SCH|")).split("|")
    assert (sch[6], sch[25], sch[26]) == ("S15^Patient declined the exam", "Cancelled", "PLC9")
    assert [orc(m) for m in billing_receiver.received] == [("SC", "SC"), ("OC", "CA")]


def test_it_does_not_echo_a_status_the_placer_sent(partners, partner_receiver, billing_receiver, hl7_listener, ct_head):
    assert send(hl7_listener, orm("NW2", placer="PLC10")) == "AA"
    order = Order.objects.get(placer_order_number="PLC10")
    assert send(hl7_listener, orm("SC1", order_control="SC", placer="PLC10", status="SC")) == "AA"
    hl7_services.deliver_due()

    order.refresh_from_db()
    assert order.status == "scheduled"
    assert partner_receiver.received == []
    assert [orc(m) for m in billing_receiver.received] == [("SC", "SC")]
