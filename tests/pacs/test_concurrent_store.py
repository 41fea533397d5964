"""Eight associations at once, each sending the same 50-instance study: exactly one study, 50 instances."""

import subprocess

from pacs import storage
from pacs.models import Instance, Series, Study
from tests.pacs.conftest import DCMTK, SCU_AE, write_series


def test_eight_concurrent_storescu_associations_store_one_copy(listener, scu_node, tmp_path):
    study_uid, paths = write_series(tmp_path / "study", 50, accession="CONC1")
    senders = [
        subprocess.Popen(
            [str(DCMTK / "storescu"), "-aet", SCU_AE, *listener.address(), *map(str, paths)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={"TCP_NODELAY": "1"},
        )
        for _ in range(8)
    ]
    results = [(s.wait(timeout=180), s.stderr.read().decode()) for s in senders]
    assert [code for code, _err in results] == [0] * 8, results
    assert Study.objects.count() == 1
    assert Series.objects.count() == 1
    assert Instance.objects.count() == 50
    study = Study.objects.get(study_instance_uid=study_uid)
    assert (study.number_of_series, study.number_of_instances) == (1, 50)
    files = [p for p in storage.root().rglob("*.dcm")]
    assert len(files) == 50
    assert list(storage.incoming_dir().iterdir()) == []
    for instance in Instance.objects.all():
        assert storage.sha256_of(storage.absolute(instance.path)) == instance.sha256
