"""``manage.py hl7_deliver``: send due outbound HL7 messages (retries after backoff, partners back up).

``--once`` runs one sweep and exits (cron); otherwise it sweeps every ``LUMEN_HL7_SWEEP_SECONDS`` until SIGTERM.
"""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from ris.hl7 import services


class Command(BaseCommand):
    help = "Deliver due outbound HL7 messages (once, or in a loop)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true")

    def handle(self, *args, **options):
        stop = threading.Event()
        if not options["once"]:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
        while True:
            counts = services.deliver_due()
            close_old_connections()
            if options["once"]:
                self.stdout.write(f"sent {counts['sent']}, failed {counts['failed']}, dead {counts['dead']}")
                return
            if stop.wait(settings.LUMEN_HL7_SWEEP_SECONDS):
                return
