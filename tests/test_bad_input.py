"""Odd input from a browser or a script gets an answer, never a server error."""

import pytest
from django.urls import reverse

from ris.audit.models import AccessLog
from ris.patients.models import Patient


@pytest.mark.parametrize(
    "query",
    [
        "\U0010ffff",
        "\ud7ff",
        "a\x00b",
        "x " * 1200,
        "%",
        "_",
        "'; DROP TABLE patients_patient; --",
        "20240115",
        "2024-02-30",
        "Müller^^^Zoë",
    ],
)
def test_any_search_text_gets_a_page(client, front_desk, patient, query):
    client.force_login(front_desk)
    assert client.get(reverse("patients:list"), {"q": query}).status_code == 200
    assert client.get(reverse("orders:list"), {"q": query}).status_code == 200
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"patient": "9" * 25}, {"patient": ["Ensure this value is less than or equal to 9223372036854775807."]}),
        ({"patient": "1.5"}, {"patient": ["Enter a whole number."]}),
        ({"referring_physician": "-3"}, {"referring_physician": ["Ensure this value is greater than or equal to 1."]}),
        ({"created_after": "yesterday"}, {"created_after": ["Enter a valid date."]}),
    ],
)
def test_malformed_order_filters_get_400_with_the_field(api, front_desk, params, errors):
    api.force_authenticate(front_desk)
    response = api.get("/api/v1/orders/", params)
    assert response.status_code == 400
    assert response.json() == errors


def test_a_huge_page_number_shows_an_empty_last_page(client, front_desk, patient):
    client.force_login(front_desk)
    response = client.get(reverse("orders:list"), {"page": "9" * 25})
    assert response.status_code == 200
    assert response.context["page"].rows == []


def test_an_all_digit_mrn_that_looks_like_a_date_is_still_found(make_patient):
    patient = make_patient(mrn="20240115", issuer="HOSP")
    assert list(Patient.objects.search("20240115")) == [patient]


def test_an_unknown_status_on_the_order_page_is_explained(client, front_desk, patient, make_order):
    order = make_order(patient)
    client.force_login(front_desk)
    response = client.post(reverse("orders:transition", args=[order.pk]), {"status": "teleported"}, follow=True)
    assert response.status_code == 200
    assert "Choose one of the order statuses." in response.content.decode()


def test_a_merged_patient_is_still_readable_by_id_on_the_api(api, front_desk, make_patient):
    from ris.patients.services import merge_patients

    source, target = make_patient(), make_patient()
    merge_patients(source=source, target=target, actor=front_desk)
    api.force_authenticate(front_desk)
    response = api.get(f"/api/v1/patients/{source.pk}/", {"q": "nomatch"})
    assert response.status_code == 200
    assert response.json()["merged_into"] == target.pk


def test_the_patient_api_accepts_back_what_it_returned(api, front_desk, patient):
    api.force_authenticate(front_desk)
    body = api.get(f"/api/v1/patients/{patient.pk}/").json()
    body["phone"] = "+1 555 0100"
    response = api.put(f"/api/v1/patients/{patient.pk}/", body, format="json")
    assert response.status_code == 200
    assert response.json()["phone"] == "+1 555 0100"


def test_repeated_query_parameters_are_all_in_the_access_log(api, front_desk):
    api.force_authenticate(front_desk)
    api.get("/api/v1/orders/?status=ordered&status=scheduled")
    assert AccessLog.objects.get().detail["query"] == {"status": ["ordered", "scheduled"]}
