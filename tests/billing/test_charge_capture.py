"""Completing an exam captures its charge once, with everything the claim needs."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from billing.models import Charge
from ris.events import OrderStatusEvent, ReportEvent, order_status_changed, report_status_changed
from ris.orders import services as order_services
from ris.orders.choices import OrderStatus
from ris.orders.models import Order


def report_final(order, signer, status="F"):
    """What the reporting app sends when a report is signed (built by hand: billing never imports reporting)."""
    report_status_changed.send(
        sender=Order,
        event=ReportEvent(
            report_id=1,
            order_id=order.pk,
            status=status,
            sections=(),
            author_id=signer.pk,
            signer_id=signer.pk if status != "P" else None,
            signed_at=timezone.now(),
            critical=False,
            version=1,
        ),
    )


def test_it_captures_one_global_charge_with_codes_providers_and_price(completed_order, acme, referring_doctor):
    [charge] = Charge.objects.filter(order=completed_order)

    assert charge.component == "global"
    assert charge.status == "pending"
    assert charge.payer == acme
    assert charge.coverage.member_id == "ACM123456"
    assert charge.icd10_codes == ["R51.9"]
    assert charge.referring_npi == "1245319599"
    assert charge.rendering_npi == ""
    assert charge.place_of_service == "11"
    assert charge.date_of_service == timezone.localdate()
    assert [(ln.code, ln.modifiers, ln.units, ln.diagnosis_pointers, ln.amount) for ln in charge.lines.all()] == [
        ("70450", [], 1, [1], Decimal("180.00"))
    ]
    assert charge.problems == ["Missing rendering provider NPI (the radiologist who signs the report)."]


def test_a_final_report_puts_the_signing_radiologist_on_the_global_charge(completed_order, radiologist):
    report_final(completed_order, radiologist)

    charge = Charge.objects.get(order=completed_order)
    assert (charge.rendering_provider, charge.rendering_npi, charge.problems) == (radiologist, "1234567893", [])


def test_a_duplicate_completion_event_never_makes_a_second_charge(completed_order, technologist):
    event = OrderStatusEvent(
        order_id=completed_order.pk,
        from_status="in_progress",
        to_status="completed",
        actor_id=technologist.pk,
        reason="",
        at=timezone.now(),
    )
    with transaction.atomic():
        order_status_changed.send(sender=Order, event=event)
        order_status_changed.send(sender=Order, event=event)

    assert Charge.objects.filter(order=completed_order).count() == 1


def test_other_status_moves_capture_nothing(insured, make_order, technologist):
    order = make_order(insured())
    order_services.change_order_status(order=order, to=OrderStatus.ARRIVED, actor=technologist)
    order_services.change_order_status(order=order, to=OrderStatus.IN_PROGRESS, actor=technologist)

    assert not Charge.objects.exists()


def test_a_completion_rolled_back_leaves_no_charge(insured, make_order, technologist):
    order = make_order(insured())
    for status in (OrderStatus.ARRIVED, OrderStatus.IN_PROGRESS):
        order = order_services.change_order_status(order=order, to=status, actor=technologist)

    def complete_then_fail():
        with transaction.atomic():
            order_services.change_order_status(order=order, to=OrderStatus.COMPLETED, actor=technologist)
            raise RuntimeError("the completion fails after the event")

    with pytest.raises(RuntimeError):
        complete_then_fail()

    assert not Charge.objects.exists()


def test_split_billing_makes_a_technical_charge_then_a_professional_one_for_the_signer(
    settings, insured, make_order, complete, referring_doctor, radiologist
):
    settings.LUMEN_BILLING_SPLIT = "split"
    order = complete(make_order(insured(), referring_physician=referring_doctor))

    [technical] = Charge.objects.filter(order=order)
    assert technical.component == "technical"
    assert [(ln.code, ln.modifiers, ln.amount) for ln in technical.lines.all()] == [
        ("70450", ["TC"], Decimal("120.00"))
    ]
    assert technical.problems == []  # the technical component needs no rendering radiologist

    report_final(order, radiologist, status="P")
    assert Charge.objects.filter(order=order).count() == 1  # a preliminary report is not billed

    report_final(order, radiologist)
    report_final(order, radiologist)  # a repeated final event changes nothing
    professional = Charge.objects.get(order=order, component="professional")
    assert professional.rendering_npi == "1234567893"
    assert professional.date_of_service == technical.date_of_service
    assert [(ln.code, ln.modifiers, ln.amount) for ln in professional.lines.all()] == [
        ("70450", ["26"], Decimal("60.00"))
    ]
    assert Charge.objects.filter(order=order).count() == 2


def test_contrast_and_add_on_codes_the_technologist_recorded_are_billed(
    insured, make_order, complete, referring_doctor
):
    order = complete(
        make_order(insured(), referring_physician=referring_doctor), contrast_given=True, addon_cpt_codes=["76376"]
    )

    charge = Charge.objects.get(order=order)
    assert [(ln.position, ln.kind, ln.code, ln.amount) for ln in charge.lines.all()] == [
        (1, "procedure", "70450", Decimal("180.00")),
        (2, "contrast", "Q9967", Decimal("12.00")),
        (3, "addon", "76376", Decimal("40.00")),
    ]
    assert charge.total == Decimal("232.00")


def test_an_exam_of_an_uninsured_patient_is_captured_and_flagged(make_patient, make_order, complete, referring_doctor):
    order = complete(make_order(make_patient(), referring_physician=referring_doctor))

    charge = Charge.objects.get(order=order)
    assert charge.payer is None
    assert "No payer: the patient has no active coverage with a payer known to billing." in charge.problems


def test_the_date_of_service_is_the_day_the_exam_completed(completed_order):
    charge = Charge.objects.get(order=completed_order)
    completed_at = completed_order.status_changes.get(to_status="completed").at
    assert charge.date_of_service == timezone.localdate(completed_at)
    assert isinstance(charge.date_of_service, dt.date)
