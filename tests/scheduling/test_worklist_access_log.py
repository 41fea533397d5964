"""A worklist query is in the access log as such (dicom.mwl), with the keys it matched on, those inside the
Scheduled Procedure Step included, and the accession numbers it answered with."""

from ris.audit.models import AccessLog
from tests.scheduling.test_worklist_findscu import booked, listener, worklist  # noqa: F401 - fixtures


def test_it_logs_the_worklist_query_with_its_step_keys_and_answers(listener, booked, tmp_path):  # noqa: F811
    result, answers = worklist(listener, tmp_path, "CT1")
    assert result.returncode == 0, result.stderr
    assert len(answers) == 1

    entry = AccessLog.objects.get(object_type="dicom.mwl")

    assert (entry.username, entry.action, entry.outcome, entry.channel) == ("AE CT1", "search", "success", "dicom")
    assert entry.detail["query"]["ScheduledProcedureStepSequence.ScheduledStationAETitle"] == "CT1"
    assert entry.detail["matches"] == 1
    assert entry.detail["returned_accession_numbers"] == [booked.order.accession_number]
    assert not AccessLog.objects.filter(object_type="dicom.c-find").exists()
