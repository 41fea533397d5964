"""Claims: grouping released charges, the claim state machine, correction (7) and void (8) claims."""

import pytest
from django.core.exceptions import ValidationError

from billing import services
from billing.models import Charge
from ris.patients import services as patient_services


def test_released_charges_group_per_patient_payer_and_date(
    insured, make_order, complete, code_and_release, referring_doctor, xr_chest, billing_clerk
):
    anna, ben = insured(), insured()
    for order in (
        complete(make_order(anna, referring_physician=referring_doctor)),
        complete(make_order(anna, procedure=xr_chest, referring_physician=referring_doctor)),
        complete(make_order(ben, referring_physician=referring_doctor)),
    ):
        code_and_release(order)

    claims = services.build_claims(actor=billing_clerk)

    assert sorted((c.patient_id, c.charges.count(), str(c.total)) for c in claims) == [
        (anna.pk, 2, "225.50"),
        (ben.pk, 1, "180.00"),
    ]
    assert all(c.status == "draft" and c.frequency == "1" for c in claims)
    assert services.build_claims(actor=billing_clerk) == []  # a charge sits on one live claim only


def test_a_claim_is_ready_only_when_nothing_is_wrong_and_says_what_is(completed_order, code_and_release, billing_clerk):
    patient = completed_order.patient
    code_and_release(completed_order)
    patient_services.update_patient(patient=patient, actor=billing_clerk, address_line="")
    [claim] = services.build_claims(actor=billing_clerk)

    with pytest.raises(ValidationError) as caught:
        services.change_claim_status(claim=claim, to="ready", actor=billing_clerk)

    assert caught.value.message_dict == {
        "status": ["Patient address is incomplete: street, city, state and ZIP code go on the claim."]
    }
    claim.refresh_from_db()
    assert claim.status == "draft"


def test_the_claim_state_machine_with_notes(ready_claim, billing_clerk):
    claim = ready_claim
    with pytest.raises(ValidationError, match="becomes exported by exporting it"):
        services.change_claim_status(claim=claim, to="exported", actor=billing_clerk)
    with pytest.raises(ValidationError, match="Only an exported claim"):
        services.change_claim_status(claim=claim, to="paid", actor=billing_clerk)
    services.export_claims(actor=billing_clerk, format="x12")
    claim.refresh_from_db()
    assert claim.status == "exported"

    with pytest.raises(ValidationError) as caught:
        services.change_claim_status(claim=claim, to="denied", actor=billing_clerk)
    assert caught.value.message_dict == {"note": ["Note the payer's reason for denied."]}
    services.change_claim_status(claim=claim, to="accepted", actor=billing_clerk, note="999 accepted")
    services.add_claim_note(claim=claim, actor=billing_clerk, note="Called the payer: in process")
    services.change_claim_status(claim=claim, to="paid", actor=billing_clerk, note="ERA 2026-12-01")
    with pytest.raises(ValidationError) as caught:
        services.change_claim_status(claim=claim, to="draft", actor=billing_clerk)
    assert caught.value.message_dict == {
        "status": ["A claim that is paid cannot become draft. Allowed next: Replaced, Voided."]
    }

    assert [(e.from_status, e.to_status, e.note) for e in claim.events.all()] == [
        ("", "draft", "1 charge(s) grouped."),
        ("draft", "ready", ""),
        ("ready", "exported", "Export 000000001"),
        ("exported", "accepted", "999 accepted"),
        ("", "", "Called the payer: in process"),
        ("accepted", "paid", "ERA 2026-12-01"),
    ]


def test_an_exported_claim_cannot_be_cancelled_or_its_charges_voided(ready_claim, billing_clerk):
    services.export_claims(actor=billing_clerk, format="x12")
    charge = ready_claim.charges.get()

    with pytest.raises(ValidationError) as caught:
        services.change_claim_status(claim=ready_claim, to="cancelled", actor=billing_clerk, note="oops")
    assert "void it with a void claim (frequency code 8)" in caught.value.message_dict["status"][0]
    with pytest.raises(ValidationError, match=r"void that claim first with a void claim \(frequency code 8\)"):
        services.void_charge(charge=charge, actor=billing_clerk, reason="wrong patient")
    with pytest.raises(ValidationError) as caught:
        services.void_claim(claim=ready_claim, actor=billing_clerk, reason="wrong patient")
    assert caught.value.message_dict == {
        "payer_claim_number": ["Give the payer's claim number of the claim being corrected."]
    }
    ready_claim.refresh_from_db()
    assert ready_claim.status == "exported"


