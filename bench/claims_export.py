"""Claim export of 10,000 claims (time and memory), and what charge capture adds to completing an exam.

Generates ready claims once by bulk inserts (patients with coverage, completed orders, released charges, one claim
each), then:

* exports them through ``billing.services.export_claims`` (check every claim, mark exported, access log) and writes
  the file with ``billing.export.render`` (streamed claim by claim) -- X12 837P and CSV, each run several times,
  claims set back to ready in between; peak Python memory by tracemalloc in a separate run (it slows Python down);
* completes exams through ``ris.orders.services.change_order_status`` with billing's capture receiver connected
  and disconnected, alternating, and prints the median and p95 of each.

    .venv/bin/python bench/claims_export.py                       # SQLite in bench/var/billing/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lumen_bench_bill .venv/bin/python bench/claims_export.py

Options: --claims N (default 10000) --repeat N (export runs, default 3) --exams N (completions each way, default 100)
--regenerate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

from pgdb import setup_django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ris.settings")
os.environ.setdefault("LUMEN_VAR_DIR", str(ROOT / "bench" / "var" / "billing"))
Path(os.environ["LUMEN_VAR_DIR"]).mkdir(parents=True, exist_ok=True)


def users():
    from django.contrib.auth.models import Group

    from ris.accounts.models import ProviderProfile, User

    made = {}
    for name, role, npi in [
        ("bench-billing", "billing", None),
        ("bench-tech", "technologist", None),
        ("bench-desk", "front_desk", None),
        ("bench-rad", "radiologist", "1234567893"),
        ("bench-ref", "referring_physician", "1245319599"),
    ]:
        user, created = User.objects.get_or_create(username=name, defaults={"first_name": name, "last_name": "Bench"})
        if created:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
            if npi:
                ProviderProfile.objects.create(user=user, npi=npi)
        made[role] = user
    return made


def generate(count: int, people) -> None:
    from django.db import connection, transaction

    from billing.models import Charge, ChargeLine, Claim, FeeScheduleEntry, Payer
    from ris.orders.models import Order, Procedure
    from ris.patients.models import Coverage, Patient

    started = time.perf_counter()
    with transaction.atomic():
        procedure, _ = Procedure.objects.get_or_create(
            code="BENCH-CT", defaults={"name": "CT head", "modality_type": "CT", "cpt_code": "70450"}
        )
        payer, _ = Payer.objects.get_or_create(name="Acme Health", defaults={"payer_id": "ACME1"})
        FeeScheduleEntry.objects.get_or_create(
            payer=payer, code="70450", modifier="", effective_from=dt.date(2020, 1, 1), defaults={"price": 180}
        )
        day = dt.date(2026, 11, 2)
        for start in range(0, count, 2000):
            size = min(2000, count - start)
            patients = Patient.objects.bulk_create(
                Patient(
                    mrn=f"BB{start + i:08d}",
                    issuer="LUMEN",
                    family_name=f"Family{start + i}",
                    given_name="Bench",
                    birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=start + i),
                    sex="F",
                    address_line="1 Elm Street",
                    city="Springfield",
                    state="IL",
                    postal_code="62701",
                )
                for i in range(size)
            )
            coverages = Coverage.objects.bulk_create(
                Coverage(patient=p, payer_name="Acme Health", member_id=f"M{p.pk}") for p in patients
            )
            orders = Order.objects.bulk_create(
                Order(
                    accession_number=f"BB{p.pk:010d}",
                    patient=p,
                    procedure=procedure,
                    reason="Bench",
                    icd10_codes=["R51.9"],
                    referring_physician=people["referring_physician"],
                    status="completed",
                    study_instance_uid=f"2.25.{p.pk}",
                )
                for p in patients
            )
            charges = Charge.objects.bulk_create(
                Charge(
                    order=o,
                    component="global",
                    status="released",
                    patient=o.patient,
                    payer=payer,
                    coverage=c,
                    date_of_service=day,
                    place_of_service="11",
                    icd10_codes=["R51.9"],
                    rendering_provider=people["radiologist"],
                    rendering_npi="1234567893",
                    referring_npi="1245319599",
                    referring_name="Ref Bench",
                )
                for o, c in zip(orders, coverages, strict=True)
            )
            ChargeLine.objects.bulk_create(
                ChargeLine(charge=c, position=1, code="70450", units=1, diagnosis_pointers=[1], amount=Decimal(180))
                for c in charges
            )
            claims = Claim.objects.bulk_create(
                Claim(
                    number=f"LB{c.pk:08d}",
                    patient_id=c.patient_id,
                    payer=payer,
                    coverage_id=c.coverage_id,
                    date_of_service=day,
                    status="ready",
                    total=Decimal(180),
                )
                for c in charges
            )
            Claim.charges.through.objects.bulk_create(
                Claim.charges.through(claim_id=claim.pk, charge_id=charge.pk)
                for claim, charge in zip(claims, charges, strict=True)
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"generated {count} ready claims in {time.perf_counter() - started:.1f} s")


def reset() -> None:
    """Put the bench claims back to ready, as if never exported."""
    from billing.models import Claim, ClaimEvent, ExportBatch

    Claim.objects.filter(number__startswith="LB").update(status="ready", batch=None)
    ClaimEvent.objects.all().delete()
    ExportBatch.objects.all().delete()


def export_once(fmt: str, actor, memory: bool) -> tuple[float, float, int, int]:
    from billing import export, services

    if memory:
        tracemalloc.start()
    started = time.perf_counter()
    batch = services.export_claims(actor=actor, format=fmt, channel="bench")
    marked = time.perf_counter()
    size = 0
    with tempfile.TemporaryFile("w+") as out:
        for chunk in export.render(batch):
            size += len(chunk)
            out.write(chunk)
    done = time.perf_counter()
    peak = tracemalloc.get_traced_memory()[1] if memory else 0
    if memory:
        tracemalloc.stop()
    reset()
    return marked - started, done - marked, size, peak


def completions(people, exams: int, with_capture: bool) -> list[float]:
    from billing.receivers import on_order_status_changed
    from ris.events import order_status_changed
    from ris.orders import services as order_services
    from ris.orders.models import Procedure
    from ris.patients import services as patient_services

    procedure = Procedure.objects.get(code="BENCH-CT")
    if not with_capture:
        order_status_changed.disconnect(dispatch_uid="billing-capture")
    times = []
    try:
        patient = patient_services.register_patient(
            actor=people["front_desk"], family_name="Latency", given_name="Bench", birth_date=dt.date(1970, 1, 1)
        )
        patient_services.add_coverage(
            patient=patient, actor=people["front_desk"], payer_name="Acme Health", member_id="LAT1"
        )
        for _ in range(exams):
            order = order_services.create_order(
                actor=people["front_desk"],
                patient=patient,
                procedure=procedure,
                reason="Bench",
                icd10_codes=["R51.9"],
                referring_physician=people["referring_physician"],
            )
            for status in ("arrived", "in_progress"):
                order = order_services.change_order_status(order=order, to=status, actor=people["technologist"])
            started = time.perf_counter()
            order_services.change_order_status(order=order, to="completed", actor=people["technologist"])
            times.append((time.perf_counter() - started) * 1000)
    finally:
        if not with_capture:
            order_status_changed.connect(on_order_status_changed, dispatch_uid="billing-capture")
    return times


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--exams", type=int, default=100)
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from billing.models import Claim, Payer

    if args.regenerate:
        call_command("flush", interactive=False, verbosity=0)
        call_command("migrate", verbosity=0)
    people = users()
    have = Claim.objects.filter(number__startswith="LB").count()
    if have != args.claims:
        if have:
            print(f"found {have} bench claims, wanted {args.claims}: run with --regenerate")
            return
        generate(args.claims, people)
    reset()
    print(f"{connection.vendor}, {args.claims} claims, Python {sys.version.split()[0]}")
    actor = people["billing"]
    for fmt in ("x12", "csv"):
        Payer.objects.update(claim_format=fmt)  # each payer is billed in its own format
        runs = [export_once(fmt, actor, memory=False) for _ in range(args.repeat)]
        marks = [r[0] for r in runs]
        writes = [r[1] for r in runs]
        totals = [m + w for m, w in zip(marks, writes, strict=True)]
        _, _, size, peak = export_once(fmt, actor, memory=True)
        print(
            f"{fmt:>4}: export (check + mark + log) median {statistics.median(marks):.2f} s, "
            f"write file median {statistics.median(writes):.2f} s, total median {statistics.median(totals):.2f} s "
            f"(min {min(totals):.2f}); file {size / 1e6:.1f} MB; tracemalloc peak {peak / 1e6:.1f} MB"
        )
    print(f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    with_capture, without = [], []
    for _ in range(max(1, args.exams // 20)):  # alternate in rounds so drift hits both sides alike
        with_capture += completions(people, 20, True)
        without += completions(people, 20, False)
    print(
        f"exam completion with capture:    median {statistics.median(with_capture):.1f} ms, p95 {p95(with_capture):.1f}"
    )
    print(f"exam completion without capture: median {statistics.median(without):.1f} ms, p95 {p95(without):.1f}")
    print(f"capture adds (median): {statistics.median(with_capture) - statistics.median(without):.1f} ms")


if __name__ == "__main__":
    main()
