"""Two exports racing (PostgreSQL): the claims go out once, in one batch; the other export finds nothing ready."""

import threading

import pytest
from django.db import connection

from billing import services
from billing.models import Claim, ExportBatch
from tests.conftest import on_postgres


@pytest.mark.django_db(transaction=True)
def test_racing_exports_send_each_claim_once(ready_claim, billing_clerk):
    if not on_postgres():
        pytest.skip("row locks under real concurrency need PostgreSQL")
    outcomes = []
    start = threading.Barrier(2)

    def export():
        start.wait(5)
        try:
            outcomes.append(services.export_claims(actor=billing_clerk, format="x12").claim_count)
        except services.NothingToExport as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=export) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(outcomes, key=str) == [1, "No claims are ready to export."]
    assert ExportBatch.objects.count() == 1
    assert Claim.objects.get().status == "exported"
