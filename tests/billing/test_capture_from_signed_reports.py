"""Billing's professional capture wired to reporting's real signing (HTTP, with the password), not hand-made events."""

from decimal import Decimal

import pytest

from billing.models import Charge
from reporting.models import Report
from tests.conftest import PASSWORD, login, make_user


@pytest.fixture
def resident(db):
    return make_user("rory", "radiologist", npi="1003000126")


def _claim(client, user, order) -> Report:
    login(client, user)
    assert client.post(f"/reports/claim/{order.pk}/").status_code == 302
    return Report.objects.get(order=order)


def _sign(client, report, *, final=True, password=PASSWORD):
    data = {
        "section-impression": "No acute abnormality.",
        "version": report.version,
        "password": password,
        "final": "1" if final else "0",
        "severity": "critical",
    }
    return client.post(f"/reports/{report.pk}/sign/", data)


def _charges(order):
    return list(
        Charge.objects.filter(order=order).order_by("component").values_list("component", "rendering_npi", "status")
    )


def test_it_puts_the_signing_radiologist_on_the_global_charge(client, settings, completed_order, radiologist):
    settings.LUMEN_BILLING_SPLIT = "global"
    report = _claim(client, radiologist, completed_order)
    assert _charges(completed_order) == [("global", "", "pending")]
    assert _sign(client, report).status_code == 302
    assert _charges(completed_order) == [("global", "1234567893", "pending")]
    charge = Charge.objects.get(order=completed_order)
    assert charge.rendering_provider == radiologist
    assert not any("rendering" in p.lower() for p in charge.problems)


def test_it_creates_the_professional_charge_once_on_the_signer_in_split_mode(
    client, settings, insured, make_order, complete, referring_doctor, radiologist
):
    settings.LUMEN_BILLING_SPLIT = "split"
    order = complete(make_order(insured(), referring_physician=referring_doctor))
    assert _charges(order) == [("technical", "", "pending")]
    report = _claim(client, radiologist, order)
    assert _sign(client, report).status_code == 302
    assert _charges(order) == [("professional", "1234567893", "pending"), ("technical", "", "pending")]
    professional = Charge.objects.get(order=order, component="professional")
    assert professional.rendering_provider == radiologist
    assert [(line.code, line.modifiers) for line in professional.lines.all()] == [("70450", ["26"])]
    assert professional.lines.get().amount == Decimal("60.00")
    assert professional.problems == []
    assert professional.date_of_service == Charge.objects.get(order=order, component="technical").date_of_service


@pytest.mark.parametrize("split", ["global", "split"])
def test_it_bills_no_professional_component_for_a_preliminary_read(
    client, settings, split, insured, make_order, complete, referring_doctor, resident, radiologist
):
    settings.LUMEN_BILLING_SPLIT = split
    order = complete(make_order(insured(), referring_physician=referring_doctor))
    first = "technical" if split == "split" else "global"
    report = _claim(client, resident, order)
    assert _sign(client, report, final=False).status_code == 302
    assert Report.objects.get(pk=report.pk).status == "preliminary"
    assert _charges(order) == [(first, "", "pending")]
    # The attending takes the preliminary read over and signs it final: the charge is theirs, not the resident's.
    report = _claim(client, radiologist, order)
    assert _sign(client, report).status_code == 302
    expected = [(first, "1234567893", "pending")]
    if split == "split":
        expected = [("professional", "1234567893", "pending"), ("technical", "", "pending")]
    assert _charges(order) == expected


