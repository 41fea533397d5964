"""Links from an order to the apps that work on it: booking in scheduling, the report in reporting or the portal.

Used by the order page and the patient page's order list. Each link is shown only to the roles its target page
admits, so nobody is offered a page that would answer 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse

from ris.accounts.choices import DEPARTMENT_ROLES, Role
from ris.orders.choices import OrderStatus

register = template.Library()

BOOKERS = frozenset({Role.FRONT_DESK, Role.ADMIN})  # scheduling's booking pages
READERS = frozenset({Role.RADIOLOGIST, Role.ADMIN, Role.DEPARTMENT_LEAD})  # reporting's editor
SIGNED = frozenset({"preliminary", "final", "amended"})  # report statuses others may read


@dataclass(frozen=True)
class Link:
    label: str
    url: str


def order_links(order, roles: frozenset[str]) -> dict:
    """The order's booked appointment (while it waits for the exam), its report, and the links ``roles`` may use."""
    links: list[Link] = []
    appointment = None
    if order.status in (OrderStatus.ORDERED, OrderStatus.SCHEDULED):
        # .all() so a page listing many orders can prefetch "appointments__resource" and "report" for them.
        appointment = next((a for a in order.appointments.all() if a.status == "booked"), None)
        if roles & BOOKERS:
            if appointment is not None:
                links.append(Link("Reschedule", reverse("scheduling:appointment", args=[appointment.pk])))
            elif order.status == OrderStatus.ORDERED:
                links.append(Link("Book", reverse("scheduling:slots", args=[order.pk])))
    try:
        report = order.report
    except ObjectDoesNotExist:
        report = None
    if report is not None:
        if roles & READERS:
            links.append(Link("Open report", reverse("reporting:report", args=[report.pk])))
        elif report.status in SIGNED and roles & DEPARTMENT_ROLES:
            links.append(Link("Report PDF", reverse("reporting:pdf", args=[report.pk])))
        elif report.status in SIGNED and Role.REFERRING_PHYSICIAN in roles:
            links.append(Link("Read report", reverse("portal:order", args=[order.pk])))
    return {"appointment": appointment, "report": report, "links": links}


@register.inclusion_tag("orders/links.html", takes_context=True)
def exam_links(context, order):
    """``{% exam_links order %}``: the appointment time and the links for the signed-in user's roles."""
    return order_links(order, context.get("user_roles") or frozenset())
