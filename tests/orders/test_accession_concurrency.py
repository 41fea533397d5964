"""Accession numbers stay unique when many clerks enter orders at the same moment (PostgreSQL)."""

import threading

import pytest
from django.db import close_old_connections, connection

from ris.orders.models import Order
from ris.orders.services import create_order

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks under real concurrency need PostgreSQL"),
]

THREADS = 8
ORDERS_EACH = 15


@pytest.mark.django_db(transaction=True)
def test_concurrent_order_entry_never_repeats_or_skips_an_accession_number(patient, ct_head, front_desk):
    assert connection.vendor == "postgresql"
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def clerk():
        try:
            barrier.wait()
            for _ in range(ORDERS_EACH):
                create_order(actor=front_desk, patient=patient, procedure=ct_head, reason="Concurrent")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    workers = [threading.Thread(target=clerk) for _ in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    assert errors == []
    numbers = sorted(Order.objects.values_list("accession_number", flat=True))
    total = THREADS * ORDERS_EACH
    assert len(numbers) == total
    assert len(set(numbers)) == total
    # Gap-free too: the counter row lock serialises the increments.
    assert [int(n[5:]) for n in numbers] == list(range(1, total + 1))
