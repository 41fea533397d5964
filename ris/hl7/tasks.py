"""Celery tasks of the HL7 interface (queue ``hl7``).

Retries are not Celery's: each message carries its attempts and next attempt time in the database, and the
periodic ``deliver_due_task`` (beat, or the listener's own sweep when Lumen runs without a broker) sends what
is due. A delivery run therefore never sleeps in a worker, nor in a web request when tasks run eagerly.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from ris.hl7 import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_task(partner_id: int) -> dict[str, int]:
    """Deliver a partner's due messages. Run eagerly (no broker, inside the request that made the change) it
    sends at most a few messages and waits at most 5 s for an ACK; the sweep sends the rest and the retries."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return services.deliver_partner(
            partner_id, limit=settings.LUMEN_HL7_EAGER_BATCH, ack_timeout=min(5, settings.LUMEN_HL7_ACK_TIMEOUT)
        )
    return services.deliver_partner(partner_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_due_task() -> dict[str, int]:
    """Every partner's due messages (retries after backoff, partners back up)."""
    return services.deliver_due()
