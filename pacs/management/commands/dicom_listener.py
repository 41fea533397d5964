"""``manage.py dicom_listener``: Lumen's DICOM services (C-ECHO, C-STORE, C-FIND, C-MOVE, C-GET, storage
commitment) on a TCP port, until SIGTERM or SIGINT.

With ``--processes N`` (default: one per core) N processes accept on one listening socket, each new association
going to the least busy (``pacs.dicom.balance``), so concurrent ingest is not held to one core by Python's GIL.
"""

import os
import select
import signal
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from pacs import services
from pacs.dicom import server
from pacs.dicom.balance import Gate, LoadTable


class Command(BaseCommand):
    help = "Run the DICOM listener (pynetdicom) until SIGTERM/SIGINT."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.LUMEN_DICOM_HOST)
        parser.add_argument("--port", type=int, default=settings.LUMEN_DICOM_PORT)
        parser.add_argument("--ae-title", default=settings.LUMEN_DICOM_AE_TITLE)
        parser.add_argument("--processes", type=int, default=settings.LUMEN_DICOM_PROCESSES)
        parser.add_argument("--worker", action="store_true", help="(internal) one of several processes on the port")
        parser.add_argument("--parent", type=int, help="(internal) the listener process a worker belongs to")
        parser.add_argument("--ready-fd", type=int, help="(internal) where a worker says it listens")
        parser.add_argument("--listen-fd", type=int, help="(internal) the listening socket a worker shares")
        parser.add_argument("--load-fd", type=int, help="(internal) the processes' shared table of associations")
        parser.add_argument("--slot", type=int, help="(internal) a worker's place in that table")

    def handle(self, *args, **options):
        # SQL logging (on with DEBUG) costs every C-STORE time and memory; this process serves no pages to debug.
        settings.DEBUG = False
        processes = max(1, options["processes"])
        workers: list[subprocess.Popen] = []
        ready: list[int] = []
        if options["worker"]:
            table = LoadTable(options["load_fd"], processes, options["slot"])
            listener = server.start(
                options["host"],
                options["port"],
                options["ae_title"],
                block=False,
                gate=Gate(table),
                listen_fd=options["listen_fd"],
            )
        else:
            # Files left by a crash: unfinished temporaries and files whose index row never committed.
            removed = services.remove_orphans(min_age_seconds=settings.LUMEN_ORPHAN_MIN_AGE_SECONDS)
            if any(removed.values()):
                self.stdout.write(
                    f"Removed {removed['orphans']} orphan files and {removed['temporaries']} temporaries."
                )
            table = LoadTable.create(processes) if processes > 1 else None
            listener = server.start(
                options["host"],
                options["port"],
                options["ae_title"],
                block=False,
                gate=Gate(table) if table is not None else None,
            )
            if table is not None:
                listen_fd = listener.socket.fileno()
                command = [
                    sys.executable,
                    sys.argv[0],
                    "dicom_listener",
                    "--host",
                    options["host"],
                    "--port",
                    str(options["port"]),
                    "--ae-title",
                    options["ae_title"],
                    "--processes",
                    str(processes),
                    "--worker",
                    "--parent",
                    str(os.getpid()),
                    "--listen-fd",
                    str(listen_fd),
                    "--load-fd",
                    str(table.fd),
                ]
                for slot in range(1, processes):
                    read_end, write_end = os.pipe()
                    workers.append(
                        subprocess.Popen(
                            [*command, "--slot", str(slot), "--ready-fd", str(write_end)],
                            env=os.environ.copy(),
                            pass_fds=[write_end, listen_fd, table.fd],
                        )
                    )
                    os.close(write_end)
                    ready.append(read_end)
                    threading.Thread(
                        target=self._retire_when_gone, args=(workers[-1], table, slot), daemon=True
                    ).start()
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        orphaned = threading.Event()
        if options["worker"]:
            # A worker must not outlive its parent (killed with SIGKILL, it cannot pass SIGTERM on).
            parent = options["parent"] or os.getppid()  # given: the parent may die before this process got here
            threading.Thread(target=self._watch_parent, args=(parent, stop, orphaned), daemon=True).start()
        if options["ready_fd"] is not None:
            try:
                os.write(options["ready_fd"], b"listening")
            except OSError:
                pass  # the parent stopped waiting (or died): this worker serves all the same, or its watch ends it
            os.close(options["ready_fd"])
        if not options["worker"]:
            # Ready only when every process serves: until then this one would take every association.
            self._await_workers(ready)
            self.stdout.write(
                f"DICOM listener {options['ae_title']} on {options['host']}:{options['port']}, {processes} process(es) "
                "(Ctrl-C or SIGTERM stops it)"
            )
            self.stdout.flush()
        stop.wait()
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        if not options["worker"]:
            self.stdout.write("Stopping: finishing open associations...")
        listener.shutdown()
        # Open associations may finish (bounded by the DICOM timeout); an orphaned worker stops at once.
        grace = 0 if orphaned.is_set() else settings.LUMEN_DICOM_TIMEOUT
        deadline = time.monotonic() + grace
        while listener.ae.active_associations and time.monotonic() < deadline:
            time.sleep(0.2)
        for assoc in listener.ae.active_associations:
            assoc.abort()
        for worker in workers:
            worker.wait()
        if not options["worker"]:
            self.stdout.write("DICOM listener stopped.")

    @staticmethod
    def _await_workers(pipes: list[int], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(pipes)
        while waiting and time.monotonic() < deadline:
            readable, _, _ = select.select(waiting, [], [], max(0.0, deadline - time.monotonic()))
            for fd in readable:
                os.read(fd, 64)  # "listening", or nothing if the worker died first: either way, done waiting
                os.close(fd)
                waiting.remove(fd)
        for fd in waiting:
            os.close(fd)

    @staticmethod
    def _retire_when_gone(worker: subprocess.Popen, table: LoadTable, slot: int) -> None:
        worker.wait()
        table.retire(slot)  # the others stop standing back for a process that is no longer there

    @staticmethod
    def _watch_parent(parent: int, stop: threading.Event, orphaned: threading.Event) -> None:
        while not stop.wait(0.5):
            if os.getppid() != parent:
                orphaned.set()
                stop.set()
