import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ris.patients import services
from ris.patients.models import Consent


def test_billing_adds_a_coverage_from_the_patient_page(client, billing_clerk, patient):
    client.force_login(billing_clerk)
    response = client.post(
        reverse("patients:coverage_add", args=[patient.pk]),
        {"priority": 1, "payer_name": "Acme Health", "member_id": "ACM123", "subscriber_relationship": "self"},
    )
    assert response.status_code == 302
    coverage = patient.coverages.get()
    assert (coverage.payer_name, coverage.member_id, coverage.priority) == ("Acme Health", "ACM123", 1)


def test_a_coverage_that_ends_before_it_starts_is_refused(api, front_desk, patient):
    api.force_authenticate(front_desk)
    body = {"payer_name": "Acme", "member_id": "1", "valid_from": "2026-05-01", "valid_to": "2026-04-01"}
    response = api.post(f"/api/v1/patients/{patient.pk}/coverages/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"valid_to": ["The coverage cannot end before it starts."]}
    assert patient.coverages.count() == 0


def test_a_subscriber_other_than_the_patient_must_be_named(front_desk, patient):
    with pytest.raises(ValidationError) as caught:
        services.add_coverage(
            patient=patient, actor=front_desk, payer_name="Acme", member_id="1", subscriber_relationship="spouse"
        )
    assert caught.value.message_dict == {"subscriber_name": ["Name the subscriber when it is not the patient."]}


def test_the_latest_consent_decision_of_each_kind_is_the_current_one(front_desk, patient):
    services.record_consent(patient=patient, actor=front_desk, kind="telemedicine_sharing", decision="granted")
    services.record_consent(patient=patient, actor=front_desk, kind="research", decision="refused")
    services.record_consent(
        patient=patient, actor=front_desk, kind="telemedicine_sharing", decision="withdrawn", note="Phoned in"
    )
    current = {kind: c.decision for kind, c in patient.current_consents().items()}
    assert current == {"telemedicine_sharing": "withdrawn", "research": "refused"}
    assert Consent.objects.filter(patient=patient).count() == 3
    latest = patient.current_consents()["telemedicine_sharing"]
    assert (latest.recorded_by, latest.note) == (front_desk, "Phoned in")


def test_consent_is_recorded_through_the_api_with_who_recorded_it(api, front_desk, patient):
    api.force_authenticate(front_desk)
    response = api.post(
        f"/api/v1/patients/{patient.pk}/consents/", {"kind": "imaging_storage", "decision": "granted"}, format="json"
    )
    assert response.status_code == 201
    assert (response.json()["recorded_by"], response.json()["decision"]) == ("Fiona Test", "granted")
    bad = api.post(f"/api/v1/patients/{patient.pk}/consents/", {"kind": "gossip", "decision": "granted"}, format="json")
    assert bad.status_code == 400
    assert bad.json() == {"kind": ['"gossip" is not a valid choice.']}


def test_nothing_can_be_added_to_a_merged_patient(client, front_desk, make_patient):
    source, target = make_patient(), make_patient()
    services.merge_patients(source=source, target=target, actor=front_desk)
    message = {"patient": [f"Patient {source.mrn} was merged into another record; use the surviving record."]}
    with pytest.raises(ValidationError) as caught:
        services.add_coverage(patient=source, actor=front_desk, payer_name="Acme", member_id="1")
    assert caught.value.message_dict == message
    with pytest.raises(ValidationError) as caught:
        services.record_consent(patient=source, actor=front_desk, kind="research", decision="granted")
    assert caught.value.message_dict == message
    client.force_login(front_desk)
    page = client.post(
        reverse("patients:consent_record", args=[source.pk]), {"kind": "research", "decision": "granted"}
    )
    assert page.status_code == 200
    assert page.context["form"].non_field_errors() == message["patient"]
    assert Consent.objects.count() == 0


def test_referring_physicians_do_not_see_insurance(client, referring_doctor, patient, make_order, front_desk):
    make_order(patient, referring_physician=referring_doctor)
    services.add_coverage(patient=patient, actor=front_desk, payer_name="Acme Health", member_id="SECRET1")
    client.force_login(referring_doctor)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "SECRET1" not in page
    client.force_login(front_desk)
    assert "SECRET1" in client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
