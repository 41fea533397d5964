"""Only the physician a critical result was sent (or escalated) to acknowledges it, whoever calls the service;
the transcription queue says whether a speech-to-text engine is configured."""

import pytest
from django.core.exceptions import PermissionDenied

from reporting import services
from tests.conftest import login
from tests.reporting.test_critical_results import critical  # noqa: F401 - fixture


def test_the_service_refuses_anyone_but_the_recipient(critical, other_doctor, radiologist, referring_doctor):  # noqa: F811
    for someone in (other_doctor, radiologist):
        with pytest.raises(PermissionDenied, match="Only the physician it was sent or escalated to"):
            services.acknowledge_critical_result(critical=critical, actor=someone)
    critical.refresh_from_db()
    assert critical.acknowledged_at is None

    services.acknowledge_critical_result(critical=critical, actor=referring_doctor)

    critical.refresh_from_db()
    assert critical.acknowledged_by == referring_doctor


def test_the_transcription_queue_says_when_no_engine_is_configured(client, transcriptionist, settings):
    login(client, transcriptionist)
    assert "No speech-to-text engine is configured" in client.get("/reports/transcription/").content.decode()


class EchoTranscriber:
    """A stand-in engine for the test: it is available."""

    available = True

    def transcribe(self, path, content_type):
        return None


def test_the_transcription_queue_does_not_claim_an_engine_is_missing_when_one_is_set(
    client, transcriptionist, settings
):
    settings.LUMEN_TRANSCRIBER = "tests.reporting.test_acknowledge_rule.EchoTranscriber"
    login(client, transcriptionist)
    assert "No speech-to-text engine is configured" not in client.get("/reports/transcription/").content.decode()