def test_voiding_an_exported_claim_makes_a_ready_void_claim(ready_claim, billing_clerk):
    services.export_claims(actor=billing_clerk, format="x12")

    void = services.void_claim(
        claim=ready_claim, actor=billing_clerk, reason="Billed to the wrong payer", payer_claim_number="PCN123"
    )

    ready_claim.refresh_from_db()
    assert ready_claim.status == "voided"
    assert (void.frequency, void.status, void.original, void.payer_claim_number) == (
        "8",
        "ready",
        ready_claim,
        "PCN123",
    )
    assert list(void.charges.all()) == list(ready_claim.charges.all())
    # Once the void claim carries them, the charges may be voided too.
    services.void_charge(charge=void.charges.get(), actor=billing_clerk, reason="Billed to the wrong payer")


def test_a_replacement_claim_reopens_for_coding_and_goes_out_with_frequency_7(ready_claim, billing_clerk):
    services.export_claims(actor=billing_clerk, format="x12")
    services.change_claim_status(claim=ready_claim, to="rejected", actor=billing_clerk, note="Wrong diagnosis")

    new = services.correct_claim(claim=ready_claim, actor=billing_clerk, payer_claim_number="PCN9", note="Dx fixed")
    charge = new.charges.get()
    charge = services.reopen_charge(charge=charge, actor=billing_clerk)
    charge = services.update_charge(
        charge=charge,
        actor=billing_clerk,
        icd10_codes=["G44.209"],
        lines=[{"code": "70450", "units": 1}, {"code": "71046", "units": 1}],
    )
    services.release_charge(charge=charge, actor=billing_clerk)
    services.change_claim_status(claim=new, to="ready", actor=billing_clerk)

    ready_claim.refresh_from_db()
    assert ready_claim.status == "replaced"
    assert (new.frequency, new.original_id) == ("7", ready_claim.pk)
    new.refresh_from_db()
    assert (new.status, str(new.total), str(ready_claim.total)) == ("ready", "225.50", "180.00")


def test_a_draft_claim_is_cancelled_with_a_reason_and_its_charges_can_be_claimed_again(
    completed_order, code_and_release, billing_clerk
):
    code_and_release(completed_order)
    [claim] = services.build_claims(actor=billing_clerk)
    with pytest.raises(ValidationError):
        services.change_claim_status(claim=claim, to="cancelled", actor=billing_clerk)
    services.change_claim_status(claim=claim, to="cancelled", actor=billing_clerk, note="Grouped too early")

    [again] = services.build_claims(actor=billing_clerk)
    assert list(again.charges.all()) == [Charge.objects.get(order=completed_order)]


def test_a_rejected_claim_is_cancelled_and_its_fixed_charges_go_out_on_a_new_original_claim(ready_claim, billing_clerk):
    services.export_claims(actor=billing_clerk, format="x12")
    services.change_claim_status(claim=ready_claim, to="rejected", actor=billing_clerk, note="999: bad member ID")
    services.change_claim_status(claim=ready_claim, to="cancelled", actor=billing_clerk, note="Resubmit as new")
    charge = services.reopen_charge(charge=ready_claim.charges.get(), actor=billing_clerk)
    services.release_charge(charge=charge, actor=billing_clerk)

    [again] = services.build_claims(actor=billing_clerk)

    assert (again.frequency, again.original, list(again.charges.all())) == ("1", None, [charge])


def test_voiding_a_charge_on_a_draft_claim_takes_it_off_the_claim(completed_order, code_and_release, billing_clerk):
    charge = code_and_release(completed_order)
    [claim] = services.build_claims(actor=billing_clerk)

    services.void_charge(charge=charge, actor=billing_clerk, reason="Entered twice")

    claim.refresh_from_db()
    assert (list(claim.charges.all()), str(claim.total)) == ([], "0.00")
    with pytest.raises(ValidationError) as caught:
        services.change_claim_status(claim=claim, to="ready", actor=billing_clerk)
    assert "The claim has no charges." in caught.value.message_dict["status"]


def test_building_with_make_ready_readies_a_clean_claim(completed_order, code_and_release, billing_clerk):
    code_and_release(completed_order)

    [claim] = services.build_claims(actor=billing_clerk, make_ready=True)

    assert claim.status == "ready"
    assert list(claim.events.values_list("to_status", flat=True)) == ["draft", "ready"]


def test_building_with_make_ready_leaves_a_claim_with_problems_a_draft(
    completed_order, code_and_release, billing_clerk
):
    code_and_release(completed_order)
    patient_services.update_patient(patient=completed_order.patient, actor=billing_clerk, address_line="")

    [claim] = services.build_claims(actor=billing_clerk, make_ready=True)

    assert claim.status == "draft"
