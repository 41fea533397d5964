"""DICOMweb response times, Lumen against Orthanc with its DICOMweb plugin, on the same 1000 CT instances.

Both servers run on loopback in this script (Lumen under gunicorn with its production settings shape, Orthanc
from Debian's ``orthanc`` and ``orthanc-dicomweb``); the same HTTP client (requests, keep-alive) times each
request; 30 requests per line after a warm-up; median and p95 in ms and the ratio Lumen/Orthanc. STOW-RS: ten
requests of 100 instances each, new to the server (each batch under its own study), then three requests of 100
instances it already holds.

    .venv/bin/python bench/dicomweb.py
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest  # noqa: E402
from ingest import PYTHON, ROOT, free_port, make_data, send, stop, wait_port  # noqa: E402

WORK = ROOT / "bench" / "var" / "dicomweb"
PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
REPEAT = 30


def start_lumen(run: Path, http: int, dicom: int):
    env = {
        **os.environ,
        "LUMEN_VAR_DIR": str(run),
        "LUMEN_STORAGE_ROOT": str(run / "storage"),
        "LUMEN_DICOM_ACCEPT_ANY": "true",
        "DEBUG": "false",
        "SECRET_KEY": "b" * 20 + "enchmark-secret-key-that-is-long-enough",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LUMEN_SSL_REDIRECT": "false",
        "LUMEN_SECURE_COOKIES": "false",
        "LUMEN_HSTS_SECONDS": "0",
        "LUMEN_DICOM_PROCESSES": "1",
    }
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    token = subprocess.run(
        [
            PYTHON,
            "manage.py",
            "shell",
            "--verbosity=0",
            "-c",
            "from ris.accounts.models import User; from django.contrib.auth.models import Group; "
            "from rest_framework.authtoken.models import Token; "
            "u, _ = User.objects.get_or_create(username='bench'); u.groups.add(Group.objects.get(name='radiologist')); "
            "print(Token.objects.get_or_create(user=u)[0].key)",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    listener = subprocess.Popen(
        [PYTHON, "manage.py", "dicom_listener", "--port", str(dicom)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    web = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "ris.wsgi",
            "-c",
            "deploy/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{http}",
            "--workers",
            "2",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(dicom)
    wait_port(http)
    return [listener, web], {"Authorization": f"Token {token}"}


def start_orthanc(run: Path, http: int, dicom: int):
    process = ingest.start_orthanc(
        run,
        dicom,
        http=http,
        plugins=(PLUGIN,),
        AuthenticationEnabled=False,
        DicomWeb={"Enable": True, "Root": "/dicom-web/"},
    )
    return [process], {}


def timed(session, url, headers, expect=200, method="get", body=None) -> list[float]:
    samples = []
    for i in range(REPEAT + 2):
        started = time.perf_counter()
        response = session.request(method, url, headers=headers, data=body)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == expect, (url, response.status_code, response.text[:200])
        if i >= 2:
            samples.append(elapsed)
    return samples


MARK = "benchboundary"


def stow_bodies(files: list[Path], batches: int) -> list[bytes]:
    """``batches`` multipart bodies of the 100 first files, each batch under new study, series and instance UIDs."""
    from io import BytesIO

    from pydicom import dcmread
    from pydicom.uid import generate_uid

    bodies = []
    for _ in range(batches):
        study, series = generate_uid(), generate_uid()
        parts = []
        for path in files[:100]:
            ds = dcmread(path)
            ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
            ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
            buffer = BytesIO()
            ds.save_as(buffer, enforce_file_format=True)
            parts.append(f"--{MARK}\r\nContent-Type: application/dicom\r\n\r\n".encode() + buffer.getvalue() + b"\r\n")
        bodies.append(b"".join(parts) + f"--{MARK}--\r\n".encode())
    return bodies


def main() -> None:
    files = make_data(1000)
    new_bodies = stow_bodies(files, 10)
    shutil.rmtree(WORK, ignore_errors=True)
    from pydicom import dcmread

    first = dcmread(files[0], stop_before_pixels=True)
    study, series, sop = str(first.StudyInstanceUID), str(first.SeriesInstanceUID), str(first.SOPInstanceUID)
    results: dict[str, dict[str, list[float]]] = {}
    for name in ("lumen", "orthanc"):
        run = WORK / name
        http, dicom = free_port(), free_port()
        processes, auth = (start_lumen if name == "lumen" else start_orthanc)(run, http, dicom)
        root = f"http://127.0.0.1:{http}" + ("/dicomweb" if name == "lumen" else "/dicom-web")
        try:
            send(dicom, "LUMEN" if name == "lumen" else "ORTHANC", files, 1)
            os.sync()  # the 525 MB just stored go to disk now, not under the timed requests' own fsyncs
            session = requests.Session()
            json_accept = {**auth, "Accept": "application/dicom+json"}
            lines = {
                "QIDO studies": timed(session, f"{root}/studies", json_accept),
                "series metadata (500 instances)": timed(
                    session, f"{root}/studies/{study}/series/{series}/metadata", json_accept
                ),
                "one frame": timed(
                    session,
                    f"{root}/studies/{study}/series/{series}/instances/{sop}/frames/1",
                    {**auth, "Accept": 'multipart/related; type="application/octet-stream"'},
                ),
                "rendered frame (JPEG)": timed(
                    session,
                    f"{root}/studies/{study}/series/{series}/instances/{sop}/rendered",
                    {**auth, "Accept": "image/jpeg"},
                ),
            }
            stow_headers = {
                **auth,
                "Content-Type": f'multipart/related; type="application/dicom"; boundary={MARK}',
                "Accept": "application/dicom+json",
            }
            new, again = [], []
            for body in new_bodies:
                started = time.perf_counter()
                response = session.post(f"{root}/studies", data=body, headers=stow_headers)
                new.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (response.status_code, response.text[:300])
            for _ in range(3):
                started = time.perf_counter()
                response = session.post(f"{root}/studies", data=new_bodies[0], headers=stow_headers)
                again.append((time.perf_counter() - started) * 1000)
                assert response.status_code in (200, 202), response.status_code
            lines[f"STOW 100 new instances ({len(new)} requests)"] = new
            lines["STOW 100 instances already stored (3 requests)"] = again
            results[name] = lines
        finally:
            for process in processes:
                stop(process)
    print(f"{'request':<40} {'Lumen med/p95 ms':>18} {'Orthanc med/p95 ms':>20} {'ratio (median)':>15}")
    for line in results["lumen"]:
        lumen, orthanc = results["lumen"][line], results["orthanc"][line]

        def fmt(samples):
            p95 = statistics.quantiles(samples, n=20)[18] if len(samples) > 1 else samples[0]
            return f"{statistics.median(samples):7.1f} / {p95:7.1f}"

        ratio = statistics.median(lumen) / statistics.median(orthanc)
        print(f"{line:<40} {fmt(lumen):>18} {fmt(orthanc):>20} {ratio:>15.2f}")


if __name__ == "__main__":
    main()
