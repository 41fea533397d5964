"""``manage.py dicom_listener``: Lumen's DICOM services (C-ECHO, C-STORE, C-FIND, C-MOVE, C-GET, storage
commitment) on a TCP port, until SIGTERM or SIGINT."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from pacs import services
from pacs.dicom import server


class Command(BaseCommand):
    help = "Run the DICOM listener (pynetdicom) until SIGTERM/SIGINT."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.LUMEN_DICOM_HOST)
        parser.add_argument("--port", type=int, default=settings.LUMEN_DICOM_PORT)
        parser.add_argument("--ae-title", default=settings.LUMEN_DICOM_AE_TITLE)

    def handle(self, *args, **options):
        # Files left by a crash: temporaries of unfinished transfers and files whose index row never committed.
        removed = services.remove_orphans(min_age_seconds=settings.LUMEN_ORPHAN_MIN_AGE_SECONDS)
        if any(removed.values()):
            self.stdout.write(f"Removed {removed['orphans']} orphan files and {removed['temporaries']} temporaries.")
        listener = server.start(options["host"], options["port"], options["ae_title"], block=False)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(
            f"DICOM listener {options['ae_title']} on {options['host']}:{options['port']} (Ctrl-C or SIGTERM stops it)",
        )
        self.stdout.flush()
        stop.wait()
        self.stdout.write("Stopping: finishing open associations...")
        listener.shutdown()
        self.stdout.write("DICOM listener stopped.")
