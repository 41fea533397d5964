"""Moving, cancelling and marking appointments over the API: each refusal is a 400 naming the reason, and
nothing changes (no move, no event for the HL7 outbox, no notification)."""

import pytest

from ris.events import appointment_changed
from scheduling import services
from scheduling.models import Appointment, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    seen = []

    def listen(sender, event, **kwargs):
        seen.append(event.kind)

    appointment_changed.connect(listen)
    yield seen
    appointment_changed.disconnect(listen)


@pytest.fixture
def two_booked(make_order, patient, ct_resource, front_desk, tomorrow_at):
    first = services.book_appointment(
        actor=front_desk, order=make_order(patient), resource=ct_resource, start=tomorrow_at(9)
    )
    second = services.book_appointment(
        actor=front_desk, order=make_order(patient), resource=ct_resource, start=tomorrow_at(10)
    )
    return first, second


def test_bad_moves_cancels_and_no_shows_answer_400_and_change_nothing(api, front_desk, two_booked, tomorrow_at, events):
    first, second = two_booked
    api.force_authenticate(front_desk)
    notifications = Notification.objects.count()

    def post(pk, action, body):
        response = api.post(f"/api/v1/appointments/{pk}/{action}/", body, format="json")
        return response.status_code, response.data

    assert post(first.pk, "reschedule", {"start": "2020-01-01T09:00:00Z"}) == (
        400,
        {"start": ["That time is in the past."]},
    )
    assert post(first.pk, "reschedule", {"start": tomorrow_at(10).isoformat()}) == (
        400,
        {"start": ["That slot was just taken. Choose another time."]},
    )
    assert post(first.pk, "reschedule", {"start": "tomorrow"})[0] == 400
    assert post(first.pk, "cancel", {"reason": "  "}) == (400, {"reason": ["Say why the appointment is cancelled."]})
    assert post(second.pk, "cancel", {"reason": "Patient called"})[0] == 200
    events.clear()
    assert post(second.pk, "reschedule", {"start": tomorrow_at(12).isoformat()}) == (
        400,
        {"non_field_errors": ["Only a booked appointment can be moved; this one is cancelled."]},
    )
    assert post(second.pk, "no-show", {}) == (
        400,
        {"non_field_errors": ["This appointment is cancelled; it cannot be a no-show."]},
    )
    assert post(second.pk, "arrived", {}) == (
        400,
        {"non_field_errors": ["This appointment is cancelled; it cannot arrive."]},
    )

    first.refresh_from_db()
    assert (first.start, first.status) == (tomorrow_at(9), "booked")
    assert Appointment.objects.get(pk=second.pk).start == tomorrow_at(10)
    assert events == []
    assert Notification.objects.count() == notifications + 1  # the one real cancellation
