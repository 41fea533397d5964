"""Charge review: the reasons a charge needs attention, coding with validation, hold / release / void."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing import services
from billing.models import Charge, FeeScheduleEntry, Payer
from ris.patients import services as patient_services


@pytest.fixture
def charge(completed_order, radiologist):
    charge = Charge.objects.get(order=completed_order)
    return services.update_charge(charge=charge, actor=None, rendering_npi=radiologist.provider_profile.npi)


def test_a_coded_charge_has_no_problems(charge):
    assert charge.problems == []
    assert not Charge.objects.needing_attention().exists()


def test_it_lists_each_reason_a_charge_needs_attention(charge, billing_clerk, acme):
    acme.requires_prior_auth = True
    acme.save()
    FeeScheduleEntry.objects.filter(code="70450", modifier="").delete()

    charge = services.update_charge(
        charge=charge, actor=billing_clerk, icd10_codes=[], rendering_npi="", referring_npi=""
    )

    assert charge.problems == [
        "Missing diagnosis: add at least one ICD-10-CM code.",
        "Missing rendering provider NPI (the radiologist who signs the report).",
        "Missing referring provider NPI.",
        "Missing prior-authorisation number (Acme Health requires one).",
        "Line 1 (70450): no fee schedule entry for 70450 with Acme Health.",
    ]
    assert list(Charge.objects.needing_attention()) == [charge]


def test_a_price_that_has_ended_is_not_a_price(charge, billing_clerk):
    fee = FeeScheduleEntry.objects.get(code="70450", modifier="")
    fee.effective_to = fee.effective_from
    fee.save()

    charge = services.update_charge(charge=charge, actor=billing_clerk, prior_auth_number="")

    assert charge.problems == [f"Line 1 (70450): no price for 70450 with Acme Health on {charge.date_of_service}."]


def test_coding_refuses_bad_codes_with_a_message_per_field_and_changes_nothing(charge, billing_clerk):
    with pytest.raises(ValidationError) as caught:
        services.update_charge(
            charge=charge,
            actor=billing_clerk,
            icd10_codes=["R51.9", "XYZ"],
            rendering_npi="1234567890",
            lines=[{"code": "7045", "modifiers": ["2X6"], "units": 1, "diagnosis_pointers": [3]}],
        )

    assert caught.value.message_dict == {
        "icd10_codes": ["“XYZ” is not an ICD-10-CM code."],
        "rendering_npi": [
            "Rendering provider NPI 1234567890: This NPI fails its check digit; check it for a typing error."
        ],
        "lines": [
            "Line 1: “7045” is not a CPT or HCPCS code.",
            "Line 1: “2X6” is not a modifier: two letters or digits.",
            "Line 1: diagnosis pointers must be 1 to 4 positions among the 2 diagnosis codes.",
        ],
    }
    charge.refresh_from_db()
    assert (charge.icd10_codes, charge.rendering_npi) == (["R51.9"], "1234567893")
    assert [line.code for line in charge.lines.all()] == ["70450"]


def test_coding_a_category_instead_of_a_billable_code_is_refused(charge, billing_clerk):
    with pytest.raises(ValidationError) as caught:
        services.update_charge(charge=charge, actor=billing_clerk, icd10_codes=["R51"])
    assert caught.value.message_dict["icd10_codes"][0].startswith("“R51” is a category; use a more specific code")


def test_recoding_lines_reprices_them(charge, billing_clerk):
    charge = services.update_charge(
        charge=charge,
        actor=billing_clerk,
        icd10_codes=["R51.9", "I10"],
        lines=[
            {"code": "70450", "modifiers": [], "units": 1, "diagnosis_pointers": [1, 2]},
            {"code": "71046", "modifiers": [], "units": 2, "diagnosis_pointers": [2]},
        ],
    )
    assert [(ln.code, ln.units, ln.diagnosis_pointers, ln.amount) for ln in charge.lines.all()] == [
        ("70450", 1, [1, 2], Decimal("180.00")),
        ("71046", 2, [2], Decimal("45.50")),
    ]
    assert charge.total == Decimal("271.00")


def test_release_refuses_a_charge_with_problems_listing_them(charge, billing_clerk):
    services.update_charge(charge=charge, actor=billing_clerk, referring_npi="")

    with pytest.raises(ValidationError) as caught:
        services.release_charge(charge=charge, actor=billing_clerk)

    assert caught.value.message_dict == {"status": ["The charge cannot be released: Missing referring provider NPI."]}
    charge.refresh_from_db()
    assert charge.status == "pending"


def test_hold_release_reopen_and_void(charge, billing_clerk):
    with pytest.raises(ValidationError):
        services.hold_charge(charge=charge, actor=billing_clerk, reason=" ")
    charge = services.hold_charge(charge=charge, actor=billing_clerk, reason="Asking the referrer for the indication")
    assert (charge.status, charge.hold_reason) == ("held", "Asking the referrer for the indication")

    with pytest.raises(ValidationError) as caught:
        services.release_charge(charge=charge, actor=billing_clerk)
    assert "cannot become released" in caught.value.message_dict["status"][0]

    charge = services.reopen_charge(charge=charge, actor=billing_clerk)
    charge = services.release_charge(charge=charge, actor=billing_clerk)
    assert charge.status == "released"
    with pytest.raises(ValidationError, match="reopen it first"):
        services.update_charge(charge=charge, actor=billing_clerk, prior_auth_number="PA1")

    with pytest.raises(ValidationError) as caught:
        services.void_charge(charge=charge, actor=billing_clerk, reason="")
    assert caught.value.message_dict == {"reason": ["Say why the charge is void."]}
    charge = services.void_charge(charge=charge, actor=billing_clerk, reason="Exam repeated at no cost")
    assert (charge.status, charge.void_reason) == ("void", "Exam repeated at no cost")
    with pytest.raises(ValidationError):
        services.reopen_charge(charge=charge, actor=billing_clerk)


def test_a_new_payer_and_its_prices_reach_charges_waiting_without_them(
    make_patient, make_order, complete, referring_doctor, front_desk, billing_clerk
):
    patient = make_patient()
    patient_services.add_coverage(patient=patient, actor=front_desk, payer_name="Globex Care", member_id="G1")
    charge = Charge.objects.get(order=complete(make_order(patient, referring_physician=referring_doctor)))
    assert charge.payer is None

    payer = services.save_payer(actor=billing_clerk, name="Globex Care", payer_id="GLBX1")
    charge.refresh_from_db()
    assert charge.payer == payer
    assert "Line 1 (70450): no fee schedule entry for 70450 with Globex Care." in charge.problems

    services.save_fee(
        actor=billing_clerk,
        payer=payer,
        code="70450",
        modifier="",
        price=Decimal("99.00"),
        effective_from=charge.date_of_service,
    )
    charge.refresh_from_db()
    assert charge.lines.get().amount == Decimal("99.00")
    assert not any("fee schedule" in p for p in charge.problems)


def test_a_fee_with_a_bad_code_is_refused(acme, billing_clerk):
    with pytest.raises(ValidationError) as caught:
        services.save_fee(
            actor=billing_clerk, payer=acme, code="ABC", modifier="T", price=Decimal("1"), effective_from="2024-01-01"
        )
    assert caught.value.message_dict["code"] == ["“ABC” is not a CPT or HCPCS code."]
    assert caught.value.message_dict["modifier"] == ["“T” is not a modifier: two letters or digits."]
    assert not Payer.objects.exclude(pk=acme.pk).exists()
