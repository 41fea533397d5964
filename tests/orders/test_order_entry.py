import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ris.orders.models import Order, OrderStatusChange
from ris.orders.services import create_order, update_order


def test_front_desk_enters_an_order_from_the_patient_page(client, front_desk, patient, ct_head, referring_doctor):
    client.force_login(front_desk)
    response = client.post(
        reverse("orders:create", args=[patient.pk]),
        {
            "procedure": ct_head.pk,
            "priority": "stat",
            "reason": "Sudden severe headache",
            "icd10_codes": "r51.9, I10",
            "referring_physician": referring_doctor.pk,
        },
    )
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:detail", args=[order.pk])
    assert (order.patient, order.procedure, order.priority, order.status) == (patient, ct_head, "stat", "ordered")
    assert order.icd10_codes == ["R51.9", "I10"]
    assert order.accession_number.startswith("A20")
    assert len(order.accession_number) == 12
    assert list(OrderStatusChange.objects.values_list("from_status", "to_status")) == [("", "ordered")]


def test_accession_numbers_follow_each_other(patient, make_order):
    numbers = [make_order(patient).accession_number for _ in range(3)]
    assert [int(n[5:]) for n in numbers] == [1, 2, 3]
    assert len(set(n[:5] for n in numbers)) == 1


def test_unknown_and_category_icd10_codes_are_refused_with_their_reason(api, front_desk, patient, ct_head):
    api.force_authenticate(front_desk)
    body = {"patient": patient.pk, "procedure": "CT-HEAD", "reason": "x", "icd10_codes": ["Q99.99", "R51"]}
    response = api.post("/api/v1/orders/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "icd10_codes": [
            "“Q99.99” is not an ICD-10-CM code.",
            "“R51” is a category; use a more specific code (for example R51.0).",
        ]
    }
    assert Order.objects.count() == 0


def test_an_unknown_procedure_is_refused(api, front_desk, patient):
    api.force_authenticate(front_desk)
    response = api.post("/api/v1/orders/", {"patient": patient.pk, "procedure": "MR-TOE", "reason": "x"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"procedure": ["No procedure has the code “MR-TOE”."]}


def test_a_retired_procedure_cannot_be_ordered(front_desk, patient, ct_head):
    ct_head.active = False
    ct_head.save()
    with pytest.raises(ValidationError) as caught:
        create_order(actor=front_desk, patient=patient, procedure=ct_head, reason="x")
    assert caught.value.message_dict == {
        "procedure": ["“CT-HEAD CT head without contrast” is no longer offered; choose an active procedure."]
    }


def test_the_referrer_must_be_a_referring_physician(front_desk, patient, ct_head, technologist):
    with pytest.raises(ValidationError) as caught:
        create_order(actor=front_desk, patient=patient, procedure=ct_head, reason="x", referring_physician=technologist)
    assert caught.value.message_dict == {
        "referring_physician": ["The referring physician must be a user with the referring physician role."]
    }


def test_a_refused_order_does_not_use_up_an_accession_number(front_desk, patient, ct_head, make_order):
    with pytest.raises(ValidationError):
        create_order(actor=front_desk, patient=patient, procedure=ct_head, reason="x", icd10_codes=["nonsense"])
    assert make_order(patient).accession_number.endswith("0000001")


def test_the_api_creates_an_order_and_reads_it_back_with_history(api, front_desk, patient, ct_head):
    api.force_authenticate(front_desk)
    body = {"patient": patient.pk, "procedure": "CT-HEAD", "reason": "Fall", "priority": "urgent"}
    created = api.post("/api/v1/orders/", body, format="json")
    assert created.status_code == 201
    order_id = created.json()["id"]
    detail = api.get(f"/api/v1/orders/{order_id}/").json()
    assert (detail["procedure"], detail["status"], detail["priority"], detail["patient_mrn"]) == (
        "CT-HEAD",
        "ordered",
        "urgent",
        patient.mrn,
    )
    assert [(h["from_status"], h["to_status"], h["actor"]) for h in detail["history"]] == [
        ("", "ordered", "Fiona Test")
    ]


def test_a_closed_order_can_no_longer_be_edited(front_desk, patient, make_order):
    order = make_order(patient)
    from ris.orders.services import cancel_order

    cancel_order(order=order, actor=front_desk, reason="Duplicate")
    with pytest.raises(ValidationError) as caught:
        update_order(order=order, actor=front_desk, priority="stat")
    assert caught.value.messages == ["An order that is cancelled can no longer be changed."]


def test_the_patient_and_procedure_of_an_order_are_fixed(api, front_desk, patient, make_patient, make_order, xr_chest):
    order = make_order(patient)
    api.force_authenticate(front_desk)
    other = make_patient()
    response = api.patch(f"/api/v1/orders/{order.pk}/", {"patient": other.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"patient": ["Cannot be changed on an existing order; cancel it and enter a new one."]}
    ok = api.patch(f"/api/v1/orders/{order.pk}/", {"priority": "stat", "notes": "Call on arrival"}, format="json")
    assert ok.status_code == 200
    assert (ok.json()["priority"], ok.json()["notes"]) == ("stat", "Call on arrival")
