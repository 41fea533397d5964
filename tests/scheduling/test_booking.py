"""Booking, rescheduling, modifying, cancelling, arrival and no-show: one service each, order and event in step."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ris.equipment.models import MaintenanceWindow
from ris.events import AppointmentChange, appointment_changed
from ris.orders.models import Order
from ris.orders.services import cancel_order
from scheduling import services
from scheduling.availability import SlotTaken
from scheduling.models import Appointment, Block, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    seen = []

    def listen(sender, event, **kwargs):
        seen.append(event)

    appointment_changed.connect(listen)
    yield seen
    appointment_changed.disconnect(listen)


def test_it_books_an_order_and_schedules_it(ordered, ct_resource, front_desk, tomorrow_at, events):
    appointment = services.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=tomorrow_at(9))
    ordered.refresh_from_db()
    assert ordered.status == "scheduled"
    assert appointment.end == tomorrow_at(9, 15)
    assert [
        (e.kind, e.order_id, e.start, e.end, e.resource_code, e.resource_name, e.station_ae_title) for e in events
    ] == [("booked", ordered.pk, tomorrow_at(9), tomorrow_at(9, 15), "CT1", "CT Scanner 1", "CT1")]
    assert events[0].actor_id == front_desk.pk
    notice = Notification.objects.get()
    assert (notice.kind, notice.channel) == ("booked", "none")


def test_it_refuses_a_taken_slot_with_a_clear_message(
    make_order, patient, ordered, ct_resource, front_desk, tomorrow_at
):
    services.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=tomorrow_at(9))
    other = make_order(patient)
    with pytest.raises(SlotTaken) as refused:
        services.book_appointment(actor=front_desk, order=other, resource=ct_resource, start=tomorrow_at(9, 5))
    assert refused.value.messages == ["That slot was just taken. Choose another time."]
    other.refresh_from_db()
    assert other.status == "ordered"
    assert Appointment.objects.count() == 1


def test_it_allows_overbooking_only_up_to_the_resource_capacity(
    make_order, patient, ct_resource, front_desk, tomorrow_at
):
    ct_resource.capacity = 2
    ct_resource.save()
    for _ in range(2):
        services.book_appointment(
            actor=front_desk, order=make_order(patient), resource=ct_resource, start=tomorrow_at(9)
        )
    with pytest.raises(SlotTaken):
        services.book_appointment(
            actor=front_desk, order=make_order(patient), resource=ct_resource, start=tomorrow_at(9)
        )


@pytest.mark.parametrize(
    ("when", "minutes", "message"),
    [
        (lambda at: timezone.now() - dt.timedelta(hours=1), None, "That time is in the past."),
        (lambda at: at(6, 30), None, "CT Scanner 1 is not open from 06:30 to 06:45 that day."),
        (lambda at: at(18, 50), None, "CT Scanner 1 is not open from 18:50 to 19:05 that day."),
        (lambda at: at(10), 0, "An appointment must last longer than zero minutes."),
        (lambda at: at(10), -5, "An appointment must last longer than zero minutes."),
    ],
)
def test_it_refuses_bad_times(ordered, ct_resource, front_desk, tomorrow_at, when, minutes, message):
    with pytest.raises(ValidationError) as refused:
        services.book_appointment(
            actor=front_desk, order=ordered, resource=ct_resource, start=when(tomorrow_at), minutes=minutes
        )
    assert message in refused.value.messages[0] if "not open" in message else refused.value.messages == [message]
    assert Appointment.objects.count() == 0


def test_it_refuses_blocked_times_holidays_and_maintenance(ordered, ct_resource, front_desk, tomorrow_at):
    Block.objects.create(
        resource=ct_resource, starts_at=tomorrow_at(8), ends_at=tomorrow_at(9), reason="Staff training"
    )
    Block.objects.create(resource=None, starts_at=tomorrow_at(12), ends_at=tomorrow_at(13), reason="Public holiday")
    MaintenanceWindow.objects.create(
        modality=ct_resource.modality, starts_at=tomorrow_at(15), ends_at=tomorrow_at(16), reason="Tube change"
    )
    for hour, reason in [(8, "Staff training"), (12, "Public holiday"), (15, "Maintenance: Tube change")]:
        with pytest.raises(ValidationError) as refused:
            services.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=tomorrow_at(hour))
        assert refused.value.messages == [f"CT Scanner 1 is blocked then ({reason})."]
    services.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=tomorrow_at(9))


def test_it_refuses_to_book_a_cancelled_order(ordered, ct_resource, front_desk, tomorrow_at):
    cancel_order(order=ordered, actor=front_desk, reason="Duplicate")
    with pytest.raises(ValidationError) as refused:
        services.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=tomorrow_at(9))
    assert refused.value.messages == ["A cancelled order cannot be booked."]


def test_it_refuses_a_resource_of_another_modality(make_order, patient, xr_chest, ct_resource, front_desk, tomorrow_at):
    order = make_order(patient, procedure=xr_chest)
    with pytest.raises(ValidationError) as refused:
        services.book_appointment(actor=front_desk, order=order, resource=ct_resource, start=tomorrow_at(9))
    assert refused.value.messages == ["CT Scanner 1 cannot perform a Digital radiography procedure."]


def test_it_reschedules_with_the_previous_start(ordered, ct_resource, front_desk, tomorrow_at, events):
    appointment = services.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=tomorrow_at(9))
    services.reschedule_appointment(
        actor=front_desk, appointment=appointment, start=tomorrow_at(11), reason="Patient asked"
    )
    appointment.refresh_from_db()
    assert (appointment.start, appointment.end) == (tomorrow_at(11), tomorrow_at(11, 15))
    assert [(e.kind, e.previous_start, e.reason) for e in events][1] == ("rescheduled", tomorrow_at(9), "Patient asked")
    ordered.refresh_from_db()
    assert ordered.status == "scheduled"


def test_it_modifies_details(ordered, ct_resource, front_desk, tomorrow_at, events):
    appointment = services.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=tomorrow_at(9))
    services.modify_appointment(actor=front_desk, appointment=appointment, notes="Wheelchair")
    assert [e.kind for e in events] == ["booked", "modified"]
    assert Appointment.objects.get().notes == "Wheelchair"


def test_unbooking_frees_the_slot_and_returns_the_order(
    make_order, patient, ordered, ct_resource, front_desk, tomorrow_at, events
):
    appointment = services.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=tomorrow_at(9))
    services.cancel_appointment(actor=front_desk, appointment=appointment, reason="Patient ill")
    ordered.refresh_from_db()
    assert ordered.status == "ordered"
    assert [(e.kind, e.reason) for e in events][-1] == (AppointmentChange.CANCELLED, "Patient ill")
    services.book_appointment(actor=front_desk, order=make_order(patient), resource=ct_resource, start=tomorrow_at(9))


def test_arrival_and_no_show_move_the_order(make_order, patient, ordered, ct_resource, front_desk, tomorrow_at, events):
    first = services.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=tomorrow_at(9))
    services.mark_arrived(actor=front_desk, appointment=first)
    ordered.refresh_from_db()
    assert ordered.status == "arrived"
    second_order = make_order(patient)
    second = services.book_appointment(
        actor=front_desk, order=second_order, resource=ct_resource, start=tomorrow_at(10)
    )
    with pytest.raises(ValidationError, match="a patient is a no-show only once that time has passed"):
        services.mark_no_show(actor=front_desk, appointment=second)  # tomorrow's patient has not missed it yet
    assert Appointment.objects.get(pk=second.pk).status == "booked"
    services.cancel_appointment(actor=front_desk, appointment=second, reason="Entered twice")
    second = services.book_appointment(
        actor=front_desk, order=second_order, resource=ct_resource, start=tomorrow_at(10, days=-1), allow_past=True
    )
    services.mark_no_show(actor=front_desk, appointment=second)
    second_order.refresh_from_db()
    assert second_order.status == "ordered"
    assert [e.kind for e in events] == ["booked", "arrived", "booked", "cancelled", "booked", "no_show"]
    with pytest.raises(ValidationError):
        services.mark_no_show(actor=front_desk, appointment=first)


def test_an_order_cancelled_elsewhere_gives_up_its_slot(ordered, ct_resource, front_desk, tomorrow_at, events):
    appointment = services.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=tomorrow_at(9))
    cancel_order(order=ordered, actor=front_desk, reason="Cancelled by the referrer")
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert [(e.kind, e.reason) for e in events][-1] == ("cancelled", "Cancelled by the referrer")
    ordered.refresh_from_db()
    assert ordered.status == "cancelled"


def test_reminders_are_queued_once(ordered, ct_resource, front_desk, tomorrow_at):
    services.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=tomorrow_at(9))
    day = timezone.localdate() + dt.timedelta(days=1)
    assert services.queue_reminders(day=day) == 1
    assert services.queue_reminders(day=day) == 0
    assert Notification.objects.filter(kind="reminder").count() == 1


def test_an_order_moved_back_to_ordered_on_the_order_page_frees_its_slot(ordered, ct_resource, front_desk, tomorrow_at):
    from ris.orders.services import change_order_status

    appointment = services.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=tomorrow_at(9))
    change_order_status(order=ordered, to="ordered", actor=front_desk, reason="Referrer asked to wait")
    appointment.refresh_from_db()
    assert (appointment.status, appointment.status_reason) == ("cancelled", "Referrer asked to wait")
    assert Order.objects.get(pk=ordered.pk).status == "ordered"


def test_the_reminder_command_queues_tomorrows_reminders(ordered, ct_resource, front_desk, tomorrow_at):
    from io import StringIO

    from django.core.management import call_command

    services.book_appointment(actor=front_desk, order=ordered, resource=ct_resource, start=tomorrow_at(9))
    out = StringIO()
    call_command("queue_reminders", stdout=out)
    assert out.getvalue() == f"1 reminders queued for {tomorrow_at(9).date()}.\n"
