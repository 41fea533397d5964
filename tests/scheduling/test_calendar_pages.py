"""The front desk's calendar: day and week views, booking by click, slot search, moves, cancels, preparation."""

import pytest
from django.utils import timezone

from ris.audit.models import AccessLog
from scheduling import services
from scheduling.models import Appointment
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_day_view_offers_free_times_for_the_order_and_booking_by_click_works(
    client, front_desk, ordered, ct_resource, tomorrow_at
):
    login(client, front_desk)
    day = tomorrow_at(9).date()
    page = client.get(f"/scheduling/?resource={ct_resource.pk}&date={day:%Y-%m-%d}&order={ordered.pk}")
    assert page.status_code == 200
    assert b'aria-label="Book at 09:00"' in page.content
    assert b'aria-label="Book at 18:45"' in page.content
    assert b'aria-label="Book at 19:00"' not in page.content
    response = client.post(
        "/scheduling/book/", {"order": ordered.pk, "resource": ct_resource.pk, "start": f"{day:%Y-%m-%d}T09:00"}
    )
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response.url == f"/scheduling/appointments/{appointment.pk}/"
    assert appointment.start == tomorrow_at(9)
    week = client.get(f"/scheduling/?resource={ct_resource.pk}&date={day:%Y-%m-%d}&view=week")
    assert "09:00 MÜLLER, Zoë</a>" in week.content.decode()
    assert AccessLog.objects.filter(object_type="scheduling.appointment", action="search").count() == 2


def test_booking_in_the_past_is_refused_with_the_reason(client, front_desk, ordered, ct_resource):
    login(client, front_desk)
    response = client.post(
        "/scheduling/book/",
        {"order": ordered.pk, "resource": ct_resource.pk, "start": "2020-01-01T09:00", "back": "/scheduling/"},
        follow=True,
    )
    assert "That time is in the past." in response.content.decode()
    assert Appointment.objects.count() == 0


def test_slot_search_lists_free_slots_of_suitable_resources(client, front_desk, ordered, ct_resource, tomorrow_at):
    login(client, front_desk)
    page = client.get(f"/scheduling/orders/{ordered.pk}/slots/")
    assert page.status_code == 200
    assert page.content.decode().count("CT Scanner 1") == 60


def test_move_and_cancel_from_the_appointment_page(client, front_desk, ordered, ct_resource, tomorrow_at):
    appointment = services.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=tomorrow_at(9))
    login(client, front_desk)
    day = tomorrow_at(9).date()
    client.post(
        f"/scheduling/appointments/{appointment.pk}/reschedule/",
        {"resource": ct_resource.pk, "start": f"{day:%Y-%m-%d}T10:30", "reason": "Asked"},
    )
    appointment.refresh_from_db()
    assert timezone.localtime(appointment.start).strftime("%H:%M") == "10:30"
    client.post(f"/scheduling/appointments/{appointment.pk}/cancel/", {"reason": "Ill"})
    appointment.refresh_from_db()
    ordered.refresh_from_db()
    assert (appointment.status, ordered.status) == ("cancelled", "ordered")


def test_preparation_sheet_prints_and_downloads_as_pdf(client, front_desk, ordered, ct_resource, tomorrow_at):
    ordered.procedure.preparation_instructions = "Nothing to eat for 4 hours."
    ordered.procedure.save()
    appointment = services.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=tomorrow_at(9))
    login(client, front_desk)
    page = client.get(f"/scheduling/appointments/{appointment.pk}/preparation/")
    assert "Nothing to eat for 4 hours." in page.content.decode()
    pdf = client.get(f"/scheduling/appointments/{appointment.pk}/preparation/?format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert AccessLog.objects.filter(action="export", object_type="scheduling.appointment").count() == 1


@pytest.mark.parametrize(
    ("persona", "calendar", "book"),
    [
        ("front_desk", 200, 302),
        ("technologist", 200, 403),
        ("radiologist", 200, 403),
        ("billing", 403, 403),
        ("referring_physician", 403, 403),
        ("no_role", 403, 403),
    ],
)
def test_roles(client, personas, ordered, ct_resource, tomorrow_at, persona, calendar, book):
    login(client, personas[persona])
    assert client.get("/scheduling/").status_code == calendar
    day = tomorrow_at(9).date()
    data = {"order": ordered.pk, "resource": ct_resource.pk, "start": f"{day:%Y-%m-%d}T09:00"}
    assert client.post("/scheduling/book/", data).status_code == book


def test_the_return_address_after_a_post_must_be_lumens_own(client, front_desk, ordered, ct_resource, tomorrow_at):
    appointment = services.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=tomorrow_at(9))
    login(client, front_desk)
    response = client.post(f"/scheduling/appointments/{appointment.pk}/arrived/", {"back": "https://evil.example/"})
    assert response.url == f"/scheduling/appointments/{appointment.pk}/"


