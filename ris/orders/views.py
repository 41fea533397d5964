"""Order pages: the list every role works from, order entry, and status moves."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from common.forms import submit
from common.paging import page_of
from ris.accounts.choices import ALL_ROLES, Role
from ris.accounts.roles import roles_required
from ris.audit.services import record_search, visible_record
from ris.orders import services
from ris.orders.choices import OPEN_STATUSES, TRANSITION_ROLES, OrderStatus
from ris.orders.filtersets import OrderFilterSet
from ris.orders.forms import OrderForm, TransitionForm
from ris.orders.models import Order
from ris.patients.views import visible_patient

ORDER_ENTRY = (Role.FRONT_DESK, Role.ADMIN)


def visible_order(request, pk: int) -> Order:
    """The order, if this user may see it (logged; see ``visible_record``)."""
    queryset = Order.objects.select_related("patient", "procedure", "referring_physician")
    return visible_record(request, queryset, pk, patient_of=lambda o: o.patient_id, missing="No such order.")


@roles_required(*ALL_ROLES)
def order_list(request):
    queryset = (
        Order.objects.for_user(request.user)
        .select_related("patient", "procedure", "referring_physician")
        .prefetch_related("studies")
    )
    filterset = OrderFilterSet(request.GET or None, queryset=queryset)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    page = page_of(rows.order_by("-id"), request)
    record_search(request, "orders.order", page.rows)
    return render(request, "orders/list.html", {"filterset": filterset, "page": page})


@roles_required(*ALL_ROLES)
def order_detail(request, pk: int):
    order = visible_order(request, pk)
    roles = request.user.role_names
    moves = [OrderStatus(status) for status in order.allowed_transitions() if roles & TRANSITION_ROLES[status]]
    context = {
        "order": order,
        "history": order.status_changes.select_related("actor"),
        "moves": moves,
        "can_edit": request.user.has_role(*ORDER_ENTRY) and order.status in OPEN_STATUSES,
    }
    return render(request, "orders/detail.html", context)


@roles_required(*ORDER_ENTRY)
def order_create(request, patient_pk: int):
    patient = visible_patient(request, patient_pk)
    form = OrderForm(request.POST or None)
    order = submit(request, form, lambda data: services.create_order(actor=request.user, patient=patient, **data))
    if order:
        messages.success(request, f"Order {order.accession_number} entered.")
        return redirect(order)
    return render(request, "orders/form.html", {"form": form, "patient": patient, "title": "New order"})


@roles_required(*ORDER_ENTRY)
def order_edit(request, pk: int):
    order = visible_order(request, pk)
    form = OrderForm(request.POST or None, instance=order)

    def save(data):
        fields = {k: v for k, v in data.items() if k != "procedure"}
        return services.update_order(order=order, actor=request.user, **fields)

    if submit(request, form, save):
        messages.success(request, "Order saved.")
        return redirect(order)
    context = {"form": form, "patient": order.patient, "order": order, "title": f"Edit order {order.accession_number}"}
    return render(request, "orders/form.html", context)


@require_POST
@roles_required(Role.FRONT_DESK, Role.TECHNOLOGIST, Role.RADIOLOGIST, Role.ADMIN)
def order_transition(request, pk: int):
    order = visible_order(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the order statuses.")
        return redirect(order)
    target = form.cleaned_data["status"]
    if not request.user.role_names & TRANSITION_ROLES.get(target, frozenset()):
        raise PermissionDenied("Your role cannot move an order to this status.")
    try:
        services.change_order_status(order=order, to=target, actor=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Order {order.accession_number} is now {OrderStatus(target).label.lower()}.")
    return redirect(order)
