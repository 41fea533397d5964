"""Billing fixtures: a payer with fees, insured patients, and exams taken to completion through the order service."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest

from billing.models import FeeScheduleEntry, Payer
from ris.orders import services as order_services
from ris.orders.choices import OrderStatus
from ris.patients import services as patient_services

START = dt.date(2020, 1, 1)


@pytest.fixture
def acme(db):
    payer = Payer.objects.create(name="Acme Health", payer_id="ACME01")
    for code, modifier, price in [
        ("70450", "", "180.00"),
        ("70450", "TC", "120.00"),
        ("70450", "26", "60.00"),
        ("71046", "", "45.50"),
        ("Q9967", "", "12.00"),
        ("76376", "", "40.00"),
        ("76376", "TC", "25.00"),
        ("76376", "26", "15.00"),
    ]:
        FeeScheduleEntry.objects.create(
            payer=payer, code=code, modifier=modifier, price=Decimal(price), effective_from=START
        )
    return payer


@pytest.fixture
def insured(make_patient, front_desk, acme):
    """A patient with a full address and an Acme Health coverage."""

    def make(**fields):
        patient = make_patient(
            **{
                "address_line": "12 Elm Street",
                "city": "Springfield",
                "state": "IL",
                "postal_code": "62701",
                "sex": "F",
                **fields,
            }
        )
        patient_services.add_coverage(
            patient=patient, actor=front_desk, payer_name="Acme Health", plan_name="PPO", member_id="ACM123456"
        )
        return patient

    return make


@pytest.fixture
def complete(technologist):
    """Take an order through arrival and the exam to completion (the charge is captured on the way)."""

    def run(order, **performed):
        for status in (OrderStatus.ARRIVED, OrderStatus.IN_PROGRESS):
            order = order_services.change_order_status(order=order, to=status, actor=technologist)
        if performed:
            order_services.record_performed_details(order=order, actor=technologist, **performed)
        return order_services.change_order_status(order=order, to=OrderStatus.COMPLETED, actor=technologist)

    return run


@pytest.fixture
def completed_order(insured, make_order, complete, referring_doctor):
    return complete(make_order(insured(), referring_physician=referring_doctor))


def pyx12_errors(text: str) -> list[str]:
    """Validate an X12 file with pyx12 and its 837 5010 map: the IK3/IK4 errors of the 999 acknowledgement it
    writes, plus "rejected" when it does not accept the transaction (empty: valid)."""
    import pyx12.params
    import pyx12.x12n_document

    ack = io.StringIO()
    ok = pyx12.x12n_document.x12n_document(
        param=pyx12.params.params(), src_file=io.StringIO(text), fd_997=ack, fd_html=None
    )
    segments = [s.strip() for s in ack.getvalue().split("~") if s.strip()]
    errors = [s for s in segments if s.startswith(("IK3", "IK4"))]
    if not ok or any(s.startswith(("IK5*R", "IK5*E", "AK9*R", "AK9*P")) for s in segments):
        errors.append("rejected")
    return errors


@pytest.fixture
def code_and_release(radiologist, billing_clerk):
    """Give a captured charge its radiologist and release it."""
    from billing import services
    from billing.models import Charge

    def run(order, **fields):
        charge = Charge.objects.get(order=order)
        fields.setdefault("rendering_npi", radiologist.provider_profile.npi)
        charge = services.update_charge(charge=charge, actor=billing_clerk, **fields)
        return services.release_charge(charge=charge, actor=billing_clerk)

    return run


@pytest.fixture
def ready_claim(completed_order, code_and_release, billing_clerk):
    from billing import services

    code_and_release(completed_order)
    [claim] = services.build_claims(actor=billing_clerk)
    return services.change_claim_status(claim=claim, to="ready", actor=billing_clerk)
