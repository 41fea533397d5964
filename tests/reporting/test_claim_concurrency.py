"""Two radiologists pressing Claim at the same moment: exactly one gets the study (PostgreSQL row locks)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection

from reporting import services
from reporting.models import Report
from tests.conftest import make_user

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks under real concurrency need PostgreSQL"),
]

READERS = 6


@pytest.mark.django_db(transaction=True)
def test_only_one_of_many_simultaneous_claims_wins(exam):
    readers = [make_user(f"reader{i}", "radiologist") for i in range(READERS)]
    barrier = threading.Barrier(READERS)
    won, refused, errors = [], [], []

    def press_claim(user):
        try:
            barrier.wait()
            services.claim_report(order=exam, actor=user)
            won.append(user.pk)
        except ValidationError as exc:
            refused.append(exc.messages[0])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    workers = [threading.Thread(target=press_claim, args=(user,)) for user in readers]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert errors == []
    assert len(won) == 1
    assert len(refused) == READERS - 1
    assert all(message.endswith("has already claimed this study.") for message in refused)
    assert Report.objects.get(order=exam).claimed_by_id == won[0]
