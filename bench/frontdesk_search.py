"""Front-desk patient search and order list with 100,000 patients and 300,000 orders.

Generates the data once (bulk inserts, the same name normalisation as registration), then times real requests
through Django's full stack (middleware, role gate, access log, templates or DRF) as a front-desk user, and prints
the median and 95th percentile per request kind.

    .venv/bin/python bench/frontdesk_search.py                      # SQLite in bench/var/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lumen_bench .venv/bin/python bench/frontdesk_search.py

Options: --patients N --orders N --repeat N (requests per query, default 40) --regenerate.
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

from pgdb import setup_django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ris.settings")
os.environ.setdefault("LUMEN_VAR_DIR", str(ROOT / "bench" / "var"))
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")


def generate(patients: int, orders: int) -> None:
    from django.db import connection, transaction

    from ris.accounts.management.commands.seed_demo import FAMILY, GIVEN_F, GIVEN_M
    from ris.numbering.models import Counter
    from ris.orders.models import Order, Procedure
    from ris.patients.models import Patient, PatientSearchWord

    def index_words(created):
        PatientSearchWord.objects.bulk_create(
            PatientSearchWord(patient=p, word=w) for p in created for w in p.search_words()
        )

    rng = random.Random(7)
    procedures = list(Procedure.objects.all())
    started = time.perf_counter()
    with transaction.atomic():
        batch = []
        for i in range(1, patients + 1):
            family, given = rng.choice(FAMILY), rng.choice(GIVEN_F + GIVEN_M)
            if rng.random() < 0.5:  # make names less repetitive, as real registers are
                family = f"{family}{rng.choice(['', 'son', 'er', 'i', 'ez', 'ová'])}"
            batch.append(
                Patient(
                    mrn=f"B{i:08d}",
                    issuer="LUMEN",
                    family_name=family,
                    given_name=given,
                    birth_date=dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(0, 33000)),
                    sex=rng.choice("FM"),
                )
            )
            if len(batch) == 5000:
                index_words(Patient.objects.bulk_create(batch))
                batch.clear()
        index_words(Patient.objects.bulk_create(batch))
    patient_ids = list(Patient.objects.values_list("pk", flat=True))
    statuses = ["ordered", "scheduled", "arrived", "in_progress", "completed", "final", "final", "final", "cancelled"]
    year = dt.date.today().year  # noqa: DTZ011 - a label, not a time
    with transaction.atomic():
        batch = []
        for i in range(1, orders + 1):
            batch.append(
                Order(
                    accession_number=f"A{year}{i:07d}",
                    patient_id=rng.choice(patient_ids),
                    procedure=rng.choice(procedures),
                    priority=rng.choice(["routine"] * 8 + ["urgent", "stat"]),
                    reason="Benchmark",
                    icd10_codes=["R51.9"],
                    status=rng.choice(statuses),
                )
            )
            if len(batch) == 5000:
                Order.objects.bulk_create(batch)
                batch.clear()
        Order.objects.bulk_create(batch)
        Counter.objects.update_or_create(name=f"accession-{year}", defaults={"value": orders})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics, as autovacuum (or PRAGMA optimize) would leave them
    print(f"generated {patients} patients and {orders} orders in {time.perf_counter() - started:.0f} s")


def timed(client, url: str, params: dict, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, params)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, params, response.status_code)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()

    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from ris.accounts.models import User
    from ris.audit.models import AccessLog
    from ris.orders.models import Order
    from ris.patients.models import Patient

    settings.DEBUG = True
    call_command("seed_demo", patients=0, stdout=open(os.devnull, "w"))  # noqa: SIM115 - catalog and users
    settings.DEBUG = False
    if args.regenerate or Patient.objects.count() < args.patients:
        if args.regenerate or Patient.objects.exists() or Order.objects.exists():
            raise SystemExit("bench database is not empty: use a fresh database (or delete bench/var)")
        generate(args.patients, args.orders)
    setup_test_environment()
    client = Client()
    client.force_login(User.objects.get(username="frontdesk"))
    sample = (
        Patient.objects.order_by("?").first()
        if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
        else Patient.objects.get(mrn="B00050000")
    )
    order = Order.objects.order_by("-id").first()

    cases = [
        ("patient search: family-name prefix 'garc'", "/patients/", {"q": "garc"}),
        ("patient search: 'mull zoe' (accent-free)", "/patients/", {"q": "mull zoe"}),
        ("patient search: exact MRN", "/patients/", {"q": sample.mrn}),
        ("patient search: date of birth", "/patients/", {"q": sample.birth_date.isoformat()}),
        ("patient search: name + date of birth", "/patients/", {"q": f"{sample.family_name[:4]} {sample.birth_date}"}),
        ("patient search API: 'smith'", "/api/v1/patients/", {"q": "smith"}),
        ("order list: newest first", "/orders/", {}),
        ("order list: status ordered", "/orders/", {"status": "ordered"}),
        ("order list: CT, STAT", "/orders/", {"modality": "CT", "priority": "stat"}),
        ("order list: accession", "/orders/", {"q": order.accession_number}),
        ("order list: patient name", "/orders/", {"q": "okafor ava"}),
        ("order list API: status ordered", "/api/v1/orders/", {"status": "ordered"}),
    ]
    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[1]
    print(f"{vendor}: {Patient.objects.count()} patients, {Order.objects.count()} orders, {args.repeat} requests each")
    print(f"{'request':<46} {'median ms':>10} {'p95 ms':>8}")
    everything = []
    for label, url, params in cases:
        timed(client, url, params, 2)  # warm caches
        samples = timed(client, url, params, args.repeat)
        everything += samples
        p95 = statistics.quantiles(samples, n=20)[18]
        print(f"{label:<46} {statistics.median(samples):>10.1f} {p95:>8.1f}")
    p95 = statistics.quantiles(everything, n=20)[18]
    print(f"{'all of the above':<46} {statistics.median(everything):>10.1f} {p95:>8.1f}")
    print(f"access-log entries written: {AccessLog.objects.count()}")


if __name__ == "__main__":
    main()
