"""The dashboard shows exams completed against charges captured, so a missing charge is visible."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from billing import dashboard, services
from billing.models import Charge
from ris.events import order_status_changed


def test_a_completed_exam_without_a_charge_shows_up(
    insured, make_order, complete, referring_doctor, xr_chest, billing_clerk
):
    charged = complete(make_order(insured(), referring_physician=referring_doctor))
    order_status_changed.disconnect(dispatch_uid="billing-capture")
    try:
        missed = complete(make_order(insured(), procedure=xr_chest, referring_physician=referring_doctor))
    finally:
        from billing.receivers import on_order_status_changed

        order_status_changed.connect(on_order_status_changed, dispatch_uid="billing-capture")
    services.void_charge(charge=Charge.objects.get(order=charged), actor=billing_clerk, reason="Repeat exam")
    today = timezone.localdate()

    data = dashboard.figures(today - dt.timedelta(days=1), today)

    assert (data["exams_completed"], data["charges_captured"], data["missing_order_ids"]) == (2, 1, [missed.pk])
    assert data["charges_by_status"] == [{"key": "void", "count": 1, "label": "Void"}]
    assert data["revenue_by_modality"] == []  # void charges earn nothing


def test_revenue_by_modality_and_payer_and_claims_by_state(
    insured, make_order, complete, code_and_release, referring_doctor, xr_chest, billing_clerk
):
    for procedure in (None, xr_chest):
        extra = {"procedure": procedure} if procedure else {}
        code_and_release(complete(make_order(insured(), referring_physician=referring_doctor, **extra)))
    services.build_claims(actor=billing_clerk)
    today = timezone.localdate()

    data = dashboard.figures(today, today)

    assert [(r["key"], r["count"], r["amount"]) for r in data["revenue_by_modality"]] == [
        ("CT", 1, Decimal("180.00")),
        ("DX", 1, Decimal("45.50")),
    ]
    assert [(r["key"], r["count"], r["amount"]) for r in data["revenue_by_payer"]] == [
        ("Acme Health", 2, Decimal("225.50"))
    ]
    assert [(r["key"], r["count"]) for r in data["claims_by_status"]] == [("draft", 2)]
    assert data["revenue_total"] == Decimal("225.50")
    # Money stays Decimal (a float would compare equal above and round wrongly later).
    amounts = [r["amount"] for key in ("revenue_by_modality", "revenue_by_payer") for r in data[key]]
    amounts += [data["revenue_total"], *(r["amount"] for r in data["claims_by_status"])]
    assert {type(a) for a in amounts} == {Decimal}
    assert dashboard.figures(today + dt.timedelta(days=1), today + dt.timedelta(days=2))["exams_completed"] == 0
