"""The 837P file: valid for an independent validator (pyx12, 837 5010 map) and carrying the right values."""

import pytest
from django.core.exceptions import ValidationError

from billing import export, services
from billing.models import Charge
from ris.patients import services as patient_services
from tests.billing.conftest import pyx12_errors


def segments(text):
    return [s.split("*") for s in text.split("~\n") if s]


def find(segs, tag, *first):
    return [s for s in segs if s[0] == tag and tuple(s[1 : 1 + len(first)]) == first]


def test_the_validator_catches_a_broken_file(ready_claim, billing_clerk):
    """Guard for the tests below: pyx12 does report errors (a missing HI and an impossible date)."""
    batch = services.export_claims(actor=billing_clerk, format="x12")
    text = "".join(export.render(batch))
    broken = "".join(s + "~\n" for s in text.split("~\n") if s and not s.startswith("HI*")).replace(
        "DTP*472*D8*2", "DTP*472*D8*9"
    )
    assert pyx12_errors(text) == []
    assert "rejected" in pyx12_errors(broken)


def test_an_exported_claim_is_valid_837p_with_its_values(ready_claim, billing_clerk, settings):
    charge = Charge.objects.get()
    batch = services.export_claims(actor=billing_clerk, format="x12")
    text = "".join(export.render(batch))

    assert pyx12_errors(text) == []
    segs = segments(text)
    isa, iea = segs[0], segs[-1]
    assert (isa[0], isa[6].strip(), isa[8].strip(), isa[12], isa[13], isa[15]) == (
        "ISA",
        "LUMENDEMO",
        "CLEARINGHOUSE",
        "00501",
        f"{batch.control_number:09d}",
        "T",
    )
    assert iea == ["IEA", "1", f"{batch.control_number:09d}"]
    assert find(segs, "GS")[0][6:] == [str(batch.control_number), "X", "005010X222A1"]
    assert find(segs, "NM1", "85") == [["NM1", "85", "2", "LUMEN DEMO IMAGING", "", "", "", "", "XX", "1003000126"]]
    assert find(segs, "REF", "EI") == [["REF", "EI", "123456789"]]
    patient = ready_claim.patient
    assert find(segs, "NM1", "IL") == [
        ["NM1", "IL", "1", patient.family_name.upper(), "TEST", "", "", "", "MI", "ACM123456"]
    ]
    assert find(segs, "N4") == [["N4", "SPRINGFIELD", "IL", "627010001"], ["N4", "SPRINGFIELD", "IL", "62701"]]
    assert find(segs, "NM1", "PR") == [["NM1", "PR", "2", "ACME HEALTH", "", "", "", "", "PI", "ACME01"]]
    assert find(segs, "CLM") == [["CLM", ready_claim.number, "180", "", "", "11:B:1", "Y", "A", "Y", "Y"]]
    assert find(segs, "HI") == [["HI", "ABK:R519"]]
    assert find(segs, "NM1", "DN") == [["NM1", "DN", "1", "TEST", "DRHOUSE", "", "", "", "XX", "1245319599"]]
    assert find(segs, "NM1", "82") == [["NM1", "82", "1", "TEST", "RITA", "", "", "", "XX", "1234567893"]]
    assert find(segs, "SV1") == [["SV1", "HC:70450", "180", "UN", "1", "", "", "1"]]
    assert find(segs, "DTP", "472") == [["DTP", "472", "D8", charge.date_of_service.strftime("%Y%m%d")]]
    se = find(segs, "SE")[0]
    st_index = next(i for i, s in enumerate(segs) if s[0] == "ST")
    assert int(se[1]) == segs.index(se) - st_index + 1


