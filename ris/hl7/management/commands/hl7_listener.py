"""``manage.py hl7_listener``: the MLLP listener (ADT, ORM, OMI in; ACK/NAK out) until SIGTERM or SIGINT.

Without a Celery broker it also runs the outbound delivery sweep every ``LUMEN_HL7_SWEEP_SECONDS``, so a
partner that was down gets its messages when it is back (with a broker, beat runs ``deliver_due_task``).
With ``--processes N`` N processes share the port (SO_REUSEPORT; for PostgreSQL: on SQLite one writer at a
time is all there is), so message processing is not held to one core by Python's GIL.
"""

import os
import signal
import subprocess
import sys
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
        parser.add_argument("--processes", type=int, default=settings.LUMEN_HL7_PROCESSES)
        parser.add_argument("--worker", action="store_true", help="(internal) one of several processes on the port")
        parser.add_argument("--parent", type=int, help="(internal) the listener process a worker belongs to")
        parser.add_argument("--defer", action="store_true", help="(internal) the parent sweeps the outbox")

    def handle(self, *args, **options):
        settings.DEBUG = False
        # The ICD-10 table loads on first use (seconds): load it now, not while a sender waits for its ACK.
        validate_icd10("R51.9")
        sweep = options["sweep"] == "on" or (options["sweep"] == "auto" and settings.CELERY_TASK_ALWAYS_EAGER)
        worker = options["worker"]
        processes = max(1, options["processes"])
        workers: list[subprocess.Popen] = []
        if not worker and processes > 1:
            command = [sys.executable, sys.argv[0], "hl7_listener", "--host", options["host"], "--port"]
            command += [str(options["port"]), "--sweep", "off", "--worker", "--parent", str(os.getpid())]
            command += ["--defer"] if sweep else []
            workers = [subprocess.Popen(command, env=os.environ.copy()) for _ in range(processes - 1)]
        # Outbound messages caused by inbound ones are left to this process's sweep (or a worker's parent's).
        listener = server.start(
            options["host"],
            options["port"],
            defer_delivery=sweep or options["defer"],
            shared_port=processes > 1 or worker,
        )
        stop = threading.Event()

        def on_signal(*_):
            stop.set()
            services.sweep_wanted.set()

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, on_signal)
        if worker:
            threading.Thread(target=self._watch_parent, args=(options["parent"], on_signal), daemon=True).start()
            stop.wait()
            listener.stop()
            return
        tls = " over TLS" if listener.tls else ""
        self.stdout.write(
            f"HL7 listener {settings.LUMEN_HL7_APPLICATION} on {options['host']}:{options['port']}{tls}, "
            f"{processes} process(es)"
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
        for child in workers:
            child.send_signal(signal.SIGTERM)
        listener.stop()
        for child in workers:
            child.wait()
        self.stdout.write("HL7 listener stopped.")

    @staticmethod
    def _watch_parent(parent: int, on_signal) -> None:
        """A worker must not outlive its parent (killed with SIGKILL, the parent cannot pass SIGTERM on)."""
        while os.getppid() == parent:
            threading.Event().wait(0.5)
        on_signal()
