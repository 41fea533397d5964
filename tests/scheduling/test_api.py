"""The scheduling API: book, move, arrive, cancel; free slots; 400 with field messages on bad input."""

import pytest

from scheduling.models import Appointment

pytestmark = pytest.mark.django_db


def test_book_move_arrive_and_cancel_over_the_api(api, front_desk, ordered, ct_resource, tomorrow_at):
    api.force_authenticate(front_desk)
    created = api.post(
        "/api/v1/appointments/",
        {"order": ordered.pk, "resource": ct_resource.pk, "start": tomorrow_at(9).isoformat()},
        format="json",
    )
    assert created.status_code == 201, created.data
    pk = created.data["id"]
    assert (created.data["status"], created.data["step_id"]) == ("booked", f"SPS{pk}")
    moved = api.post(f"/api/v1/appointments/{pk}/reschedule/", {"start": tomorrow_at(10).isoformat()}, format="json")
    assert moved.status_code == 200
    assert api.post(f"/api/v1/appointments/{pk}/arrived/").data["status"] == "arrived"
    cancelled = api.post(f"/api/v1/appointments/{pk}/cancel/", {"reason": "Patient left"}, format="json")
    assert cancelled.data["status"] == "cancelled"
    listed = api.get("/api/v1/appointments/", {"date": tomorrow_at(9).date().isoformat()})
    assert [row["id"] for row in listed.data["results"]] == [pk]


def test_bad_bookings_answer_400_with_the_field(api, front_desk, ordered, ct_resource, tomorrow_at):
    api.force_authenticate(front_desk)
    past = api.post(
        "/api/v1/appointments/",
        {"order": ordered.pk, "resource": ct_resource.pk, "start": "2020-01-01T09:00:00Z"},
        format="json",
    )
    assert (past.status_code, past.data) == (400, {"start": ["That time is in the past."]})
    negative = api.post(
        "/api/v1/appointments/",
        {"order": ordered.pk, "resource": ct_resource.pk, "start": tomorrow_at(9).isoformat(), "minutes": -5},
        format="json",
    )
    assert (negative.status_code, negative.data) == (
        400,
        {"minutes": ["An appointment must last longer than zero minutes."]},
    )
    assert Appointment.objects.count() == 0


def test_slot_search_and_roles(api, front_desk, technologist, ordered, ct_resource):
    api.force_authenticate(front_desk)
    slots = api.get("/api/v1/resources/slots/", {"order": ordered.pk, "days": 2})
    assert slots.status_code == 200
    assert {s["resource_name"] for s in slots.data} == {"CT Scanner 1"}
    assert api.get("/api/v1/resources/slots/", {"order": "x"}).status_code == 400
    api.force_authenticate(technologist)
    assert api.get("/api/v1/resources/slots/", {"order": ordered.pk}).status_code == 403
    assert api.post("/api/v1/appointments/", {}, format="json").status_code == 403
