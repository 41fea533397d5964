import io

import pytest
from django.core.management import call_command

from pacs import services, storage
from pacs.models import Instance
from tests.pacs.conftest import write_series


def test_verify_reports_changed_and_missing_files(storage_root, db, tmp_path):
    _uid, paths = write_series(tmp_path / "s", 3)
    for path in paths:
        services.ingest_file(path, source="X", owned=False)
    first, second, third = Instance.objects.order_by("instance_number")
    out = io.StringIO()
    call_command("pacs_verify", "--no-progress", stdout=out, stderr=io.StringIO())
    assert out.getvalue() == "Checked 3 files: 3 intact, 0 damaged or missing.\n"

    storage.absolute(first.path).write_bytes(b"bit rot")
    storage.absolute(second.path).unlink()
    out = io.StringIO()
    with pytest.raises(SystemExit) as stopped:
        call_command("pacs_verify", "--no-progress", stdout=out, stderr=io.StringIO())
    assert stopped.value.code == 1
    assert out.getvalue().splitlines() == [
        f"{first.sop_instance_uid}: content differs from what was stored",
        f"{second.sop_instance_uid}: file missing",
        "Checked 3 files: 1 intact, 2 damaged or missing.",
    ]
