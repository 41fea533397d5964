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
