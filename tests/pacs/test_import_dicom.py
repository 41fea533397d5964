"""Migration import: a legacy folder tree through the same ingest, resumable, with a report."""

import io
import shutil

from django.core.management import call_command
from pydicom.data import get_testdata_file

from pacs.models import Instance, Study
from tests.pacs.conftest import write_series


def run(*args):
    out = io.StringIO()
    call_command("import_dicom", *map(str, args), "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_reports_stored_duplicates_rejected_and_unmatched(storage_root, db, tmp_path, settings):
    settings.VAR_DIR = tmp_path / "var"
    legacy = tmp_path / "legacy"
    write_series(legacy / "a", 3)
    write_series(legacy / "b" / "deeper", 2)
    shutil.copy(legacy / "a" / "0001.dcm", legacy / "b" / "copy-of-a1.dcm")
    shutil.copy(get_testdata_file("MR_truncated.dcm", download=False), legacy / "broken.dcm")
    (legacy / "notes.txt").write_text("not an image")
    report = run(legacy)
    assert "  files handled:         8" in report
    assert "  stored:                5" in report
    assert "  duplicates (kept one): 1" in report
    assert "  rejected:              2" in report
    assert "  studies not matched to an order: 2 (see the reconciliation list)" in report
    assert f"  rejected {legacy / 'broken.dcm'}: The file is truncated: element 7FE00010 runs past its end." in report
    assert (Study.objects.count(), Instance.objects.count()) == (2, 5)


def test_an_interrupted_import_resumes_without_redoing_files(storage_root, db, tmp_path, settings, monkeypatch):
    settings.VAR_DIR = tmp_path / "var"
    legacy = tmp_path / "legacy"
    write_series(legacy, 6)
    from pacs import services

    real = services.ingest_file
    calls = []

    def flaky(path, **kwargs):
        calls.append(path)
        if len(calls) == 4:
            raise KeyboardInterrupt  # the operator pressed Ctrl-C
        return real(path, **kwargs)

    monkeypatch.setattr(services, "ingest_file", flaky)
    try:
        run(legacy)
    except KeyboardInterrupt:
        pass
    assert Instance.objects.count() == 3
    monkeypatch.setattr(services, "ingest_file", real)
    report = run(legacy)
    assert "  files handled:         6" in report
    assert "  stored:                6" in report
    assert Instance.objects.count() == 6
