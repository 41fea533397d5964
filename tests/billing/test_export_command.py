"""``manage.py export_claims`` for scheduled batch runs: the file, the access log, and clear refusals."""

import csv

import pytest
from django.core.management import CommandError, call_command

from billing.models import Claim, ExportBatch, Payer
from ris.audit.models import AccessLog
from tests.billing.conftest import pyx12_errors


def test_it_writes_the_x12_file_and_logs_the_export(ready_claim, billing_clerk, tmp_path):
    out = tmp_path / "claims.x12"

    call_command("export_claims", "--format", "x12", "--out", str(out), "--user", billing_clerk.username)

    assert pyx12_errors(out.read_text()) == []
    batch = ExportBatch.objects.get()
    assert Claim.objects.get().status == "exported"
    entry = AccessLog.objects.get(action="export")
    assert (entry.user, entry.channel, entry.object_type, entry.object_id) == (
        billing_clerk,
        "command",
        "billing.exportbatch",
        str(batch.pk),
    )
    assert entry.detail["claim_ids"] == [ready_claim.pk]
    assert entry.detail["patient_ids"] == [ready_claim.patient_id]
    assert [p.name for p in tmp_path.iterdir()] == ["claims.x12"]


def test_it_writes_csv(ready_claim, tmp_path):
    Payer.objects.update(claim_format="csv")
    out = tmp_path / "claims.csv"
    call_command("export_claims", "--format", "csv", "--out", str(out))
    with out.open(newline="") as file:
        assert [row["claim_number"] for row in csv.DictReader(file)] == [ready_claim.number]


def test_with_no_ready_claims_it_fails_and_writes_nothing(db, tmp_path):
    out = tmp_path / "claims.x12"
    with pytest.raises(CommandError, match="No claims are ready to export."):
        call_command("export_claims", "--format", "x12", "--out", str(out))
    assert not out.exists()
    assert not AccessLog.objects.filter(action="export").exists()


def test_a_claim_with_problems_fails_the_run_naming_it(ready_claim, tmp_path, settings):
    settings.LUMEN_BILLING_TAX_ID = ""
    with pytest.raises(CommandError) as caught:
        call_command("export_claims", "--format", "x12", "--out", str(tmp_path / "c.x12"))
    assert str(caught.value) == (
        f"Nothing exported; fix these claims first:\n{ready_claim.number}: "
        "The billing provider tax ID is not set (LUMEN_BILLING_TAX_ID)."
    )
    assert Claim.objects.get().status == "ready"


def test_an_unknown_format_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="invalid choice: 'pdf'"):
        call_command("export_claims", "--format", "pdf", "--out", str(tmp_path / "x"))
