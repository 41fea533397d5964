"""``manage.py hl7_listener``: the MLLP listener (ADT, ORM, OMI in; ACK/NAK out) until SIGTERM or SIGINT.

Without a Celery broker it also runs the outbound delivery sweep every ``LUMEN_HL7_SWEEP_SECONDS``, so a
partner that was down gets its messages when it is back (with a broker, beat runs ``deliver_due_task``).
"""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from ris.hl7 import server, services
from ris.orders.validators import validate_icd10


class Command(BaseCommand):
    help = "Run the HL7 MLLP listener until SIGTERM/SIGINT."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.LUMEN_HL7_HOST)
        parser.add_argument("--port", type=int, default=settings.LUMEN_HL7_PORT)
        parser.add_argument(
            "--sweep",
            choices=("auto", "on", "off"),
            default="auto",
            help="run the outbound delivery sweep here (auto: when there is no Celery broker)",
        )

    def handle(self, *args, **options):
        settings.DEBUG = False
        # The ICD-10 table loads on first use (seconds): load it now, not while a sender waits for its ACK.
        validate_icd10("R51.9")
        sweep = options["sweep"] == "on" or (options["sweep"] == "auto" and settings.CELERY_TASK_ALWAYS_EAGER)
        listener = server.start(options["host"], options["port"], defer_delivery=sweep)
        stop = threading.Event()

        def on_signal(*_):
            stop.set()
            services.sweep_wanted.set()

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, on_signal)
        tls = " over TLS" if listener.tls else ""
        self.stdout.write(
            f"HL7 listener {settings.LUMEN_HL7_APPLICATION} on {options['host']}:{options['port']}{tls}"
            f"{', delivering outbound messages' if sweep else ''} (Ctrl-C or SIGTERM stops it)"
        )
        self.stdout.flush()
        while not stop.is_set():
            # Sweep every LUMEN_HL7_SWEEP_SECONDS, or at once when a processed message queued outbound ones.
            services.sweep_wanted.wait(settings.LUMEN_HL7_SWEEP_SECONDS)
            services.sweep_wanted.clear()
            if sweep and not stop.is_set():
                try:
                    services.deliver_due()
                except Exception as exc:  # noqa: BLE001 - the listener must outlive a failed sweep
                    self.stderr.write(f"HL7 delivery sweep failed: {exc}")
                finally:
                    close_old_connections()
        listener.stop()
        self.stdout.write("HL7 listener stopped.")
