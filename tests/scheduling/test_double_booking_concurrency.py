"""Two clerks booking the same slot at the same moment: one success, one "slot taken" (PostgreSQL)."""

import threading

import pytest
from django.db import close_old_connections, connection

from scheduling.availability import SlotTaken
from scheduling.models import Appointment
from scheduling.services import book_appointment

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks under real concurrency need PostgreSQL"),
]

CLERKS = 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_slot_give_one_success(make_order, patient, ct_resource, front_desk, tomorrow_at):
    assert connection.vendor == "postgresql"
    orders = [make_order(patient) for _ in range(CLERKS)]
    barrier = threading.Barrier(CLERKS)
    outcomes: list[str] = []

    def clerk(order):
        try:
            barrier.wait()
            book_appointment(actor=front_desk, order=order, resource=ct_resource, start=tomorrow_at(9, 5))
            outcomes.append("booked")
        except SlotTaken as exc:
            outcomes.append(exc.messages[0])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes.append(repr(exc))
        finally:
            close_old_connections()
            connection.close()

    workers = [threading.Thread(target=clerk, args=(order,)) for order in orders]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert sorted(outcomes) == ["That slot was just taken. Choose another time."] * (CLERKS - 1) + ["booked"]
    assert Appointment.objects.count() == 1
    assert sorted(o.status for o in type(orders[0]).objects.all()) == ["ordered"] * (CLERKS - 1) + ["scheduled"]
