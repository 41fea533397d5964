"""Billing pages: only billing staff and administrators; the work queue, coding, claims and downloads."""

import csv
import io

import pytest
from django.urls import reverse

from billing.models import Charge, Claim, ExportBatch
from ris.audit.models import AccessLog
from tests.billing.conftest import pyx12_errors
from tests.conftest import login

PAGES = ["billing:charges", "billing:claims", "billing:exports", "billing:payers", "billing:dashboard"]


@pytest.mark.parametrize("role", ["front_desk", "technologist", "radiologist", "referring_physician", "no_role"])
def test_other_roles_are_refused(client, personas, role):
    login(client, personas[role])
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403, name


@pytest.mark.parametrize("role", ["billing", "admin"])
def test_billing_and_admin_open_every_page(client, personas, role, completed_order):
    login(client, personas[role])
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 200, name


def test_the_work_queue_shows_what_needs_attention_and_logs_the_search(client, billing_clerk, completed_order):
    login(client, billing_clerk)
    charge = Charge.objects.get()

    response = client.get(reverse("billing:charges"), {"attention": "true"})

    assert list(response.context["page"].rows) == [charge]
    assert "Missing rendering provider NPI (the radiologist who signs the report)." in response.content.decode()
    entry = AccessLog.objects.filter(action="search", object_type="billing.charge").get()
    assert entry.detail["returned_ids"] == [charge.pk]


def test_coding_a_charge_in_the_page_and_releasing_it(client, billing_clerk, completed_order):
    login(client, billing_clerk)
    charge = Charge.objects.get()
    url = reverse("billing:charge", args=[charge.pk])
    form = {
        "icd10_codes": "R51.9, I10",
        "rendering_npi": "1234567893",
        "referring_npi": "1245319599",
        "prior_auth_number": "",
        "place_of_service": "11",
        "payer": str(charge.payer_id),
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "1",
        "lines-0-code": "70450",
        "lines-0-modifiers": "",
        "lines-0-units": "1",
        "lines-0-diagnosis_pointers": "1 2",
        "lines-0-kind": "procedure",
        "lines-1-code": "",
        "lines-1-units": "1",
        "lines-1-kind": "procedure",
    }

    bad = client.post(url, {**form, "rendering_npi": "1234567890", "lines-0-code": "7045"})
    assert bad.status_code == 200
    assert "This NPI fails its check digit" in bad.content.decode()
    assert "Line 1: “7045” is not a CPT or HCPCS code." in bad.content.decode()

    assert client.post(url, form).status_code == 302
    charge.refresh_from_db()
    assert (charge.icd10_codes, charge.problems) == (["R51.9", "I10"], [])
    assert charge.lines.get().diagnosis_pointers == [1, 2]

    client.post(reverse("billing:charge_action", args=[charge.pk, "release"]))
    charge.refresh_from_db()
    assert charge.status == "released"


def test_make_claims_then_export_downloads_the_file(client, billing_clerk, completed_order, code_and_release):
    code_and_release(completed_order)
    login(client, billing_clerk)

    client.post(reverse("billing:claim_build"))
    claim = Claim.objects.get()
    assert claim.status == "ready"

    response = client.post(reverse("billing:export_create"), {"format": "x12"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="claims-000000001.x12"'
    assert pyx12_errors(b"".join(response.streaming_content).decode()) == []

    again = client.get(reverse("billing:export_download", args=[ExportBatch.objects.get().pk]))
    assert pyx12_errors(b"".join(again.streaming_content).decode()) == []
    assert AccessLog.objects.filter(action="export", object_type="billing.exportbatch").count() == 2

    nothing = client.post(reverse("billing:export_create"), {"format": "csv"}, follow=True)
    assert "No claims are ready to export." in nothing.content.decode()


def test_voiding_an_exported_claim_in_the_page_makes_a_void_claim(client, billing_clerk, ready_claim):
    login(client, billing_clerk)
    client.post(reverse("billing:export_create"), {"format": "x12"})
    url = reverse("billing:claim_action", args=[ready_claim.pk, "move"])

    refused = client.post(url, {"status": "cancelled", "note": "mistake"}, follow=True)
    assert "void it with a void claim (frequency code 8)" in refused.content.decode()

    response = client.post(
        reverse("billing:claim_action", args=[ready_claim.pk, "void"]),
        {"payer_claim_number": "PCN1", "reason": "Wrong patient"},
    )
    void = Claim.objects.get(frequency="8")
    assert response["Location"] == reverse("billing:claim", args=[void.pk])
    assert void.status == "ready"


def test_the_dashboard_csv(client, billing_clerk, completed_order):
    login(client, billing_clerk)
    response = client.get(reverse("billing:dashboard"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "key", "count", "amount"]
    assert ["capture", "exams completed", "1", ""] in rows
    assert ["revenue by payer", "Acme Health", "1", "180.00"] in rows
    assert AccessLog.objects.filter(action="export", object_type="billing.dashboard").count() == 1


def test_a_bad_date_range_is_refused(client, billing_clerk):
    login(client, billing_clerk)
    response = client.get(reverse("billing:dashboard"), {"start": "2026-02-01", "end": "2026-01-01"})
    assert response.status_code == 400
    assert "The range must start before it ends." in response.content.decode()
