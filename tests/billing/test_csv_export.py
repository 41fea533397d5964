"""The CSV export, read back with the csv module; names keep their accents, formulas are defused."""

import csv
import io

from billing import export, services
from billing.models import Charge
from ris.patients import services as patient_services


def test_the_csv_has_one_row_per_service_line_with_the_claim_values(
    patient, front_desk, acme, make_order, complete, code_and_release, referring_doctor, billing_clerk
):
    patient_services.update_patient(
        patient=patient,
        actor=front_desk,
        address_line="1 Ring Road",
        city="Springfield",
        state="IL",
        postal_code="62701",
    )
    acme.claim_format = "csv"
    acme.save()
    patient_services.add_coverage(patient=patient, actor=front_desk, payer_name="ACME health", member_id="M-1")
    order = complete(make_order(patient, referring_physician=referring_doctor), addon_cpt_codes=["76376"])
    code_and_release(order)
    [claim] = services.build_claims(actor=billing_clerk)
    services.change_claim_status(claim=claim, to="ready", actor=billing_clerk)

    batch = services.export_claims(actor=billing_clerk, format="csv")
    rows = list(csv.DictReader(io.StringIO("".join(export.render(batch)))))

    charge = Charge.objects.get()
    assert [(r["line"], r["code"], r["modifiers"], r["units"], r["unit_price"], r["line_total"]) for r in rows] == [
        ("1", "70450", "", "1", "180.00", "180.00"),
        ("2", "76376", "", "1", "40.00", "40.00"),
    ]
    first = rows[0]
    assert {k: first[k] for k in ("claim_number", "frequency", "payer_name", "payer_id", "member_id")} == {
        "claim_number": claim.number,
        "frequency": "1",
        "payer_name": "Acme Health",
        "payer_id": "ACME01",
        "member_id": "M-1",
    }
    assert (first["patient_family_name"], first["patient_given_name"], first["patient_mrn"]) == (
        "Müller",
        "Zoë",
        patient.mrn,
    )
    assert (first["date_of_service"], first["accession_number"]) == (
        charge.date_of_service.isoformat(),
        order.accession_number,
    )
    assert (first["diagnosis_codes"], first["rendering_npi"], first["referring_npi"], first["claim_total"]) == (
        "R51.9",
        "1234567893",
        "1245319599",
        "220.00",
    )


def test_cells_that_would_run_as_spreadsheet_formulas_are_quoted(db):
    assert export._csv_text([["=HYPERLINK()", "+1", "plain", 5]]) == "'=HYPERLINK(),'+1,plain,5\r\n"
