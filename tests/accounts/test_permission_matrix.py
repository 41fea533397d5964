"""Every role against every page and endpoint: allowed (exact status) or refused (403), in one table."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pacs.models import Study
from ris.equipment.models import Modality, Room

ALL = {"front_desk", "technologist", "radiologist", "billing", "referring_physician", "admin"}
REGISTRARS = {"front_desk", "admin"}
DEPT_NO_BILLING = {"front_desk", "technologist", "radiologist", "admin"}
ADMIN = {"admin"}


# (label, method, url, roles allowed, status for an allowed role). Write requests carry an empty body: allowed
# roles reach validation (400 on the API, the re-shown form or a redirect on pages), refused ones get 403.
SENDERS = {"technologist", "radiologist", "admin"}
RECONCILERS = {"front_desk", "technologist", "admin"}


def matrix(p, o, m, s):
    return [
        ("study list", "get", reverse("pacs:studies"), ALL, 200),
        ("study page", "get", reverse("pacs:study", args=[s]), ALL, 200),
        ("study send", "post", reverse("pacs:send", args=[s]), SENDERS, 302),
        ("reconciliation list", "get", reverse("pacs:reconciliation"), RECONCILERS, 200),
        ("study reconcile", "get", reverse("pacs:reconcile", args=[s]), RECONCILERS, 200),
        ("home", "get", reverse("home"), ALL, 200),
        ("password change", "get", reverse("accounts:password_change"), ALL, 200),
        ("patient search", "get", reverse("patients:list") + "?q=muller", ALL, 200),
        ("patient register", "get", reverse("patients:create"), REGISTRARS, 200),
        ("patient register post", "post", reverse("patients:create"), REGISTRARS, 200),
        ("patient record", "get", reverse("patients:detail", args=[p]), ALL, 200),
        ("patient edit", "get", reverse("patients:edit", args=[p]), REGISTRARS, 200),
        ("coverage add", "get", reverse("patients:coverage_add", args=[p]), {"front_desk", "billing", "admin"}, 200),
        ("consent record", "get", reverse("patients:consent_record", args=[p]), REGISTRARS, 200),
        ("patient merge", "get", reverse("patients:merge", args=[p]), REGISTRARS, 200),
        ("order list", "get", reverse("orders:list"), ALL, 200),
        ("order entry", "get", reverse("orders:create", args=[p]), REGISTRARS, 200),
        ("order record", "get", reverse("orders:detail", args=[o]), ALL, 200),
        ("order edit", "get", reverse("orders:edit", args=[o]), REGISTRARS, 200),
        ("order status move", "post", reverse("orders:transition", args=[o]), DEPT_NO_BILLING, 302),
        ("equipment list", "get", reverse("equipment:list"), DEPT_NO_BILLING, 200),
        ("modality page", "get", reverse("equipment:detail", args=[m]), DEPT_NO_BILLING, 200),
        ("access log", "get", reverse("audit:list"), ADMIN, 200),
        ("access log export", "get", reverse("audit:export"), ADMIN, 200),
        ("API schema", "get", reverse("api-schema"), ALL, 200),
        ("API docs", "get", reverse("api-docs"), ALL, 200),
        ("API patients list", "get", "/api/v1/patients/", ALL, 200),
        ("API patient read", "get", f"/api/v1/patients/{p}/", ALL, 200),
        ("API patient create", "post", "/api/v1/patients/", REGISTRARS, 400),
        ("API patient update", "patch", f"/api/v1/patients/{p}/", REGISTRARS, 200),
        ("API patient merge", "post", f"/api/v1/patients/{p}/merge/", REGISTRARS, 400),
        ("API coverages", "get", f"/api/v1/patients/{p}/coverages/", {"front_desk", "billing", "admin"}, 200),
        ("API consents read", "get", f"/api/v1/patients/{p}/consents/", ALL, 200),
        ("API consent record", "post", f"/api/v1/patients/{p}/consents/", REGISTRARS, 400),
        ("API orders list", "get", "/api/v1/orders/", ALL, 200),
        ("API order read", "get", f"/api/v1/orders/{o}/", ALL, 200),
        ("API order create", "post", "/api/v1/orders/", REGISTRARS, 400),
        ("API order transition", "post", f"/api/v1/orders/{o}/transition/", DEPT_NO_BILLING, 400),
        ("API procedures", "get", "/api/v1/procedures/", ALL, 200),
        ("API procedure create", "post", "/api/v1/procedures/", ADMIN, 400),
        ("API modalities", "get", "/api/v1/modalities/", DEPT_NO_BILLING, 200),
        ("API modality create", "post", "/api/v1/modalities/", ADMIN, 400),
        ("API rooms", "get", "/api/v1/rooms/", DEPT_NO_BILLING, 200),
        ("admin site", "get", reverse("admin:index"), ADMIN, 200),
    ]


@pytest.fixture
def world(personas, patient, make_order, referring_doctor):
    order = make_order(patient, referring_physician=referring_doctor)
    room = Room.objects.create(name="CT Room 1")
    modality = Modality.objects.create(
        name="CT 1", modality_type="CT", room=room, ae_title="CT1", host="127.0.0.1", port=104
    )
    study = Study.objects.create(
        study_instance_uid="1.2.3.4", patient=patient, order=order, match_state="matched", dicom_patient_id=patient.mrn
    )
    return matrix(patient.pk, order.pk, modality.pk, study.pk)


def test_every_role_gets_exactly_what_the_matrix_says(client, personas, world):
    failures = []
    for role, user in personas.items():
        client.force_login(user)
        for label, method, url, allowed, ok_status in world:
            kwargs = {"content_type": "application/json", "data": "{}"} if method == "patch" else {}
            response = getattr(client, method)(url, **kwargs)
            if role in allowed:
                expected = ok_status
            elif label == "admin site":
                expected = 302  # Django's admin sends non-admins to its own sign-in page
            else:
                expected = 403
            if response.status_code != expected:
                failures.append(f"{role:<20} {label:<24} expected {expected}, got {response.status_code}")
        client.logout()
    assert failures == []


def test_anonymous_visitors_are_sent_to_sign_in_or_refused_on_the_api(client, world):
    for label, method, url, _allowed, _ok in world:
        response = getattr(client, method)(url)
        if url.startswith("/api/"):
            assert response.status_code == 401, label
            assert response["WWW-Authenticate"] == "Token"
        elif label == "admin site":
            assert response.status_code == 302, label
        else:
            assert response.status_code == 302, label
            assert response["Location"].startswith(reverse("accounts:login")), label


def test_the_sign_in_page_and_health_check_are_open_to_anyone(client, db):
    assert client.get(reverse("accounts:login")).status_code == 200
    assert client.get(reverse("health")).status_code == 200
