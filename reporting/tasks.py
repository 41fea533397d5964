"""Periodic reporting jobs (run by celery beat, see ``CELERY_BEAT_SCHEDULE``)."""

from celery import shared_task

from reporting import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def escalate_critical_results_task() -> int:
    """Escalate critical results nobody acknowledged in time (idempotent: each result escalates once)."""
    return services.escalate_critical_results()