def test_several_claims_lines_modifiers_pointers_and_a_dependent_patient(
    settings,
    insured,
    make_patient,
    make_order,
    complete,
    code_and_release,
    referring_doctor,
    front_desk,
    billing_clerk,
    radiologist,
):
    settings.LUMEN_BILLING_SPLIT = "split"
    first = complete(
        make_order(insured(), referring_physician=referring_doctor, icd10_codes=["R51.9", "I10"]),
        contrast_given=True,
        addon_cpt_codes=["76376"],
    )
    child = make_patient(address_line="3 Oak Lane", city="Springfield", state="IL", postal_code="627040001", sex="M")
    patient_services.add_coverage(
        patient=child,
        actor=front_desk,
        payer_name="Acme Health",
        member_id="ACM777",
        subscriber_name="Homer Simpson",
        subscriber_relationship="child",
    )
    second = complete(make_order(child, referring_physician=referring_doctor))
    code_and_release(first, rendering_npi="", prior_auth_number="PA-77")
    code_and_release(second, rendering_npi="")
    services.capture_professional(order_id=first.pk, signer_id=radiologist.pk)
    services.release_charge(charge=Charge.objects.get(order=first, component="professional"), actor=billing_clerk)
    for claim in services.build_claims(actor=billing_clerk):
        services.change_claim_status(claim=claim, to="ready", actor=billing_clerk)

    batch = services.export_claims(actor=billing_clerk, format="x12")
    text = "".join(export.render(batch))

    assert pyx12_errors(text) == []
    segs = segments(text)
    assert [s[1] for s in find(segs, "SV1")] == [
        "HC:70450:TC",
        "HC:Q9967",
        "HC:76376:TC",
        "HC:70450:26",
        "HC:76376:26",
        "HC:70450:TC",
    ]
    assert [s[2] for s in find(segs, "SV1")] == ["120", "12", "25", "60", "15", "120"]
    assert [s[7] for s in find(segs, "SV1")] == ["1:2", "1:2", "1:2", "1:2", "1:2", "1"]
    assert [s[2] for s in find(segs, "CLM")] == ["232", "120"]
    assert find(segs, "HI")[0] == ["HI", "ABK:R519", "ABF:I10"]
    assert [s[1:5] for s in find(segs, "HL")] == [
        ["1", "", "20", "1"],
        ["2", "1", "22", "0"],
        ["3", "1", "22", "1"],
        ["4", "3", "23", "0"],
    ]
    assert find(segs, "REF", "G1") == [["REF", "G1", "PA-77"]]
    assert find(segs, "PAT") == [["PAT", "19"]]
    assert find(segs, "NM1", "IL")[1][3:5] == ["SIMPSON", "HOMER"]
    assert find(segs, "NM1", "QC")[0][3] == "PATIENT2"


def _export_one(insured, make_order, complete, code_and_release, referring_doctor, billing_clerk, claims=1):
    for _ in range(claims):
        code_and_release(complete(make_order(insured(), referring_physician=referring_doctor)))
    for claim in services.build_claims(actor=billing_clerk):
        services.change_claim_status(claim=claim, to="ready", actor=billing_clerk)
    return services.export_claims(actor=billing_clerk, format="x12")


def _controls(text):
    """ISA13, GS06 and the (ST02, SE02) pairs of an interchange."""
    segs = segments(text)
    pairs = list(zip([s[2] for s in find(segs, "ST")], [s[2] for s in find(segs, "SE")], strict=True))
    return segs[0][13], find(segs, "GS")[0][6], pairs


def test_control_numbers_never_repeat(insured, make_order, complete, code_and_release, referring_doctor, billing_clerk):
    args = (insured, make_order, complete, code_and_release, referring_doctor, billing_clerk)
    controls = [_controls("".join(export.render(_export_one(*args)))) for _ in range(3)]
    assert controls == [
        ("000000001", "1", [("0001", "0001")]),
        ("000000002", "2", [("0002", "0002")]),
        ("000000003", "3", [("0003", "0003")]),
    ]


def test_each_transaction_set_of_a_batch_has_its_own_control_number_and_count(
    monkeypatch, insured, make_order, complete, code_and_release, referring_doctor, billing_clerk
):
    monkeypatch.setattr(export, "CLAIMS_PER_TRANSACTION", 2)
    monkeypatch.setattr(services, "CLAIMS_PER_TRANSACTION", 2)
    args = (insured, make_order, complete, code_and_release, referring_doctor, billing_clerk)
    first = _export_one(*args, claims=3)
    second = _export_one(*args, claims=1)
    text = "".join(export.render(first))
    assert pyx12_errors(text) == []
    assert _controls(text) == ("000000001", "1", [("0001", "0001"), ("0002", "0002")])
    assert _controls("".join(export.render(second))) == ("000000002", "2", [("0003", "0003")])
    assert "".join(export.render(first)) == text  # a download again is the same file
    segs = segments(text)
    starts = [i for i, s in enumerate(segs) if s[0] == "ST"]
    ends = [i for i, s in enumerate(segs) if s[0] == "SE"]
    assert [int(segs[e][1]) for e in ends] == [e - s + 1 for s, e in zip(starts, ends, strict=True)]
    assert find(segs, "GE")[0][1] == "2"
    # HL numbers start again at 1 in each transaction set; each subscriber's parent is that set's billing provider.
    assert [(s[1], s[2], s[3]) for s in find(segs, "HL")] == [
        ("1", "", "20"),
        ("2", "1", "22"),
        ("3", "1", "22"),
        ("1", "", "20"),
        ("2", "1", "22"),
    ]


