"""Two completion events for one exam racing in two transactions still make one charge (PostgreSQL)."""

import threading
import time

import pytest
from django.db import connection, transaction

from billing import services
from billing.models import Charge
from tests.conftest import on_postgres


@pytest.mark.django_db(transaction=True)
def test_racing_completion_events_make_one_charge(completed_order):
    if not on_postgres():
        pytest.skip("row locks under real concurrency need PostgreSQL")
    Charge.objects.all().delete()
    results: dict[str, object] = {}
    first_captured = threading.Event()

    def first():
        try:
            with transaction.atomic():
                results["first"] = services.capture_charge(order_id=completed_order.pk)
                first_captured.set()
                time.sleep(0.5)  # the second transaction's insert waits on the unique index meanwhile
        finally:
            first_captured.set()
            connection.close()

    def second():
        first_captured.wait(5)
        try:
            with transaction.atomic():
                results["second"] = services.capture_charge(order_id=completed_order.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert (len(results["first"]), results["second"]) == (1, [])
    assert Charge.objects.filter(order=completed_order).count() == 1
