"""ADT^A04 then ORM^O01 through the hl7 package's mllp_send: the patient and the order exist, AA received;
A08 updates, A40 merges two patients; OMI^O23 enters an order too."""

import datetime as dt

from ris.hl7.choices import MessageStatus
from ris.hl7.models import Message
from ris.orders.models import Order
from ris.patients.models import Patient
from tests.hl7.conftest import adt, merge, mllp_send, omi, orm, segments


def test_it_registers_a_patient_and_enters_an_order_from_adt_a04_then_orm_o01(hl7_listener, ct_head, tmp_path):
    acks = mllp_send(hl7_listener, [adt("A04", "ADT0001"), orm("ORM0001")], tmp_path)

    assert [segments(a)["MSA"][1:3] for a in acks] == [["AA", "ADT0001"], ["AA", "ORM0001"]]
    patient = Patient.objects.get(issuer="GENHOSP", mrn="4455667")
    assert (patient.family_name, patient.given_name, patient.middle_name, patient.prefix) == (
        "Müller",
        "Zoë",
        "Anna",
        "Dr.",
    )
    assert (patient.birth_date, patient.sex, patient.city, patient.country) == (
        dt.date(1975, 4, 23),
        "F",
        "Springfield",
        "US",
    )
    assert patient.email == "zoe@example.org"
    order = Order.objects.get()
    assert (order.patient, order.procedure, order.placer_order_number) == (patient, ct_head, "PLC1001")
    assert (order.priority, order.reason, order.icd10_codes) == ("stat", "Sudden severe headache", ["R51.9"])
    assert order.notes.endswith("Patient is claustrophobic.")
    logged = Message.objects.order_by("id")
    assert [(m.message_type, m.control_id, m.status, m.sender) for m in logged] == [
        ("ADT^A04", "ADT0001", MessageStatus.PROCESSED, "EPICADT^GENHOSP"),
        ("ORM^O01", "ORM0001", MessageStatus.PROCESSED, "EPICADT^GENHOSP"),
    ]
    assert logged[1].order == order
    assert logged[1].patient == patient


def test_it_updates_with_a08_and_merges_two_patients_with_a40(hl7_listener, ct_head, tmp_path):
    acks = mllp_send(
        hl7_listener,
        [
            adt("A04", "C1"),
            adt("A04", "C2", mrn="7788990", family="Muller", given="Zoe"),
            orm("C3", mrn="7788990"),
            adt("A08", "C4", family="Müller-Schmidt"),
            merge("C5", survivor="4455667", old="7788990"),
        ],
        tmp_path,
    )

    assert [segments(a)["MSA"][1] for a in acks] == ["AA"] * 5
    survivor = Patient.objects.get(mrn="4455667")
    merged = Patient.objects.get(mrn="7788990")
    assert survivor.family_name == "Müller-Schmidt"
    assert merged.merged_into == survivor
    assert Order.objects.get().patient == survivor


def test_it_enters_an_order_from_omi_o23(hl7_listener, xr_chest, tmp_path):
    [ack] = mllp_send(hl7_listener, [omi("OMI0001")], tmp_path)

    assert segments(ack)["MSA"][1:3] == ["AA", "OMI0001"]
    order = Order.objects.get()
    assert (order.procedure, order.priority, order.reason, order.placer_order_number) == (
        xr_chest,
        "urgent",
        "Cough for 3 weeks",
        "PLC2001",
    )