def test_a_void_claim_goes_out_with_frequency_8_and_the_payer_claim_number(ready_claim, billing_clerk):
    services.export_claims(actor=billing_clerk, format="x12")
    services.void_claim(claim=ready_claim, actor=billing_clerk, reason="Duplicate", payer_claim_number="PCN-42")

    batch = services.export_claims(actor=billing_clerk, format="x12")
    text = "".join(export.render(batch))

    assert pyx12_errors(text) == []
    segs = segments(text)
    assert find(segs, "CLM")[0][5] == "11:B:8"
    assert find(segs, "REF", "F8") == [["REF", "F8", "PCN-42"]]


def test_an_export_with_no_ready_claims_is_refused(db, billing_clerk):
    with pytest.raises(services.NothingToExport, match="No claims are ready to export."):
        services.export_claims(actor=billing_clerk, format="x12")


def test_a_claim_gone_wrong_blocks_the_whole_export_listing_what_is_wrong(ready_claim, billing_clerk, settings):
    settings.LUMEN_BILLING_NPI = ""
    Charge.objects.update(problems=["Missing referring provider NPI."])

    with pytest.raises(ValidationError) as caught:
        services.export_claims(actor=billing_clerk, format="x12")

    charge = Charge.objects.get()
    assert caught.value.message_dict == {
        ready_claim.number: [
            f"Charge {charge.pk} ({charge.order.accession_number}): Missing referring provider NPI.",
            "The billing provider NPI is not set (LUMEN_BILLING_NPI).",
        ]
    }
    ready_claim.refresh_from_db()
    assert ready_claim.status == "ready"


def test_names_are_folded_to_the_x12_character_set(
    insured, make_order, complete, code_and_release, referring_doctor, billing_clerk
):
    patient = insured(family_name="Nguyễn*O'Brien~", given_name="Zoë:Ann^")
    code_and_release(complete(make_order(patient, referring_physician=referring_doctor)))
    for claim in services.build_claims(actor=billing_clerk):
        services.change_claim_status(claim=claim, to="ready", actor=billing_clerk)

    text = "".join(export.render(services.export_claims(actor=billing_clerk, format="x12")))

    assert pyx12_errors(text) == []
    assert find(segments(text), "NM1", "IL")[0][3:5] == ["NGUYEN O'BRIEN", "ZOE ANN"]


def test_each_payer_is_billed_in_its_own_format(ready_claim, billing_clerk, acme):
    acme.claim_format = "csv"
    acme.save()

    with pytest.raises(services.NothingToExport) as caught:
        services.export_claims(actor=billing_clerk, format="x12")
    assert caught.value.messages == [
        "No ready claim is for a payer billed by ANSI X12 837P (005010X222A1); the 1 ready claim(s) are for payers "
        "billed in the other format."
    ]
    assert services.export_claims(actor=billing_clerk, format="csv").claim_count == 1


def test_a_payer_that_starts_requiring_prior_authorisation_blocks_its_ready_claims(ready_claim, billing_clerk, acme):
    services.save_payer(actor=billing_clerk, payer=acme, requires_prior_auth=True)

    with pytest.raises(ValidationError) as caught:
        services.export_claims(actor=billing_clerk, format="x12")

    charge = Charge.objects.get()
    assert caught.value.message_dict == {
        ready_claim.number: [
            f"Charge {charge.pk} ({charge.order.accession_number}): Missing prior-authorisation number "
            "(Acme Health requires one)."
        ]
    }
    ready_claim.refresh_from_db()
    assert ready_claim.status == "ready"
