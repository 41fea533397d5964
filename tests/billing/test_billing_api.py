"""Billing REST API: roles, the work queue, coding with field errors, claims, exports as files."""

import csv
import io

import pytest

from billing.models import Charge, Claim, Payer
from ris.audit.models import AccessLog
from tests.billing.conftest import pyx12_errors

ENDPOINTS = [
    "/api/v1/billing/payers/",
    "/api/v1/billing/fees/",
    "/api/v1/billing/charges/",
    "/api/v1/billing/claims/",
    "/api/v1/billing/exports/",
]


@pytest.mark.parametrize("role", ["front_desk", "technologist", "radiologist", "referring_physician", "no_role"])
def test_other_roles_are_refused(api, personas, role):
    api.force_authenticate(personas[role])
    for url in ENDPOINTS:
        assert api.get(url).status_code == 403, url


def test_the_work_queue_lists_charges_needing_attention_and_logs_it(api, billing_clerk, completed_order):
    api.force_authenticate(billing_clerk)
    charge = Charge.objects.get()

    body = api.get("/api/v1/billing/charges/", {"attention": "true"}).json()

    assert [(r["id"], r["needs_attention"], r["problems"]) for r in body["results"]] == [
        (charge.pk, True, ["Missing rendering provider NPI (the radiologist who signs the report)."])
    ]
    assert api.get("/api/v1/billing/charges/", {"attention": "false"}).json()["results"] == []
    assert AccessLog.objects.filter(action="search", object_type="billing.charge", channel="api").count() == 2


def test_coding_answers_400_with_field_messages(api, billing_clerk, completed_order):
    api.force_authenticate(billing_clerk)
    charge = Charge.objects.get()

    response = api.patch(
        f"/api/v1/billing/charges/{charge.pk}/",
        {
            "icd10_codes": ["R51.9", "Q99.99"],
            "referring_npi": "12345",
            "lines": [{"code": "70450", "modifiers": ["Z!"]}],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "icd10_codes": ["“Q99.99” is not an ICD-10-CM code."],
        "referring_npi": ["Referring provider NPI 12345: An NPI is exactly 10 digits."],
        "lines": ["Line 1: “Z!” is not a modifier: two letters or digits."],
    }
    charge.refresh_from_db()
    assert (charge.icd10_codes, charge.referring_npi) == (["R51.9"], "1245319599")


def test_code_release_build_ready_export_and_download_by_api(api, billing_clerk, completed_order):
    api.force_authenticate(billing_clerk)
    charge = Charge.objects.get()

    coded = api.patch(
        f"/api/v1/billing/charges/{charge.pk}/",
        {"rendering_npi": "1234567893", "lines": [{"code": "70450", "units": 1, "diagnosis_pointers": [1]}]},
        format="json",
    )
    assert (coded.status_code, coded.json()["problems"], coded.json()["total"]) == (200, [], "180.00")
    assert api.post(f"/api/v1/billing/charges/{charge.pk}/release/").json()["status"] == "released"
    [built] = api.post("/api/v1/billing/claims/build/").json()
    ready = api.post(f"/api/v1/billing/claims/{built['id']}/transition/", {"status": "ready"}, format="json")
    assert ready.json()["status"] == "ready"

    Payer.objects.update(claim_format="csv")
    created = api.post("/api/v1/billing/exports/", {"format": "csv"}, format="json")
    assert created.status_code == 201
    batch = created.json()
    assert (batch["claim_count"], batch["total"], batch["filename"]) == (1, "180.00", "claims-000000001.csv")

    download = api.get(f"/api/v1/billing/exports/{batch['id']}/download/")
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert [(r["claim_number"], r["code"], r["line_total"]) for r in rows] == [(built["number"], "70450", "180.00")]
    assert AccessLog.objects.filter(action="export", channel="api").count() == 2

    nothing = api.post("/api/v1/billing/exports/", {"format": "x12"}, format="json")
    assert (nothing.status_code, nothing.json()) == (409, {"non_field_errors": ["No claims are ready to export."]})


def test_an_export_blocked_by_a_claim_lists_what_is_wrong(api, billing_clerk, ready_claim, settings):
    settings.LUMEN_BILLING_NAME = ""
    api.force_authenticate(billing_clerk)

    response = api.post("/api/v1/billing/exports/", {"format": "x12"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "claims": {ready_claim.number: ["The billing provider name is not set (LUMEN_BILLING_NAME)."]}
    }
    assert Claim.objects.get().status == "ready"


def test_x12_download_is_valid(api, billing_clerk, ready_claim):
    api.force_authenticate(billing_clerk)
    batch = api.post("/api/v1/billing/exports/", {"format": "x12"}, format="json").json()
    response = api.get(f"/api/v1/billing/exports/{batch['id']}/download/")
    assert response["Content-Type"] == "application/edi-x12"
    assert pyx12_errors(b"".join(response.streaming_content).decode()) == []


def test_voiding_an_exported_claim_by_api(api, billing_clerk, ready_claim):
    api.force_authenticate(billing_clerk)
    api.post("/api/v1/billing/exports/", {"format": "x12"}, format="json")

    refused = api.post(
        f"/api/v1/billing/claims/{ready_claim.pk}/transition/", {"status": "cancelled", "note": "x"}, format="json"
    )
    assert refused.status_code == 400
    void = api.post(
        f"/api/v1/billing/claims/{ready_claim.pk}/void/",
        {"reason": "Duplicate", "payer_claim_number": "P1"},
        format="json",
    )
    assert (void.status_code, void.json()["frequency"], void.json()["status"]) == (200, "8", "ready")


def test_payers_and_fees_by_api(api, billing_clerk):
    api.force_authenticate(billing_clerk)
    payer = api.post("/api/v1/billing/payers/", {"name": "Globex", "payer_id": "GLX1"}, format="json").json()
    fee = api.post(
        "/api/v1/billing/fees/",
        {"payer": payer["id"], "code": "70450", "modifier": "26", "price": "55.00", "effective_from": "2026-01-01"},
        format="json",
    )
    assert fee.status_code == 201
    again = api.post(
        "/api/v1/billing/fees/",
        {"payer": payer["id"], "code": "70450", "modifier": "26", "price": "56.00", "effective_from": "2026-01-01"},
        format="json",
    )
    assert (again.status_code, again.json()) == (
        400,
        {"non_field_errors": ["This payer already has a price for this code and modifier from that date."]},
    )
