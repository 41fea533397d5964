"""Demo billing data: payers, fee schedules, charges for every completed demo exam, and ready claims.

Called by ``seed_demo`` after the orders (and the scheduling and reporting demo data) exist; safe to run twice.
The billing provider (name, NPI, tax ID, address) comes from settings, which have demo values while DEBUG is on.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from billing import services
from billing.choices import ClaimStatus
from billing.models import Charge, FeeScheduleEntry, Payer
from ris.orders.choices import DONE_STATUSES, OrderStatus
from ris.orders.models import Order, Procedure
from ris.patients import services as patient_services

PAYERS = [
    # name, payer ID, requires prior authorisation
    ("Acme Health", "ACME1", False),
    ("Northwind Mutual", "NWM01", True),
]
# Global price per CPT code of the demo catalog; the technical component is 60 %, the professional 40 %.
PRICES = {
    "70450": "210.00",
    "71260": "320.00",
    "74177": "480.00",
    "70553": "690.00",
    "73721": "520.00",
    "72148": "510.00",
    "71046": "48.00",
    "73130": "42.00",
    "76700": "160.00",
    "76856": "150.00",
    "77067": "175.00",
    "78306": "290.00",
    "Q9967": "14.00",
}
START = dt.date(2020, 1, 1)


def _fees(payer: Payer, codes: set[str]) -> None:
    for code in sorted(codes):
        price = Decimal(PRICES.get(code, "100.00"))
        split = [("", price)] if code.startswith("Q") else [("", price), ("TC", price * 6 / 10), ("26", price * 4 / 10)]
        for modifier, amount in split:
            FeeScheduleEntry.objects.get_or_create(
                payer=payer,
                code=code,
                modifier=modifier,
                effective_from=START,
                defaults={"price": amount.quantize(Decimal("0.01"))},
            )


def seed(*, users, stdout) -> None:
    billing = users["billing"]
    codes = set(Procedure.objects.values_list("cpt_code", flat=True)) | {"Q9967"}
    for name, payer_id, prior_auth in PAYERS:
        payer, _ = Payer.objects.get_or_create(
            name=name, defaults={"payer_id": payer_id, "requires_prior_auth": prior_auth}
        )
        _fees(payer, codes)
    # Every completed exam has its charge (the capture receiver made most of them as the exams completed;
    # capture is idempotent), and reported ones have their reading radiologist.
    done = Order.objects.filter(status__in=DONE_STATUSES).select_related("patient")
    for order in done:
        if not order.charges.exists():
            services.capture_charge(order_id=order.pk, actor=billing, at=order.status_changed_at)
        if order.status == OrderStatus.FINAL:
            services.capture_professional(order_id=order.pk, signer_id=users["radiologist"].pk)
    # Claims carry the patient's address: give the insured demo patients one where it is missing.
    for order in done:
        patient = order.patient
        if patient.coverages.exists() and not patient.address_line:
            patient_services.update_patient(
                patient=patient,
                actor=users["frontdesk"],
                address_line=f"{100 + patient.pk} Evergreen Terrace",
                city="Springfield",
                state="IL",
                postal_code="62704",
            )
    services.recheck_charges()
    released = 0
    for charge in Charge.objects.filter(status="pending", problems=[]):
        services.release_charge(charge=charge, actor=billing)
        released += 1
    claims = services.build_claims(actor=billing, make_ready=True)
    ready = sum(claim.status == ClaimStatus.READY for claim in claims)
    attention = Charge.objects.needing_attention().count()
    stdout.write(f"Billing: {released} charges released, {ready} claims ready to export, {attention} need attention.")
