"""Queue appointment reminders for a day (default: tomorrow). Idempotent; run it daily from cron or beat."""

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from scheduling.services import queue_reminders


class Command(BaseCommand):
    help = "Queue one reminder per live appointment on a day (default tomorrow); safe to run repeatedly."

    def add_arguments(self, parser):
        parser.add_argument("--day", type=dt.date.fromisoformat, help="YYYY-MM-DD (default: tomorrow)")

    def handle(self, *args, day=None, **options):
        day = day or timezone.localdate() + dt.timedelta(days=1)
        self.stdout.write(f"{queue_reminders(day=day)} reminders queued for {day}.")
