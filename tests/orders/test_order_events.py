"""Orders announce each status move to the other apps inside the transaction that made it (ris/events.py)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import override_settings

from ris.events import OrderStatusEvent, order_status_changed
from ris.orders import services
from ris.orders.choices import OrderStatus
from ris.orders.models import Order


@pytest.fixture
def heard():
    events = []

    def receiver(sender, event, **kwargs):
        events.append(event)

    order_status_changed.connect(receiver, dispatch_uid="test-heard")
    yield events
    order_status_changed.disconnect(dispatch_uid="test-heard")


def test_it_announces_entry_and_every_move(heard, patient, make_order, front_desk):
    order = make_order(patient)
    services.change_order_status(order=order, to=OrderStatus.SCHEDULED, actor=front_desk)

    assert [(e.order_id, e.from_status, e.to_status, e.actor_id) for e in heard] == [
        (order.pk, "", "ordered", front_desk.pk),
        (order.pk, "ordered", "scheduled", front_desk.pk),
    ]
    assert isinstance(heard[0], OrderStatusEvent)
    assert heard[1].at == Order.objects.get(pk=order.pk).status_changed_at


def test_a_receiver_that_raises_rolls_the_move_back(patient, make_order, front_desk):
    order = make_order(patient)

    def refuse(sender, event, **kwargs):
        raise RuntimeError("receiver failed")

    order_status_changed.connect(refuse, dispatch_uid="test-refuse")
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.change_order_status(order=order, to=OrderStatus.SCHEDULED, actor=front_desk)
    finally:
        order_status_changed.disconnect(dispatch_uid="test-refuse")

    order.refresh_from_db()
    assert order.status == OrderStatus.ORDERED
    assert list(order.status_changes.values_list("to_status", flat=True)) == ["ordered"]


def test_every_order_gets_its_own_study_instance_uid(patient, make_order):
    first, second = make_order(patient), make_order(patient)

    assert first.study_instance_uid.startswith("2.25.")
    assert first.study_instance_uid != second.study_instance_uid
    assert len(first.study_instance_uid) <= 64


@override_settings(LUMEN_UID_ROOT="1.2.826.0.1.3680043.10.999")
def test_study_instance_uids_use_the_configured_root(patient, make_order):
    order = make_order(patient)

    assert order.study_instance_uid.startswith("1.2.826.0.1.3680043.10.999.")
    assert len(order.study_instance_uid) <= 64


def test_performed_details_are_recorded_while_the_exam_is_under_way(patient, make_order, front_desk, technologist):
    order = make_order(patient)
    with pytest.raises(ValidationError, match="not when the order is ordered"):
        services.record_performed_details(order=order, actor=technologist, contrast_given=True)

    services.change_order_status(order=order, to=OrderStatus.ARRIVED, actor=front_desk)
    services.record_performed_details(
        order=order, actor=technologist, contrast_given=True, addon_cpt_codes=["76376", "76376"]
    )

    order.refresh_from_db()
    assert (order.contrast_given, order.addon_cpt_codes) == (True, ["76376"])


def test_bad_add_on_codes_are_refused_with_the_code_named(patient, make_order, front_desk, technologist):
    order = make_order(patient)
    services.change_order_status(order=order, to=OrderStatus.ARRIVED, actor=front_desk)

    with pytest.raises(ValidationError) as caught:
        services.record_performed_details(order=order, actor=technologist, addon_cpt_codes=["7637"])

    assert caught.value.message_dict == {
        "addon_cpt_codes": ["“7637” is not a CPT code: five digits, or four digits followed by F, T or U."]
    }
    order.refresh_from_db()
    assert order.addon_cpt_codes == []
