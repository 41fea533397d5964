"""The board, the calendar and the appointment API cost the same number of queries for 1 or 6 appointments."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling import services
from tests.conftest import login

pytestmark = pytest.mark.django_db


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_lists_do_not_grow_with_rows(
    client, api, make_order, make_patient, ct_resource, front_desk, technologist, tomorrow_at
):
    day = f"{tomorrow_at(8).date():%Y-%m-%d}"
    urls = [f"/scheduling/board/rows/?date={day}", f"/scheduling/?resource={ct_resource.pk}&date={day}"]
    login(client, front_desk)

    def book(hour):
        order = make_order(make_patient())
        services.book_appointment(actor=front_desk, order=order, resource=ct_resource, start=tomorrow_at(hour))

    book(8)
    first = [queries(client, url) for url in urls]
    api.force_authenticate(technologist)
    api.get("/api/v1/appointments/")  # warm the per-process caches (content types, roles)
    first_api = queries(api, f"/api/v1/appointments/?date={day}")
    for hour in range(9, 14):
        book(hour)
    assert [queries(client, url) for url in urls] == first
    assert queries(api, f"/api/v1/appointments/?date={day}") == first_api
