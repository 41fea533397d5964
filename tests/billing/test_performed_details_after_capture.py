"""The technologist corrects contrast or add-on codes after the exam completed (its charge captured already):
the charge follows, or is held for billing staff when they coded it, or the change is refused once released."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing import services
from billing.models import Charge
from ris.orders import services as order_services
from ris.orders.models import Order


def lines_of(charge):
    return [(ln.kind, ln.code, ln.modifiers, ln.units, ln.amount) for ln in charge.lines.order_by("position")]


def test_an_uncoded_charge_gets_the_performed_lines(completed_order, technologist):
    [charge] = Charge.objects.filter(order=completed_order)
    assert lines_of(charge) == [("procedure", "70450", [], 1, Decimal("180.00"))]

    order_services.record_performed_details(
        order=completed_order, actor=technologist, contrast_given=True, addon_cpt_codes=["76376"]
    )

    charge.refresh_from_db()
    assert charge.status == "pending"
    assert lines_of(charge) == [
        ("procedure", "70450", [], 1, Decimal("180.00")),
        ("contrast", "Q9967", [], 1, Decimal("12.00")),
        ("addon", "76376", [], 1, Decimal("40.00")),
    ]
    assert [ln.diagnosis_pointers for ln in charge.lines.all()] == [[1], [1], [1]]

    order_services.record_performed_details(order=completed_order, actor=technologist, contrast_given=False)
    assert [ln[1] for ln in lines_of(Charge.objects.get(pk=charge.pk))] == ["70450", "76376"]


def test_a_charge_billing_staff_coded_is_held_with_the_change_in_words(completed_order, technologist, billing_clerk):
    [charge] = Charge.objects.filter(order=completed_order)
    services.update_charge(charge=charge, actor=billing_clerk, lines=[{"code": "70450", "modifiers": [], "units": 2}])

    order_services.record_performed_details(order=completed_order, actor=technologist, addon_cpt_codes=["76376"])

    charge.refresh_from_db()
    assert charge.status == "held"
    assert charge.hold_reason == (
        "The technologist changed what was performed after coding (contrast not given; add-on codes 76376): "
        "review the lines."
    )
    assert lines_of(charge) == [("procedure", "70450", [], 2, Decimal("180.00"))]  # the staff's coding stays


def test_a_released_charge_refuses_the_change_and_the_order_keeps_what_it_had(
    completed_order, technologist, code_and_release
):
    code_and_release(completed_order)

    with pytest.raises(ValidationError, match="charge is released; ask billing staff to reopen it"):
        order_services.record_performed_details(order=completed_order, actor=technologist, contrast_given=True)

    order = Order.objects.get(pk=completed_order.pk)
    assert (order.contrast_given, order.addon_cpt_codes) == (None, [])  # not recorded, as before
    charge = Charge.objects.get(order=completed_order)
    assert (charge.status, [ln[1] for ln in lines_of(charge)]) == ("released", ["70450"])
    # What bills nothing differently is recorded even so: contrast "not given" where nothing was recorded.
    order_services.record_performed_details(order=completed_order, actor=technologist, contrast_given=False)
    assert Order.objects.get(pk=completed_order.pk).contrast_given is False
    assert Charge.objects.get(order=completed_order).status == "released"


def test_recording_the_same_details_again_changes_nothing(completed_order, technologist, billing_clerk):
    [charge] = Charge.objects.filter(order=completed_order)
    services.update_charge(charge=charge, actor=billing_clerk, lines=[{"code": "70450", "modifiers": [], "units": 2}])
    order_services.record_performed_details(order=completed_order, actor=technologist, contrast_given=False)
    charge.refresh_from_db()
    assert charge.status == "pending"


def test_the_technologist_sees_why_in_words_on_the_note_form(client, completed_order, technologist, code_and_release):
    from scheduling.models import ExamNote

    code_and_release(completed_order)
    client.force_login(technologist)
    page = client.post(
        f"/scheduling/exams/{completed_order.pk}/note/",
        {"kind": "contrast", "text": "80 ml iohexol", "contrast_given": "true", "addon_cpt_codes": ""},
    )
    assert page.status_code == 200
    assert (
        "The exam’s global charge is released; ask billing staff to reopen it before changing the contrast or "
        "add-on codes." in page.content.decode()
    )
    assert not ExamNote.objects.filter(order=completed_order).exists()
    assert Order.objects.get(pk=completed_order.pk).contrast_given is None
