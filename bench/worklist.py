"""Modality worklist query latency and free-slot search, with 2,000 scheduled steps a day over a year.

Generates the data once (bulk inserts straight into the tables: patients, orders, appointments on 40 resources of
four modalities, a year of history done and the next 30 days about half booked), then times:

* MWL C-FIND over a real association (pynetdicom SCU -> Lumen's listener on loopback), the keys a modality sends:
  its own station AE title and today's date; a whole modality for today; one patient ID; one accession number;
* the free-slot search for one CT order across the 10 CT resources for the next 30 days.

    .venv/bin/python bench/worklist.py                                   # SQLite in bench/var/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lumen_bench_sched .venv/bin/python bench/worklist.py

Options: --days N (history, default 365) --per-day N (default 2000) --repeat N (default 30) --regenerate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ris.settings")
os.environ.setdefault("LUMEN_VAR_DIR", str(ROOT / "bench" / "var"))
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")

KINDS = {"CT": "CT-HEAD", "MR": "MR-KNEE", "DX": "XR-CHEST", "US": "US-ABD"}
PER_KIND = 10
FUTURE_DAYS = 30


def generate(days: int, per_day: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from ris.equipment.models import Modality
    from ris.orders.models import Order, Procedure
    from ris.patients.models import Patient
    from scheduling.models import Appointment, Resource, WorkingHours

    rng = random.Random(11)
    started = time.perf_counter()
    procedures = {kind: Procedure.objects.get(code=code) for kind, code in KINDS.items()}
    resources = []
    with transaction.atomic():
        for kind in KINDS:
            for n in range(1, PER_KIND + 1):
                modality = Modality.objects.create(
                    name=f"Bench {kind}{n}", modality_type=kind, ae_title=f"B_{kind}{n}", host="127.0.0.1",
                    services=["echo", "worklist", "mpps"],
                )  # fmt: skip
                resource = Resource.objects.create(
                    code=f"B{kind}{n}", name=f"Bench {kind}{n}", modality_type=kind, modality=modality, slot_minutes=5
                )
                WorkingHours.objects.bulk_create(
                    WorkingHours(resource=resource, weekday=d, opens=dt.time(7), closes=dt.time(19)) for d in range(7)
                )
                resources.append(resource)
        patients = Patient.objects.bulk_create(
            Patient(mrn=f"W{i:08d}", issuer="LUMEN", family_name=f"Bench{i % 997}", given_name="Test",
                    birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=i % 20000), sex="F" if i % 2 else "M")
            for i in range(1, 50_001)
        )  # fmt: skip
    patient_ids = [p.pk for p in patients]
    today = timezone.localdate()
    per_resource = per_day // len(resources)
    minutes = (12 * 60) // per_resource  # one exam after another, 07:00 to 19:00
    number = 0
    for offset in range(-days + 1, FUTURE_DAYS + 1):
        day = today + dt.timedelta(days=offset)
        opening = timezone.make_aware(dt.datetime.combine(day, dt.time(7)))
        past = offset < 0
        orders, slots = [], []
        for resource in resources:
            for k in range(per_resource):
                if offset > 0 and rng.random() < 0.5:
                    continue  # the future is about half booked
                number += 1
                start = opening + dt.timedelta(minutes=k * minutes)
                orders.append(
                    Order(
                        accession_number=f"W{number:09d}", patient_id=rng.choice(patient_ids),
                        procedure=procedures[resource.modality_type], reason="Benchmark",
                        status="completed" if past else "scheduled", study_instance_uid=f"2.25.{number}",
                        priority="routine",
                    )
                )  # fmt: skip
                slots.append((resource, start, start + dt.timedelta(minutes=minutes)))
        with transaction.atomic():
            created = Order.objects.bulk_create(orders, batch_size=2000)
            Appointment.objects.bulk_create(
                (
                    Appointment(order=o, resource=r, start=s, end=e, status="arrived" if past else "booked")
                    for o, (r, s, e) in zip(created, slots, strict=True)
                ),
                batch_size=2000,
            )
        if offset % 30 == 0:
            print(f"  ... {day}: {number} steps so far ({time.perf_counter() - started:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"generated {number} steps over {days + FUTURE_DAYS} days in {time.perf_counter() - started:.0f} s")


def percentiles(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples), statistics.quantiles(samples, n=20)[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    from pgdb import setup_django

    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone
    from pydicom.dataset import Dataset
    from pynetdicom import AE, evt
    from pynetdicom.sop_class import ModalityWorklistInformationFind

    from pacs.dicom.network import set_nodelay
    from ris.orders.models import Order, Procedure
    from scheduling.availability import free_slots, suitable_resources
    from scheduling.models import Appointment

    settings.DEBUG = True
    call_command("seed_demo", patients=0, stdout=open(os.devnull, "w"))  # noqa: SIM115 - catalog, users, demo AEs
    settings.DEBUG = False
    if args.regenerate or not Appointment.objects.filter(resource__code__startswith="BCT").exists():
        generate(args.days, args.per_day)
    import socket
    import subprocess

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # The listener in its own process, as in production (client and server in one process would share the GIL).
    listener = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "dicom_listener", "--host", "127.0.0.1", "--port", str(port),
         "--processes", "1"],
        env={**os.environ, "LUMEN_DICOM_ACCEPT_ANY": "true", "LOG_LEVEL": "WARNING"},
    )  # fmt: skip
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    ae = AE("B_CT1")
    ae.add_requested_context(ModalityWorklistInformationFind)
    assoc = ae.associate("127.0.0.1", port, ae_title="LUMEN", evt_handlers=[(evt.EVT_CONN_OPEN, set_nodelay)])
    assert assoc.is_established

    today = timezone.localdate().strftime("%Y%m%d")
    sample = Order.objects.filter(status="scheduled").order_by("id").first()

    def query(**keys) -> Dataset:
        ds = Dataset()
        for keyword in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "AccessionNumber",
                        "StudyInstanceUID", "RequestedProcedureDescription", "RequestedProcedureID"):  # fmt: skip
            setattr(ds, keyword, "")
        step = Dataset()
        for keyword in ("Modality", "ScheduledStationAETitle", "ScheduledProcedureStepStartDate",
                        "ScheduledProcedureStepStartTime", "ScheduledProcedureStepID",
                        "ScheduledProcedureStepDescription"):  # fmt: skip
            setattr(step, keyword, "")
        for keyword, value in keys.items():
            setattr(step if keyword in step else ds, keyword, value)
        ds.ScheduledProcedureStepSequence = [step]
        return ds

    cases = [
        ("MWL: own station, today", query(ScheduledStationAETitle="B_CT1", ScheduledProcedureStepStartDate=today)),
        ("MWL: all CT, today", query(Modality="CT", ScheduledProcedureStepStartDate=today)),
        ("MWL: one patient ID", query(PatientID=sample.patient.mrn)),
        ("MWL: one accession number", query(AccessionNumber=sample.accession_number)),
    ]
    total = Appointment.objects.count()
    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[1]
    print(f"{vendor}: {total} scheduled procedure steps, {args.repeat} queries each")
    print(f"{'query':<40} {'matches':>8} {'median ms':>10} {'p95 ms':>8}")
    for label, identifier in cases:
        samples, matches = [], 0
        for i in range(args.repeat + 2):
            start = time.perf_counter()
            matches = 0
            for status, _ds in assoc.send_c_find(identifier, ModalityWorklistInformationFind):
                if status and status.Status in (0xFF00, 0xFF01):
                    matches += 1
            if i >= 2:  # two warm-up queries
                samples.append((time.perf_counter() - start) * 1000)
        median, p95 = percentiles(samples)
        print(f"{label:<40} {matches:>8} {median:>10.1f} {p95:>8.1f}")
    assoc.release()
    listener.terminate()
    try:
        listener.wait(timeout=60)
    except subprocess.TimeoutExpired:
        listener.kill()
        listener.wait()

    procedure = Procedure.objects.get(code="CT-HEAD")
    resources = list(suitable_resources(procedure).filter(code__startswith="BCT"))
    samples = []
    found = []
    for i in range(min(args.repeat, 10) + 1):
        start = time.perf_counter()
        found = free_slots(procedure=procedure, first_day=timezone.localdate(), days=30, resources=resources)
        if i:
            samples.append((time.perf_counter() - start) * 1000)
    median, p95 = percentiles(samples)
    print(f"{'slot search: 10 CT resources, 30 days':<40} {len(found):>8} {median:>10.1f} {p95:>8.1f}")


if __name__ == "__main__":
    main()
