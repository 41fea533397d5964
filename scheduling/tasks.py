"""Scheduling's periodic work (Celery beat runs it hourly; see ris/settings.py)."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from scheduling.services import queue_reminders


@shared_task(acks_late=True, reject_on_worker_lost=True)
def queue_reminders_task() -> int:
    """Queue tomorrow's reminders (idempotent)."""
    return queue_reminders(day=timezone.localdate() + dt.timedelta(days=1))
