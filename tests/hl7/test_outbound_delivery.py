"""Outbound: events become SIU / ORM / OMI / ORU messages for subscribed partners; a partner that is down gets
every message exactly once, in order per patient, when it is back; after the retry budget a message is a dead
letter staff can resend."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ris import events
from ris.hl7 import services
from ris.hl7.choices import MessageStatus
from ris.hl7.models import Message, Partner
from ris.orders import services as order_services


@pytest.fixture
def ehr(partner_receiver, transactional_db):
    return Partner.objects.create(
        name="EHR",
        host="127.0.0.1",
        port=partner_receiver.port,
        application="EPIC",
        facility="GENHOSP",
        message_types=["SIU", "ORU", "ORM"],
    )


def appointment(order, kind, *, hour=9, appointment_id=1, previous=None):
    start = dt.datetime(2026, 12, 7, hour, 0, tzinfo=dt.UTC)
    return events.AppointmentEvent(
        appointment_id=appointment_id,
        order_id=order.pk,
        kind=kind,
        start=start,
        end=start + dt.timedelta(minutes=20),
        resource_code="CT1",
        resource_name="CT room 1",
        station_ae_title="CT1_AE",
        actor_id=None,
        previous_start=previous,
    )


def report(order, status, *, critical=False):
    return events.ReportEvent(
        report_id=7,
        order_id=order.pk,
        status=status,
        sections=(
            events.ReportSectionText("findings", "Findings", "No acute hemorrhage.\nVentricles normal | size."),
            events.ReportSectionText("impression", "Impression", "Normal CT head."),
        ),
        author_id=None,
        signer_id=None,
        signed_at=None,
        critical=critical,
        version=1,
    )


def send(signal, event, sender=None):
    with transaction.atomic():
        signal.send(sender=sender, event=event)


def fields(message: str, name: str) -> list[str]:
    return next(s for s in message.split("\r") if s.startswith(name + "|")).split("|")


def test_it_builds_siu_oru_and_orm_messages_from_the_events(ehr, partner_receiver, patient, make_order):
    order = make_order(patient)

    send(events.appointment_changed, appointment(order, events.AppointmentChange.BOOKED))
    send(events.report_status_changed, report(order, "F", critical=True))
    with transaction.atomic():
        order_services.change_order_status(order=order, to="scheduled", actor=None)

    siu, oru, orm = partner_receiver.received
    assert fields(siu, "MSH")[8:12] == ["SIU^S12^SIU_S12", fields(siu, "MSH")[9], "P", "2.5.1"]
    assert fields(siu, "MSH")[4:6] == ["EPIC", "GENHOSP"]
    assert fields(siu, "SCH")[25] == "Booked"
    assert fields(siu, "SCH")[27] == f"{order.accession_number}^LUMEN"
    assert fields(siu, "PID")[3] == f"{patient.mrn}^^^LUMEN^MR"
    assert fields(siu, "PID")[5] == "Müller^Zoë"
    assert fields(siu, "AIL")[3] == "CT1^^^^^^^^CT room 1"
    assert (fields(siu, "AIG")[3], fields(siu, "AIG")[8]) == ("CT1_AE^^^AE", "20261207090000+0000")
    assert fields(oru, "OBR")[25] == "F"
    obx = [s.split("|") for s in oru.split("\r") if s.startswith("OBX")]
    assert [(o[2], o[3], o[5], o[8], o[11]) for o in obx] == [
        ("FT", "FINDINGS^Findings^L", "No acute hemorrhage.\\.br\\Ventricles normal \\F\\ size.", "", "F"),
        ("FT", "IMPRESSION^Impression^L", "Normal CT head.", "AA", "F"),
    ]
    assert fields(orm, "ORC")[1:6] == ["SC", "", f"{order.accession_number}^LUMEN", "", "SC"]
    assert list(Message.objects.filter(direction="out").values_list("status", flat=True)) == ["sent"] * 3


def test_it_sends_omi_to_a_partner_that_takes_omi(partner_receiver, patient, make_order, transactional_db):
    Partner.objects.create(
        name="RIS2", host="127.0.0.1", port=partner_receiver.port, application="R2", message_types=["OMI"]
    )
    order = make_order(patient)
    with transaction.atomic():
        order_services.cancel_order(order=order, actor=None, reason="Patient declined")

    [omi] = partner_receiver.received
    assert fields(omi, "MSH")[8] == "OMI^O23^OMI_O23"
    assert fields(omi, "ORC")[1] == "OC"
    assert fields(omi, "ORC")[5] == "CA"
    assert fields(omi, "IPC")[3] == order.study_instance_uid


def test_it_delivers_everything_once_and_in_order_per_patient_after_the_partner_was_down(
    ehr, partner_receiver, make_patient, make_order, settings
):
    settings.LUMEN_HL7_RETRY_BASE_SECONDS = 0
    first, second = make_patient(), make_patient()
    orders = {first: make_order(first), second: make_order(second)}
    partner_receiver.up.clear()
    kinds = [events.AppointmentChange.BOOKED, events.AppointmentChange.RESCHEDULED, events.AppointmentChange.CANCELLED]
    for hour, kind in enumerate(kinds, start=8):
        for p in (first, second):
            send(events.appointment_changed, appointment(orders[p], kind, hour=hour, appointment_id=p.pk))
    send(events.report_status_changed, report(orders[first], "P"))
    assert partner_receiver.received == []
    assert Message.objects.filter(status=MessageStatus.PENDING).count() == 7

    partner_receiver.up.set()
    services.deliver_due()

    got = [(fields(m, "PID")[3].split("^")[0], fields(m, "MSH")[8].split("^")[1]) for m in partner_receiver.received]
    assert sorted(got) == sorted(
        [(first.mrn, t) for t in ("S12", "S13", "S15", "R01")] + [(second.mrn, t) for t in ("S12", "S13", "S15")]
    )
    assert [t for mrn, t in got if mrn == first.mrn] == ["S12", "S13", "S15", "R01"]
    assert [t for mrn, t in got if mrn == second.mrn] == ["S12", "S13", "S15"]
    controls = [fields(m, "MSH")[9] for m in partner_receiver.received]
    assert len(controls) == len(set(controls)) == 7
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 7
    services.deliver_due()
    assert len(partner_receiver.received) == 7


def test_it_parks_a_message_as_a_dead_letter_after_the_retry_budget_and_resends_it(
    ehr, partner_receiver, patient, make_order, settings, admin_user
):
    settings.LUMEN_HL7_RETRY_BASE_SECONDS = 0
    settings.LUMEN_HL7_MAX_ATTEMPTS = 3
    order = make_order(patient)
    partner_receiver.up.clear()
    send(events.report_status_changed, report(order, "F"))
    send(events.report_status_changed, report(order, "C"))  # waits behind the first (same patient)
    for _ in range(3):
        services.deliver_due()

    dead, waiting = Message.objects.filter(direction="out").order_by("id")
    assert (dead.status, dead.attempts) == (MessageStatus.DEAD, 3)
    assert dead.reason.startswith("Gave up after 3 attempts: ")
    assert (waiting.status, waiting.attempts) == (MessageStatus.PENDING, 0)
    assert list(Message.objects.dead_letters()) == [dead]

    partner_receiver.up.set()
    services.deliver_due()
    assert partner_receiver.received == []  # the later message never overtakes the dead one

    with transaction.atomic():
        services.resend(message=dead, actor=admin_user)

    assert [fields(m, "OBR")[25] for m in partner_receiver.received] == ["F", "C"]
    assert set(Message.objects.filter(direction="out").values_list("status", flat=True)) == {MessageStatus.SENT}


def test_it_backs_off_exponentially_between_attempts(ehr, partner_receiver, patient, make_order, settings):
    settings.LUMEN_HL7_RETRY_BASE_SECONDS = 30
    order = make_order(patient)
    partner_receiver.up.clear()
    before = timezone.now()
    send(events.report_status_changed, report(order, "F"))
    message = Message.objects.get(direction="out")
    assert message.attempts == 1
    assert dt.timedelta(seconds=29) < message.next_attempt_at - before < dt.timedelta(seconds=32)

    services.deliver_due()  # not due yet: no attempt
    assert Message.objects.get(pk=message.pk).attempts == 1
    assert [services.backoff(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]


def test_it_lets_the_next_message_go_once_a_dead_letter_is_discarded(
    ehr, partner_receiver, patient, make_order, settings, admin_user
):
    settings.LUMEN_HL7_RETRY_BASE_SECONDS = 0
    settings.LUMEN_HL7_MAX_ATTEMPTS = 1
    order = make_order(patient)
    partner_receiver.up.clear()
    send(events.report_status_changed, report(order, "P"))
    send(events.report_status_changed, report(order, "F"))
    dead, waiting = Message.objects.filter(direction="out").order_by("id")
    assert Message.objects.get(pk=dead.pk).status == MessageStatus.DEAD
    partner_receiver.up.set()

    with pytest.raises(ValidationError):
        services.discard(message=dead, actor=admin_user, reason=" ")
    with transaction.atomic():
        services.discard(message=dead, actor=admin_user, reason="Superseded by the final report")

    assert [fields(m, "OBR")[25] for m in partner_receiver.received] == ["F"]
    assert Message.objects.get(pk=dead.pk).reason == "Discarded by ada: Superseded by the final report"
    assert Message.objects.get(pk=waiting.pk).status == MessageStatus.SENT
