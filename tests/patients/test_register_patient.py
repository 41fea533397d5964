import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ris.patients import services
from ris.patients.models import Patient


def test_front_desk_registers_a_patient_and_lumen_numbers_them(client, front_desk):
    client.force_login(front_desk)
    response = client.post(
        reverse("patients:create"),
        {"family_name": "García", "given_name": "José", "birth_date": "1961-07-14", "sex": "M", "phone": "555-0101"},
    )
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[patient.pk])
    assert (patient.mrn, patient.issuer, patient.created_by) == ("M00000001", "LUMEN", front_desk)
    assert sorted(patient.search_index.values_list("word", flat=True)) == ["garcia", "jose", "m00000001"]
    assert patient.dicom_name == "García^José"


def test_mrns_are_numbered_in_sequence(make_patient):
    assert [make_patient().mrn for _ in range(3)] == ["M00000001", "M00000002", "M00000003"]


def test_a_duplicate_mrn_of_the_same_issuer_is_refused_on_the_form(client, front_desk, make_patient):
    make_patient(mrn="H123", issuer="HOSP")
    client.force_login(front_desk)
    response = client.post(
        reverse("patients:create"),
        {"family_name": "Other", "birth_date": "1990-01-01", "sex": "F", "mrn": "H123", "issuer": "HOSP"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"__all__": ["Another patient already has this MRN from this issuer."]}
    assert Patient.objects.count() == 1


def test_the_same_mrn_from_another_issuer_is_another_patient(make_patient):
    make_patient(mrn="H123", issuer="HOSP")
    make_patient(mrn="H123", issuer="CLINIC")
    assert Patient.objects.filter(mrn="H123").count() == 2


def test_a_birth_date_in_the_future_is_refused_by_the_api(api, front_desk):
    api.force_authenticate(front_desk)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = api.post("/api/v1/patients/", {"family_name": "Future", "birth_date": tomorrow}, format="json")
    assert response.status_code == 400
    assert response.json() == {"birth_date": ["The date of birth cannot be in the future."]}
    assert Patient.objects.count() == 0


def test_the_api_answers_a_duplicate_mrn_with_400_and_keeps_the_first(api, front_desk, make_patient):
    first = make_patient(mrn="H1", issuer="HOSP", family_name="First")
    api.force_authenticate(front_desk)
    body = {"family_name": "Second", "birth_date": "1990-01-01", "mrn": "H1", "issuer": "HOSP"}
    response = api.post("/api/v1/patients/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Another patient already has this MRN from this issuer."]}
    assert list(Patient.objects.values_list("family_name", flat=True)) == [first.family_name]


def test_the_api_registers_a_patient_with_the_required_fields_only(api, front_desk):
    api.force_authenticate(front_desk)
    response = api.post("/api/v1/patients/", {"family_name": "Okafor", "birth_date": "2001-02-03"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["mrn"], body["issuer"], body["display_name"], body["sex"]) == ("M00000001", "LUMEN", "OKAFOR", "U")


def test_missing_name_and_birth_date_get_field_messages(api, front_desk):
    api.force_authenticate(front_desk)
    response = api.post("/api/v1/patients/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "family_name": ["This field is required."],
        "birth_date": ["This field is required."],
    }


def test_an_mrn_with_a_backslash_is_refused(make_patient):
    with pytest.raises(ValidationError) as caught:
        make_patient(mrn="A\\B", issuer="HOSP")
    assert caught.value.message_dict == {
        "mrn": ["Use letters, digits and . _ - / only, starting with a letter or digit."]
    }


def test_the_mrn_cannot_be_changed_through_the_api(api, front_desk, patient):
    api.force_authenticate(front_desk)
    response = api.patch(f"/api/v1/patients/{patient.pk}/", {"mrn": "X9"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"mrn": ["An MRN cannot be changed; merge duplicate records instead."]}


def test_front_desk_edits_demographics_and_the_change_log_has_it(client, front_desk, patient):
    client.force_login(front_desk)
    response = client.post(
        reverse("patients:edit", args=[patient.pk]),
        {"family_name": "Müller-Lüdenscheidt", "given_name": "Zoë", "birth_date": "1975-04-23", "sex": "F"},
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.family_name == "Müller-Lüdenscheidt"
    assert sorted(patient.search_index.values_list("word", flat=True)) == ["m00000001", "muller-ludenscheidt", "zoe"]
    change = LogEntry.objects.get_for_object(patient).latest("timestamp")
    assert change.changes_dict["family_name"] == ["Müller", "Müller-Lüdenscheidt"]
    assert change.actor == front_desk


def test_a_merged_patient_cannot_be_edited(front_desk, make_patient):
    source, target = make_patient(), make_patient()
    services.merge_patients(source=source, target=target, actor=front_desk)
    with pytest.raises(ValidationError) as caught:
        services.update_patient(patient=source, actor=front_desk, phone="1")
    assert caught.value.messages == [f"Patient {source.mrn} was merged into another record; use the surviving record."]
