from django.core.files.uploadedfile import SimpleUploadedFile

from reporting.models import Dictation
from reporting.transcription import NotAvailable, get_transcriber
from tests.conftest import login

WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 60  # the EBML header MediaRecorder's webm starts with


def upload(client, report, data=WEBM, content_type="audio/webm;codecs=opus"):
    return client.post(
        f"/reports/{report.pk}/dictation/", {"audio": SimpleUploadedFile("dictation", data, content_type=content_type)}
    )


def test_a_recording_is_stored_under_the_storage_root_and_queued(client, claimed, radiologist, storage_root):
    login(client, radiologist)
    response = upload(client, claimed)
    assert response.status_code == 201
    assert response.json()["machine_transcript"] == ""
    dictation = Dictation.objects.get()
    assert (dictation.content_type, dictation.size_bytes, dictation.status) == ("audio/webm", 64, "pending")
    assert (storage_root / dictation.path).read_bytes() == WEBM
    assert dictation.path.startswith("dictation/")
    assert client.get(f"/reports/dictation/{dictation.pk}/audio/").getvalue() == WEBM


def test_other_types_fakes_and_oversized_recordings_are_refused(client, claimed, radiologist, storage_root, settings):
    login(client, radiologist)
    assert upload(client, claimed, content_type="text/html").json() == {
        "audio": ["“text/html” is not a supported audio type."]
    }
    assert upload(client, claimed, data=b"<script>alert(1)</script>").json() == {
        "audio": ["The file is not the audio its type claims."]
    }
    settings.LUMEN_DICTATION_MAX_BYTES = 32
    assert upload(client, claimed).json() == {"audio": ["The recording is larger than 0 MB."]}
    assert Dictation.objects.count() == 0
    assert not (storage_root / "dictation").exists() or not any((storage_root / "dictation").rglob("*.*"))


def test_only_the_claiming_radiologist_dictates(client, claimed, radiologist2, storage_root):
    login(client, radiologist2)
    assert upload(client, claimed).status_code == 400
    assert Dictation.objects.count() == 0


def test_the_transcriptionist_types_from_the_queue(client, claimed, radiologist, transcriptionist, storage_root):
    import json

    login(client, radiologist)
    upload(client, claimed)
    dictation = Dictation.objects.get()
    login(client, transcriptionist)
    queue = client.get("/reports/transcription/")
    assert [d.pk for d in queue.context["page"].rows] == [dictation.pk]
    editor = client.get(f"/reports/{claimed.pk}/")
    assert editor.context["editable"] is True
    assert client.get(f"/reports/dictation/{dictation.pk}/audio/").status_code == 200
    saved = client.post(
        f"/reports/{claimed.pk}/autosave/",
        json.dumps({"version": claimed.version, "sections": {"findings": "Typed from dictation."}}),
        content_type="application/json",
    )
    assert saved.status_code == 200
    client.post(f"/reports/dictation/{dictation.pk}/done/")
    dictation.refresh_from_db()
    assert (dictation.status, dictation.transcribed_by) == ("transcribed", transcriptionist)
    # Nothing left to type: the report is out of the transcriptionist's reach again.
    assert client.get(f"/reports/{claimed.pk}/").context["editable"] is False


def test_a_transcriptionist_sees_no_other_reports(client, signed, transcriptionist):
    login(client, transcriptionist)
    assert client.get(f"/reports/{signed.pk}/").status_code == 404


def test_speech_to_text_is_pluggable_and_off_by_default():
    transcriber = get_transcriber()
    assert isinstance(transcriber, NotAvailable)
    assert transcriber.available is False
    assert transcriber.transcribe(None, "audio/webm") is None


def test_a_bad_transcriber_setting_fails_the_system_check(settings):
    from reporting.apps import check_transcriber

    assert check_transcriber() == []
    settings.LUMEN_TRANSCRIBER = "reporting.nowhere.Engine"
    [error] = check_transcriber()
    assert error.id == "reporting.E001"
    settings.LUMEN_TRANSCRIBER = "reporting.models.Report"
    assert [e.id for e in check_transcriber()] == ["reporting.E002"]


class SizeReportingTranscriber:
    """A test double for the plug-in point (not a recogniser): answers with the file's size."""

    available = True

    def transcribe(self, path, content_type):
        return f"{content_type}, {path.stat().st_size} bytes"


def test_a_configured_transcriber_fills_the_machine_transcript(client, claimed, radiologist, storage_root, settings):
    settings.LUMEN_TRANSCRIBER = "tests.reporting.test_dictation.SizeReportingTranscriber"
    login(client, radiologist)
    assert upload(client, claimed).json()["machine_transcript"] == "audio/webm, 64 bytes"
    assert Dictation.objects.get().machine_transcript == "audio/webm, 64 bytes"
