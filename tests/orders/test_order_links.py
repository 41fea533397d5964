"""The order page and the patient page link to scheduling (book / reschedule, with the appointment time) and to the
report (reporting's editor, its PDF, or the portal), each only for the roles whose pages would open."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from reporting import services as reporting
from ris.accounts.choices import Role
from ris.orders import services as order_services
from ris.orders.models import Order
from ris.orders.templatetags.order_links import order_links
from scheduling import services as scheduling
from tests.conftest import PASSWORD
from tests.scheduling.conftest import ct_modality, ct_resource  # noqa: F401  (fixtures)

LINK = re.compile(r'<a class="button secondary" href="([^"]+)">([^<]+)</a>')


def links(response) -> list[tuple[str, str]]:
    """(label, url) of every link in the page's exam-link blocks."""
    assert response.status_code == 200
    html = response.content.decode()
    blocks = re.findall(r'<span class="exam-links">.*?</span>\s*(?:</dd>|</li>)', html, re.S)
    return [(label, url) for block in blocks for url, label in LINK.findall(block)]


def page(client, user, order):
    client.force_login(user)
    return client.get(reverse("orders:detail", args=[order.pk]))


@pytest.fixture
def ordered(make_order, patient, referring_doctor):
    return make_order(patient, referring_physician=referring_doctor)


@pytest.fixture
def booked(ordered, ct_resource, front_desk):  # noqa: F811
    start = timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(9, 30)))
    return scheduling.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=start)


def claimed_report(order, technologist, radiologist):
    """The exam done and its report claimed (a draft)."""
    for status in ("arrived", "in_progress", "completed"):
        order_services.change_order_status(order=order, to=status, actor=technologist)
    return reporting.claim_report(order=order, actor=radiologist)


@pytest.fixture
def reported(ordered, technologist, radiologist):
    return claimed_report(ordered, technologist, radiologist)


def sign(report, radiologist):
    return reporting.sign_report(
        report=report, actor=radiologist, password=PASSWORD, sections={"impression": "No acute abnormality."}
    )


def test_front_desk_and_admin_are_offered_booking_for_a_waiting_order_and_nobody_else(client, personas, ordered):
    book = ("Book", reverse("scheduling:slots", args=[ordered.pk]))
    for name in ("front_desk", "admin"):
        assert links(page(client, personas[name], ordered)) == [book], name
        assert client.get(book[1]).status_code == 200, name
    for name in ("technologist", "radiologist", "billing", "referring_physician"):
        assert links(page(client, personas[name], ordered)) == [], name
    assert client.get(book[1]).status_code == 403  # the referrer could not have used it


def test_a_booked_order_shows_its_time_and_a_reschedule_link_for_the_front_desk(client, personas, booked):
    order = booked.order
    shown = f"Booked {timezone.localtime(booked.start):%Y-%m-%d} 09:30 on CT Scanner 1"
    front = page(client, personas["front_desk"], order)
    assert links(front) == [("Reschedule", reverse("scheduling:appointment", args=[booked.pk]))]
    assert shown in front.content.decode()
    tech = page(client, personas["technologist"], order)
    assert (links(tech), shown in tech.content.decode()) == ([], True)


def test_the_report_link_goes_to_the_editor_the_pdf_or_the_portal_by_role(client, personas, reported, other_doctor):
    order = reported.order
    editor = ("Open report", reverse("reporting:report", args=[reported.pk]))
    # A draft: only readers are offered it.
    assert links(page(client, personas["radiologist"], order)) == [editor]
    for name in ("front_desk", "technologist", "billing", "referring_physician"):
        assert links(page(client, personas[name], order)) == [], name

    sign(reported, personas["radiologist"])
    for name in ("radiologist", "admin"):
        assert links(page(client, personas[name], order)) == [editor], name
    pdf = ("Report PDF", reverse("reporting:pdf", args=[reported.pk]))
    for name in ("front_desk", "technologist", "billing"):
        assert links(page(client, personas[name], order)) == [pdf], name
        assert client.get(pdf[1]).status_code == 200, name
    portal = ("Read report", reverse("portal:order", args=[order.pk]))
    assert links(page(client, personas["referring_physician"], order)) == [portal]
    assert client.get(portal[1]).status_code == 200
    assert page(client, other_doctor, order).status_code == 404


def test_the_patient_page_lists_the_same_links_per_order(client, personas, patient, booked, make_order):
    waiting = make_order(patient)
    client.force_login(personas["front_desk"])
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert links(response) == [  # newest order first, as the table lists them
        ("Book", reverse("scheduling:slots", args=[waiting.pk])),
        ("Reschedule", reverse("scheduling:appointment", args=[booked.pk])),
    ]
    done = make_order(patient, referring_physician=personas["referring_physician"])
    report = sign(claimed_report(done, personas["technologist"], personas["radiologist"]), personas["radiologist"])
    client.force_login(personas["referring_physician"])
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert links(response) == [("Read report", reverse("portal:order", args=[done.pk]))]  # no booking links
    client.force_login(personas["technologist"])
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert links(response) == [("Report PDF", reverse("reporting:pdf", args=[report.pk]))]
    assert f"Booked {timezone.localtime(booked.start):%Y-%m-%d} 09:30 on CT Scanner 1" in response.content.decode()


def test_the_links_need_no_query_when_a_list_prefetches_appointments_and_reports(
    django_assert_num_queries, booked, make_order, patient
):
    waiting = make_order(patient)
    orders = Order.objects.select_related("report").prefetch_related("appointments__resource").order_by("id")
    orders = list(orders)
    with django_assert_num_queries(0):
        shown = [order_links(order, frozenset({Role.FRONT_DESK})) for order in orders]
    assert [(s["appointment"], [link.label for link in s["links"]]) for s in shown] == [
        (booked, ["Reschedule"]),
        (None, ["Book"]),
    ]
    assert orders[1] == waiting
