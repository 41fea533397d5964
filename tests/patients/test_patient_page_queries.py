"""The patient page lists the patient's orders with their studies, bookings and reports in a fixed number of
queries, however many orders there are."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import login


def queries_for(client, patient) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/patients/{patient.pk}/").status_code == 200
    return len(captured.captured_queries)


def test_it_costs_the_same_queries_for_one_order_or_five(client, front_desk, patient, make_order):
    make_order(patient)
    login(client, front_desk)
    client.get(f"/patients/{patient.pk}/")  # warm the session
    one = queries_for(client, patient)
    for _ in range(4):
        make_order(patient)

    assert queries_for(client, patient) == one
