"""The order status machine: every allowed move works, every other move is refused with the reason."""

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ris.orders.choices import TRANSITIONS, OrderStatus
from ris.orders.models import InvalidTransition, Order, OrderStatusChange
from ris.orders.services import change_order_status

S = OrderStatus
# Shortest route from ordered to each status, to put an order there.
ROUTE = {
    S.ORDERED: [],
    S.SCHEDULED: [S.SCHEDULED],
    S.ARRIVED: [S.ARRIVED],
    S.IN_PROGRESS: [S.ARRIVED, S.IN_PROGRESS],
    S.COMPLETED: [S.ARRIVED, S.IN_PROGRESS, S.COMPLETED],
    S.PRELIMINARY: [S.ARRIVED, S.IN_PROGRESS, S.COMPLETED, S.PRELIMINARY],
    S.FINAL: [S.ARRIVED, S.IN_PROGRESS, S.COMPLETED, S.FINAL],
    S.CANCELLED: [S.CANCELLED],
    S.DISCONTINUED: [S.ARRIVED, S.IN_PROGRESS, S.DISCONTINUED],
}
ALLOWED = sorted((a, b) for a, targets in TRANSITIONS.items() for b in targets)
REFUSED = sorted((a, b) for a, b in itertools.product(S.values, S.values) if b not in TRANSITIONS[a])


def put_in(order, status, actor):
    for step in ROUTE[status]:
        order = change_order_status(order=order, to=step, actor=actor, reason="test")
    return order


def test_the_machine_has_the_documented_shape():
    assert TRANSITIONS == {
        S.ORDERED: {S.SCHEDULED, S.ARRIVED, S.CANCELLED},
        S.SCHEDULED: {S.ORDERED, S.ARRIVED, S.CANCELLED},
        S.ARRIVED: {S.IN_PROGRESS, S.SCHEDULED, S.CANCELLED},
        S.IN_PROGRESS: {S.COMPLETED, S.DISCONTINUED},
        S.COMPLETED: {S.PRELIMINARY, S.FINAL},
        S.PRELIMINARY: {S.FINAL},
        S.FINAL: set(),
        S.CANCELLED: set(),
        S.DISCONTINUED: set(),
    }


@pytest.mark.parametrize(("start", "to"), ALLOWED)
def test_each_allowed_move_changes_the_status_and_records_who(patient, make_order, admin_user, start, to):
    order = put_in(make_order(patient), start, admin_user)
    order = change_order_status(order=order, to=to, actor=admin_user, reason="because")
    assert Order.objects.get(pk=order.pk).status == to
    last = OrderStatusChange.objects.filter(order=order).last()
    assert (last.from_status, last.to_status, last.actor, last.reason) == (start, to, admin_user, "because")


@pytest.mark.parametrize(("start", "to"), REFUSED)
def test_each_other_move_is_refused_and_changes_nothing(patient, make_order, admin_user, start, to):
    order = put_in(make_order(patient), start, admin_user)
    history = OrderStatusChange.objects.filter(order=order).count()
    with pytest.raises(InvalidTransition) as caught:
        change_order_status(order=order, to=to, actor=admin_user, reason="because")
    assert caught.value.message_dict["status"][0].startswith(
        f"An order that is {S(start).label.lower()} cannot become {S(to).label.lower()}."
    )
    assert Order.objects.get(pk=order.pk).status == start
    assert OrderStatusChange.objects.filter(order=order).count() == history


def test_cancelling_needs_a_reason(patient, make_order, front_desk):
    order = make_order(patient)
    with pytest.raises(ValidationError) as caught:
        change_order_status(order=order, to=S.CANCELLED, actor=front_desk, reason="  ")
    assert caught.value.message_dict == {"reason": ["Say why the order is cancelled."]}


def test_the_api_answers_an_illegal_move_with_400_naming_the_allowed_ones(api, admin_user, patient, make_order):
    order = make_order(patient)
    api.force_authenticate(admin_user)
    response = api.post(f"/api/v1/orders/{order.pk}/transition/", {"status": "completed"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "status": ["An order that is ordered cannot become completed. Allowed next: Scheduled, Arrived, Cancelled."]
    }
    unknown = api.post(f"/api/v1/orders/{order.pk}/transition/", {"status": "teleported"}, format="json")
    assert unknown.json() == {"status": ['"teleported" is not a valid choice.']}


def test_a_role_cannot_make_a_move_that_is_not_its_own(api, billing_clerk, radiologist, patient, make_order):
    order = make_order(patient)
    api.force_authenticate(radiologist)
    response = api.post(f"/api/v1/orders/{order.pk}/transition/", {"status": "arrived"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role cannot move an order to this status."}
    assert Order.objects.get(pk=order.pk).status == S.ORDERED


def test_nobody_makes_an_order_final_by_hand_only_a_signed_report_does(
    api, radiologist, admin_user, technologist, patient, make_order
):
    order = make_order(patient)
    for status in (S.ARRIVED, S.IN_PROGRESS, S.COMPLETED):
        change_order_status(order=order, to=status, actor=technologist)
    for user in (radiologist, admin_user):
        api.force_authenticate(user)
        for status in ("preliminary", "final"):
            response = api.post(f"/api/v1/orders/{order.pk}/transition/", {"status": status}, format="json")
            assert (response.status_code, response.json()) == (
                403,
                {"detail": "Your role cannot move an order to this status."},
            )
    assert Order.objects.get(pk=order.pk).status == S.COMPLETED


def test_the_technologist_marks_arrival_on_the_order_page(client, technologist, patient, make_order):
    order = make_order(patient)
    client.force_login(technologist)
    page = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "Mark arrived" in page
    assert "Cancelled" not in page  # cancelling is the front desk's move
    response = client.post(reverse("orders:transition", args=[order.pk]), {"status": "arrived"}, follow=True)
    assert "is now arrived" in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == S.ARRIVED


def test_an_illegal_move_on_the_page_shows_the_reason(client, front_desk, patient, make_order):
    order = make_order(patient)
    client.force_login(front_desk)
    response = client.post(reverse("orders:transition", args=[order.pk]), {"status": "final"}, follow=True)
    assert response.status_code == 403
    response = client.post(reverse("orders:transition", args=[order.pk]), {"status": "cancelled"}, follow=True)
    assert "Say why the order is cancelled." in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == S.ORDERED
