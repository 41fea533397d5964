"""HL7 inbound throughput and latency: ADT^A04 + ORM^O01 pairs over MLLP into a real ``hl7_listener``.

Each pair registers a new patient and enters an order for them (log first, process, commit, ACK). Sent over one
connection, then over 4 connections at once; prints messages/s and the send-to-ACK latency (median, p95), which
is Lumen's receipt-to-ACK time plus one loopback round trip.

    .venv/bin/python bench/hl7.py --pairs 300                                   # SQLite in bench/var/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lumen_bench_hl7 .venv/bin/python bench/hl7.py

The database is created afresh for each run (SQLite file removed; PostgreSQL database dropped and re-created).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "bench" / "var"
TS = "20261204093000"


def message(kind: str, control: str, n: int) -> bytes:
    pid = f"PID|1||B{n:07d}^^^GENHOSP^MR||Bench{n}^Pat^Q||19700101|F|||1 Main St^^Springfield^IL^62701^USA"
    msh = f"MSH|^~\\&|EHR|GENHOSP|LUMEN|RADIOLOGY|{TS}||{kind}|{control}|P|2.5.1|||AL|NE||UNICODE UTF-8"
    if kind.startswith("ADT"):
        body = [msh, "EVN|A04|" + TS, pid, "PV1|1|O|RAD", "ZPI|1|VIP^N"]
    else:
        body = [
            msh,
            pid,
            f"ORC|NW|P{n:07d}^EHR|||||^^^^^R",
            f"OBR|1|P{n:07d}^EHR||CT-HEAD^CT head^L" + "|" * 27 + "^Headache",
            "DG1|1||R51.9^Headache^I10",
        ]
    return b"\x0b" + "\r".join(body).encode() + b"\x1c\r"


def send_all(port: int, frames: list[bytes], latencies: list[float]) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for data in frames:
            started = time.perf_counter()
            sock.sendall(data)
            reply = b""
            while not reply.endswith(b"\x1c\r"):
                chunk = sock.recv(65536)
                if not chunk:
                    raise RuntimeError("listener closed the connection")
                reply += chunk
            latencies.append(time.perf_counter() - started)
            if b"MSA|AA|" not in reply:
                raise RuntimeError(reply.decode(errors="replace"))


def run(port: int, connections: int, pairs: int, offset: int) -> tuple[float, list[float]]:
    per = pairs // connections
    batches = []
    for c in range(connections):
        frames = []
        for i in range(per):
            n = offset + c * per + i
            frames += [message("ADT^A04^ADT_A01", f"A{n}", n), message("ORM^O01^ORM_O01", f"O{n}", n)]
        batches.append(frames)
    latencies: list[float] = []
    threads = [threading.Thread(target=send_all, args=(port, b, latencies)) for b in batches]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return 2 * per * connections / elapsed, latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=300, help="ADT+ORM pairs per run")
    parser.add_argument("--processes", type=int, default=1, help="listener processes sharing the port")
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("LUMEN_VAR_DIR", str(VAR))
    url = env.get("DATABASE_URL")
    if url and url.startswith("postgres"):
        import psycopg
        from psycopg import sql

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    else:
        VAR.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{VAR / 'hl7.sqlite3'}{suffix}").unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{VAR / 'hl7.sqlite3'}"
    python = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*python, "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [
            *python,
            "shell",
            "-c",
            "from ris.orders.models import Procedure; Procedure.objects.get_or_create(code='CT-HEAD', "
            "defaults=dict(name='CT head', modality_type='CT', cpt_code='70450'))",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    listener = subprocess.Popen(
        [*python, "hl7_listener", "--port", str(port), "--sweep", "off", "--processes", str(args.processes)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        for line in listener.stdout:
            if "SIGTERM stops it" in line:
                break
        run(port, 1, 10, 10**6)  # warm-up
        engine = "PostgreSQL" if url and url.startswith("postgres") else "SQLite"
        print(f"HL7 inbound, {engine}, {args.processes} listener process(es), {args.pairs} ADT+ORM pairs per run")
        print("connections | messages/s | latency median ms | p95 ms")
        for number, connections in enumerate((1, 4)):
            rate, latencies = run(port, connections, args.pairs, number * 10**5)
            latencies.sort()
            median = statistics.median(latencies) * 1000
            p95 = latencies[int(len(latencies) * 0.95)] * 1000
            print(f"{connections:>11} | {rate:>10.1f} | {median:>17.1f} | {p95:>6.1f}")
    finally:
        listener.terminate()
        listener.wait(30)


if __name__ == "__main__":
    main()