def test_the_performing_technologist_set_on_the_page_reaches_the_worklist(
    client, front_desk, technologist, ordered, ct_resource, tomorrow_at
):
    from pydicom.dataset import Dataset

    from scheduling.worklist import find_worklist

    appointment = services.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=tomorrow_at(9))
    login(client, front_desk)
    client.post(
        f"/scheduling/appointments/{appointment.pk}/modify/",
        {"performing_physician": technologist.pk, "notes": "Wheelchair"},
    )
    appointment.refresh_from_db()
    assert (appointment.performing_physician, appointment.notes) == (technologist, "Wheelchair")
    query = Dataset()
    step = Dataset()
    step.ScheduledPerformingPhysicianName = ""
    query.ScheduledProcedureStepSequence = [step]
    (found,) = find_worklist(query)
    assert found.ScheduledProcedureStepSequence[0].ScheduledPerformingPhysicianName == "Test^Tomas"


def test_once_the_patient_is_here_the_calendar_shows_the_exams_progress(
    client, front_desk, technologist, ordered, ct_resource, tomorrow_at
):
    appointment = services.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=tomorrow_at(9))
    login(client, front_desk)
    day = f"{tomorrow_at(9).date():%Y-%m-%d}"

    def link():
        page = client.get(f"/scheduling/?resource={ct_resource.pk}&date={day}").content.decode()
        return page.split(f'/scheduling/appointments/{appointment.pk}/"', 1)[1].split("</a>", 1)[0]

    assert link().endswith('<span class="badge booked">Booked</span>')
    services.mark_arrived(actor=front_desk, appointment=appointment)
    assert link().endswith('<span class="badge arrived">Arrived</span>')
    services.start_exam(actor=technologist, order=ordered)
    services.complete_exam(actor=technologist, order=ordered)
    assert link().endswith('<span class="badge completed">Completed</span>')


def test_the_calendar_counts_capacity_as_booking_does(
    client, front_desk, make_order, patient, ct_resource, tomorrow_at
):
    from ris.orders.models import Procedure

    ct_resource.capacity = 2
    ct_resource.save()
    for minute in (0, 15):
        services.book_appointment(
            actor=front_desk, order=make_order(patient), resource=ct_resource, start=tomorrow_at(9, minute)
        )
    long_exam = Procedure.objects.create(
        code="CT-LONG", name="CT long", modality_type="CT", cpt_code="74177", default_duration=30
    )
    order = make_order(patient, procedure=long_exam)
    login(client, front_desk)

    page = client.get(f"/scheduling/?resource={ct_resource.pk}&date={tomorrow_at(9):%Y-%m-%d}&order={order.pk}")

    # Two back-to-back 15-minute exams never overlap each other: a second place is free all along 09:00-09:30.
    assert 'aria-label="Book at 09:00"' in page.content.decode()
    services.book_appointment(actor=front_desk, order=order, resource=ct_resource, start=tomorrow_at(9))


def test_no_show_is_offered_only_once_the_appointment_time_has_passed(
    client, front_desk, make_order, patient, ct_resource, tomorrow_at
):
    login(client, front_desk)
    coming = services.book_appointment(
        actor=front_desk, order=make_order(patient), resource=ct_resource, start=tomorrow_at(9)
    )
    missed = services.book_appointment(
        actor=front_desk,
        order=make_order(patient),
        resource=ct_resource,
        start=tomorrow_at(9, days=-1),
        allow_past=True,
    )
    assert b">No-show</button>" not in client.get(f"/scheduling/appointments/{coming.pk}/").content
    assert b">No-show</button>" in client.get(f"/scheduling/appointments/{missed.pk}/").content
    page = client.post(f"/scheduling/appointments/{coming.pk}/no-show/", follow=True)
    assert "a patient is a no-show only once that time has passed. To call it off now, cancel it." in (
        page.content.decode()
    )
    assert Appointment.objects.get(pk=coming.pk).status == "booked"
    client.post(f"/scheduling/appointments/{missed.pk}/no-show/")
    assert Appointment.objects.get(pk=missed.pk).status == "no_show"