@pytest.mark.parametrize("split", ["global", "split"])
def test_it_bills_no_second_professional_charge_for_an_amendment_or_addendum(
    client, settings, split, insured, make_order, complete, referring_doctor, radiologist, resident
):
    settings.LUMEN_BILLING_SPLIT = split
    order = complete(make_order(insured(), referring_physician=referring_doctor))
    report = _claim(client, radiologist, order)
    assert _sign(client, report).status_code == 302
    before = _charges(order)
    login(client, resident)
    response = client.post(
        f"/reports/{report.pk}/amend/",
        {"section-impression": "Small subdural haematoma.", "reason": "Missed finding", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert Report.objects.get(pk=report.pk).status == "amended"
    response = client.post(f"/reports/{report.pk}/addendum/", {"text": "Discussed by phone.", "password": PASSWORD})
    assert response.status_code == 302
    assert _charges(order) == before
    assert Charge.objects.filter(order=order).count() == (2 if split == "split" else 1)


def test_it_refuses_a_sign_with_a_wrong_password_and_bills_nothing(client, settings, completed_order, radiologist):
    settings.LUMEN_BILLING_SPLIT = "split"
    report = _claim(client, radiologist, completed_order)
    assert _sign(client, report, password="wrong").status_code == 400
    assert _charges(completed_order) == [("global", "", "pending")]


def test_it_exports_the_split_charges_of_a_signed_report_as_valid_837p(
    client, settings, insured, make_order, complete, referring_doctor, radiologist, billing_clerk
):
    from billing import export, services
    from tests.billing.conftest import pyx12_errors

    settings.LUMEN_BILLING_SPLIT = "split"
    order = complete(make_order(insured(), referring_physician=referring_doctor))
    assert _sign(client, _claim(client, radiologist, order)).status_code == 302
    for charge in Charge.objects.filter(order=order).order_by("component"):
        services.release_charge(charge=charge, actor=billing_clerk)
    claims = services.build_claims(actor=billing_clerk)
    for claim in claims:
        services.change_claim_status(claim=claim, to="ready", actor=billing_clerk)
    text = "".join(export.render(services.export_claims(actor=billing_clerk, format="x12")))
    assert pyx12_errors(text) == []
    segs = [s.split("*") for s in text.split("~\n") if s]
    assert sorted(s[1] for s in segs if s[0] == "SV1") == ["HC:70450:26", "HC:70450:TC"]
    assert [s for s in segs if s[:2] == ["NM1", "82"]] == [
        ["NM1", "82", "1", "TEST", "RITA", "", "", "", "XX", "1234567893"]
    ]


@pytest.mark.parametrize(("at_completion", "at_signing"), [("global", "split"), ("split", "global")])
def test_it_follows_the_exams_own_capture_when_the_setting_changed_in_between(
    client, settings, at_completion, at_signing, insured, make_order, complete, referring_doctor, radiologist
):
    settings.LUMEN_BILLING_SPLIT = at_completion
    order = complete(make_order(insured(), referring_physician=referring_doctor))
    settings.LUMEN_BILLING_SPLIT = at_signing
    assert _sign(client, _claim(client, radiologist, order)).status_code == 302
    if at_completion == "global":  # no 26 on top of a global charge
        assert _charges(order) == [("global", "1234567893", "pending")]
    else:  # the technical component still gets its professional one
        assert _charges(order) == [("professional", "1234567893", "pending"), ("technical", "", "pending")]


def test_it_captures_no_second_charge_when_a_completion_repeats_after_the_setting_changed(
    settings, completed_order, technologist
):
    from django.utils import timezone

    from ris.events import OrderStatusEvent, order_status_changed
    from ris.orders.models import Order

    settings.LUMEN_BILLING_SPLIT = "split"
    event = OrderStatusEvent(
        order_id=completed_order.pk,
        from_status="in_progress",
        to_status="completed",
        actor_id=technologist.pk,
        reason="",
        at=timezone.now(),
    )
    order_status_changed.send(sender=Order, event=event)  # the completion arrives again
    assert _charges(completed_order) == [("global", "", "pending")]


def test_the_dashboard_shows_a_final_report_whose_professional_charge_is_missing(
    client, settings, billing_clerk, insured, make_order, complete, referring_doctor, radiologist
):
    from django.utils import timezone

    from billing import dashboard
    from billing.receivers import on_report_status_changed
    from ris.events import report_status_changed

    settings.LUMEN_BILLING_SPLIT = "split"
    billed = complete(make_order(insured(), referring_physician=referring_doctor))
    missed = complete(make_order(insured(), referring_physician=referring_doctor))
    assert _sign(client, _claim(client, radiologist, billed)).status_code == 302
    report_status_changed.disconnect(dispatch_uid="billing-professional")
    try:
        assert _sign(client, _claim(client, radiologist, missed)).status_code == 302
    finally:
        report_status_changed.connect(on_report_status_changed, dispatch_uid="billing-professional")
    today = timezone.localdate()
    data = dashboard.figures(today, today)
    assert (data["missing_professional_count"], data["missing_professional_order_ids"]) == (1, [missed.pk])
    login(client, billing_clerk)
    page = client.get("/billing/dashboard/", {"start": today.isoformat(), "end": today.isoformat()})
    assert "Final report without a professional (26) charge" in page.content.decode()
    assert f"/orders/{missed.pk}/" in page.content.decode()
