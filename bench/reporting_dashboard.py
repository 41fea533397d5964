"""Reporting dashboard (turnaround and critical-result acknowledgement time) with 300,000 final reports.

Generates the rows once (bulk inserts: patients, orders, final reports with their turnaround, critical results for
2% of them), then times the dashboard's query (``reporting.dashboard.figures``) and the page itself through
Django's full stack as the department lead, and prints median and 95th percentile.

    .venv/bin/python bench/reporting_dashboard.py                     # SQLite in bench/var/reporting/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lumen_bench_rep .venv/bin/python bench/reporting_dashboard.py

Options: --reports N (default 300000) --repeat N (default 20).
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
os.environ.setdefault("LUMEN_VAR_DIR", str(ROOT / "bench" / "var" / "reporting"))
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
Path(os.environ["LUMEN_VAR_DIR"]).mkdir(parents=True, exist_ok=True)

BATCH = 5000


def generate(reports: int) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone

    from reporting.models import CriticalResult, Report
    from ris.accounts.models import User
    from ris.orders.models import Order, Procedure
    from ris.patients.models import Patient

    rng = random.Random(11)
    started = time.perf_counter()
    now = timezone.now()
    group = Group.objects.get(name="radiologist")
    readers = []
    for i in range(12):
        user, _ = User.objects.get_or_create(username=f"rad{i:02d}", defaults={"last_name": f"Reader {i:02d}"})
        user.groups.add(group)
        readers.append(user.pk)
    referrer = User.objects.get(username="drhouse").pk
    procedures = list(Procedure.objects.values_list("pk", "modality_type"))
    with transaction.atomic():
        patients = Patient.objects.bulk_create(
            Patient(mrn=f"R{i:07d}", issuer="LUMEN", family_name=f"Bench{i}", birth_date=dt.date(1960, 1, 1))
            for i in range(reports // 20)
        )
        patient_ids = [p.pk for p in patients]
        year = now.year
        for start in range(0, reports, BATCH):
            count = min(BATCH, reports - start)
            rows = []
            for i in range(start, start + count):
                procedure_id, _modality = rng.choice(procedures)
                final_at = now - dt.timedelta(seconds=rng.randrange(0, 365 * 86400))
                received = final_at - dt.timedelta(seconds=int(rng.lognormvariate(8, 1)))
                rows.append(
                    Order(
                        accession_number=f"R{year}{i:08d}",
                        patient_id=rng.choice(patient_ids),
                        procedure_id=procedure_id,
                        priority=rng.choice(["routine"] * 7 + ["urgent", "urgent", "stat"]),
                        reason="Benchmark",
                        status="final",
                        images_received_at=received,
                        referring_physician_id=referrer,
                    )
                )
            orders = Order.objects.bulk_create(rows)
            modality = dict(procedures)
            reports_rows = []
            for order in orders:
                final_at = order.images_received_at + dt.timedelta(seconds=int(rng.lognormvariate(8, 1)))
                reports_rows.append(
                    Report(
                        order=order,
                        section_titles=[["impression", "Impression"]],
                        sections={"impression": "Benchmark."},
                        status="final",
                        signer_id=rng.choice(readers),
                        signed_at=final_at,
                        final_at=final_at,
                        images_received_at=order.images_received_at,
                        turnaround_seconds=int((final_at - order.images_received_at).total_seconds()),
                        modality_type=modality[order.procedure_id],
                        priority=order.priority,
                        critical=rng.random() < 0.02,
                    )
                )
            created = Report.objects.bulk_create(reports_rows)
            CriticalResult.objects.bulk_create(
                CriticalResult(
                    report=r,
                    finding="Benchmark",
                    radiologist_id=r.signer_id,
                    recipient_id=referrer,
                    created_at=r.final_at,
                    acknowledged_at=r.final_at + dt.timedelta(seconds=(ack := rng.randrange(60, 7200))),
                    ack_seconds=ack,
                )
                for r in created
                if r.critical
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"generated {reports} final reports in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from reporting import dashboard
    from reporting.models import CriticalResult, Report
    from ris.accounts.models import User

    settings.DEBUG = True
    call_command("seed_demo", patients=0, stdout=open(os.devnull, "w"))  # noqa: SIM115 - catalog and users
    settings.DEBUG = False
    if Report.objects.count() < args.reports:
        if Report.objects.filter(order__accession_number__startswith="R").exists():
            raise SystemExit("bench database is partly filled: use a fresh database (or delete bench/var/reporting)")
        generate(args.reports)
    setup_test_environment()
    client = Client()
    client.force_login(User.objects.get(username="lead"))
    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[1]
    print(
        f"{vendor}: {Report.objects.count()} reports, {CriticalResult.objects.count()} critical results, "
        f"{args.repeat} runs each"
    )
    print(f"{'what':<44} {'median ms':>10} {'p95 ms':>8}")
    for days in (30, 365):
        for label, run in (
            (f"figures() over {days} days", lambda d=days: dashboard.figures(days=d)),
            (f"GET /reports/dashboard/?days={days}", lambda d=days: client.get("/reports/dashboard/", {"days": d})),
        ):
            run()  # warm up
            samples = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                result = run()
                samples.append((time.perf_counter() - start) * 1000)
                if hasattr(result, "status_code"):
                    assert result.status_code == 200, result.status_code
            p95 = statistics.quantiles(samples, n=20)[18]
            print(f"{label:<44} {statistics.median(samples):>10.1f} {p95:>8.1f}")


if __name__ == "__main__":
    main()
