"""Ingest throughput, Lumen against Orthanc, and C-FIND latency on a large index.

Part 1: 1000 synthetic CT instances (512x512, 16 bit) sent by DCMTK's storescu (TCP_NODELAY=1) over one
association, then over 4 concurrent associations, into Lumen's DICOM listener and into Orthanc (Debian's
``orthanc``, started here on loopback), in turn, three rounds (``--rounds``). Prints instances/s for each, and
the medians and Lumen/Orthanc of each round and their median (single runs swing by a third on a busy machine), and
the CPU time each server (its processes together) spent per instance.
Lumen's figure includes everything a C-STORE success promises: the file fsynced under its final name, its
SHA-256, the header indexed and the row committed.

Part 2 (``--find``, PostgreSQL only): 10,000 studies and 1,000,000 instances written straight into the index,
then study-level C-FIND queries through the listener; prints median and p95 latency.

    .venv/bin/python bench/ingest.py                        # part 1, Lumen on SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lumen_ingest .venv/bin/python bench/ingest.py --find
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "var" / "ingest"
DATA = ROOT / "bench" / "var" / "ct-1000"
PYTHON = sys.executable
STORESCU = "/usr/bin/storescu"
ORTHANC = "/usr/sbin/Orthanc"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing listens on {port}")


def make_data(count: int) -> list[Path]:
    import numpy as np
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    files = sorted(DATA.glob("*.dcm"))
    if len(files) == count:
        return files
    shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True)
    rng = np.random.default_rng(1)
    study, series = generate_uid(), generate_uid()
    for number in range(1, count + 1):
        if number % 500 == 1:
            series = generate_uid()
        sop = generate_uid()
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = CTImageStorage, sop
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID, ds.SOPInstanceUID, ds.StudyInstanceUID, ds.SeriesInstanceUID = (
            CTImageStorage,
            sop,
            study,
            series,
        )
        ds.PatientID, ds.PatientName, ds.PatientBirthDate, ds.PatientSex = "BENCH1", "Bench^Patient", "19600101", "M"
        ds.AccessionNumber, ds.StudyDate, ds.StudyTime, ds.StudyDescription = "BENCH1", "20260101", "120000", "CT CHEST"
        ds.Modality, ds.SeriesNumber, ds.InstanceNumber, ds.BodyPartExamined = (
            "CT",
            (number - 1) // 500 + 1,
            number,
            "CHEST",
        )
        ds.Rows = ds.Columns = 512
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.PixelData = rng.integers(0, 4096, (512, 512), dtype=np.uint16).tobytes()
        ds.save_as(DATA / f"{number:05d}.dcm", enforce_file_format=True)
    return sorted(DATA.glob("*.dcm"))


def send(port: int, ae_title: str, files: list[Path], associations: int) -> float:
    """Seconds for storescu to send all files over ``associations`` parallel associations."""
    env = {**os.environ, "TCP_NODELAY": "1"}
    chunks = [files[i::associations] for i in range(associations)]
    started = time.perf_counter()
    senders = [
        subprocess.Popen(
            [STORESCU, "-aec", ae_title, "127.0.0.1", str(port), *map(str, chunk)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for chunk in chunks
    ]
    for sender in senders:
        if sender.wait() != 0:
            raise SystemExit(f"storescu failed: {sender.stderr.read().decode()[-500:]}")
    return time.perf_counter() - started


def lumen_env(run: Path) -> dict:
    """Lumen as deployed (``DEBUG`` off, as ``deploy/lumen.env.example`` has it: no SQL kept per query), accepting
    any caller on loopback."""
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "LUMEN_VAR_DIR": str(run),
        "LUMEN_STORAGE_ROOT": str(run / "storage"),
        "LUMEN_DICOM_ACCEPT_ANY": "true",
    }
    return env


def fresh_postgres(url: str) -> None:
    """An empty database for each run, so no run sees another's instances as duplicates."""
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def start_lumen(run: Path, port: int, *, fresh: bool = True) -> subprocess.Popen:
    env = lumen_env(run)
    if fresh and env.get("DATABASE_URL", "").startswith("postgres"):
        fresh_postgres(env["DATABASE_URL"])
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    process = subprocess.Popen(
        [PYTHON, "manage.py", "dicom_listener", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in process.stdout:
        if "SIGTERM stops it" in line:
            return process
    raise SystemExit("the Lumen listener did not start")


def start_orthanc(
    run: Path, port: int, *, http: int | None = None, plugins: tuple[str, ...] = (), **extra
) -> subprocess.Popen:
    """Orthanc on loopback with its own storage under ``run``, Nagle off, accepting storescu's stores."""
    config = {
        "Name": "bench",
        "StorageDirectory": str(run / "storage"),
        "IndexDirectory": str(run / "index"),
        "DicomAet": "ORTHANC",
        "DicomPort": port,
        "HttpPort": http or free_port(),
        "RemoteAccessAllowed": False,
        "DicomCheckModalityHost": True,
        "DicomModalities": {"storescu": ["STORESCU", "127.0.0.1", 104]},
        "DicomAlwaysAllowStore": True,
        "StorageCompression": False,
        "Plugins": list(plugins),
        **extra,
    }
    run.mkdir(parents=True, exist_ok=True)
    (run / "orthanc.json").write_text(json.dumps(config))
    process = subprocess.Popen(
        [ORTHANC, f"--logfile={run / 'orthanc.log'}", str(run / "orthanc.json")],
        env={**os.environ, "TCP_NODELAY": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(port)
    if http:
        wait_port(http)
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()


def tree_cpu_seconds(pid: int) -> float:
    """User and system CPU seconds used so far by a process and its child processes (Linux ``/proc``)."""
    ticks = 0
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    for process in [pid, *map(int, children)]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def ingest(files: list[Path], rounds: int) -> None:
    """Lumen and Orthanc in turn, ``rounds`` times: one run's figures swing with what else the machine does, so the
    medians and the median of each round's ratio are what to compare."""
    results: dict[tuple[str, int], list[float]] = {}
    cpu_ms: dict[tuple[str, int], list[float]] = {}
    for round_number in range(1, rounds + 1):
        for associations in (1, 4):
            for name in ("lumen", "orthanc"):
                run = WORK / f"{name}-{associations}"
                shutil.rmtree(run, ignore_errors=True)
                run.mkdir(parents=True)
                port = free_port()
                server = start_lumen(run, port) if name == "lumen" else start_orthanc(run, port)
                try:
                    cpu = tree_cpu_seconds(server.pid)
                    seconds = send(port, "LUMEN" if name == "lumen" else "ORTHANC", files, associations)
                    cpu = tree_cpu_seconds(server.pid) - cpu
                finally:
                    stop(server)
                results.setdefault((name, associations), []).append(len(files) / seconds)
                cpu_ms.setdefault((name, associations), []).append(cpu / len(files) * 1000)
                print(
                    f"round {round_number}: {name:<8} {associations} association(s): {len(files)} instances in "
                    f"{seconds:6.2f} s = {len(files) / seconds:6.1f} instances/s, server CPU "
                    f"{cpu / len(files) * 1000:.2f} ms/instance"
                )
    for associations in (1, 4):
        lumen, orthanc = results[("lumen", associations)], results[("orthanc", associations)]
        ratios = [mine / theirs for mine, theirs in zip(lumen, orthanc, strict=True)]
        print(
            f"{associations} association(s): Lumen median {statistics.median(lumen):6.1f}/s, Orthanc median "
            f"{statistics.median(orthanc):6.1f}/s; Lumen / Orthanc per round "
            f"{', '.join(f'{r:.2f}' for r in ratios)}, median {statistics.median(ratios):.2f}; server CPU "
            f"median {statistics.median(cpu_ms[('lumen', associations)]):.2f} against "
            f"{statistics.median(cpu_ms[('orthanc', associations)]):.2f} ms/instance"
        )


def find_latency(studies: int, per_study: int, queries: int) -> None:
    sys.path.insert(0, str(ROOT))
    from pgdb import setup_django

    setup_django()
    from django.db import connection
    from pydicom.dataset import Dataset
    from pynetdicom import AE, evt
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind

    from pacs.dicom.network import set_nodelay
    from pacs.models import Instance, Series, Study

    if connection.vendor != "postgresql":
        raise SystemExit("--find measures PostgreSQL: set DATABASE_URL")
    if Study.objects.count() < studies:
        started = time.perf_counter()
        Instance.objects.all().delete()
        Series.objects.all().delete()
        Study.objects.all().delete()
        Study.objects.bulk_create(
            Study(
                study_instance_uid=f"2.25.{i}",
                dicom_patient_id=f"P{i % 3000:05d}",
                patient_name=f"Name{i % 997}^Given",
                study_date=f"2025{(i % 12) + 1:02d}{(i % 28) + 1:02d}",
                accession_number=f"X{i:08d}",
                study_description="CT CHEST",
                modalities_in_study="CT",
                number_of_series=1,
                number_of_instances=per_study,
            )
            for i in range(studies)
        )
        study_ids = list(Study.objects.values_list("pk", flat=True))
        Series.objects.bulk_create(
            Series(study_id=pk, series_instance_uid=f"2.25.{pk}.1", modality="CT", number_of_instances=per_study)
            for pk in study_ids
        )
        series_ids = list(Series.objects.values_list("pk", flat=True))
        batch = []
        for series_pk in series_ids:
            for n in range(per_study):
                batch.append(
                    Instance(
                        series_id=series_pk,
                        sop_instance_uid=f"2.25.{series_pk}.1.{n}",
                        sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
                        instance_number=n,
                        transfer_syntax_uid="1.2.840.10008.1.2.1",
                        path="x",
                        size_bytes=0,
                        sha256="",
                        metadata={},
                    )
                )
            if len(batch) >= 20000:
                Instance.objects.bulk_create(batch)
                batch.clear()
        Instance.objects.bulk_create(batch)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"generated {studies} studies and {studies * per_study} instances in {time.perf_counter() - started:.0f} s"
        )
    port = free_port()
    run = WORK / "find"
    run.mkdir(parents=True, exist_ok=True)
    listener = start_lumen(run, port, fresh=False)
    try:
        ae = AE("BENCH")
        ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
        assoc = ae.associate("127.0.0.1", port, ae_title="LUMEN", evt_handlers=[(evt.EVT_CONN_OPEN, set_nodelay)])
        kinds = {
            "by PatientID": lambda i: {"PatientID": f"P{(i * 7) % 3000:05d}"},
            "by AccessionNumber": lambda i: {"AccessionNumber": f"X{(i * 13) % studies:08d}"},
            "by StudyDate range (1 day)": lambda i: {
                "StudyDate": f"2025{(i % 12) + 1:02d}{(i % 28) + 1:02d}-2025{(i % 12) + 1:02d}{(i % 28) + 1:02d}"
            },
            "by PatientName wildcard": lambda i: {"PatientName": f"Name{i % 997}^*"},
        }
        print(f"C-FIND study level, {studies} studies / {studies * per_study} instances, PostgreSQL:")
        everything = []
        for label, make in kinds.items():
            samples = []
            for i in range(queries):
                ds = Dataset()
                ds.QueryRetrieveLevel = "STUDY"
                for key in (
                    "StudyInstanceUID",
                    "PatientID",
                    "PatientName",
                    "StudyDate",
                    "AccessionNumber",
                    "NumberOfStudyRelatedInstances",
                ):
                    setattr(ds, key, "")
                for key, value in make(i).items():
                    setattr(ds, key, value)
                started = time.perf_counter()
                matches = sum(
                    1
                    for status, _ in assoc.send_c_find(ds, StudyRootQueryRetrieveInformationModelFind)
                    if status and status.Status == 0xFF00
                )
                samples.append((time.perf_counter() - started) * 1000)
                assert matches >= 1, (label, i)
            everything += samples
            p95 = statistics.quantiles(samples, n=20)[18]
            print(f"  {label:<28} median {statistics.median(samples):6.1f} ms   p95 {p95:6.1f} ms")
        p95 = statistics.quantiles(everything, n=20)[18]
        print(f"  {'all':<28} median {statistics.median(everything):6.1f} ms   p95 {p95:6.1f} ms")
        assoc.release()
    finally:
        stop(listener)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="Lumen and Orthanc in turn, this many times")
    parser.add_argument("--find", action="store_true", help="measure C-FIND latency instead (PostgreSQL)")
    parser.add_argument("--studies", type=int, default=10_000)
    parser.add_argument("--per-study", type=int, default=100)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    if args.find:
        find_latency(args.studies, args.per_study, args.queries)
        return
    for tool in (STORESCU, ORTHANC):
        if not Path(tool).exists():
            raise SystemExit(f"{tool} is missing: apt-get install dcmtk orthanc")
    files = make_data(args.count)
    print(f"{len(files)} CT instances of 512x512x16 bit ({sum(f.stat().st_size for f in files) / 1e6:.0f} MB)")
    ingest(files, args.rounds)


if __name__ == "__main__":
    main()
