import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from reporting import services
from reporting.models import CriticalResult
from reporting.tasks import escalate_critical_results_task
from tests.conftest import PASSWORD, login

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def critical(claimed, radiologist, referring_doctor, lead, settings):
    settings.LUMEN_CRITICAL_ACK_MINUTES = 60
    referring_doctor.email = "house@example.org"
    referring_doctor.save()
    with time_machine.travel(START, tick=False):
        services.sign_report(
            report=claimed,
            actor=radiologist,
            password=PASSWORD,
            sections={"impression": "Tension pneumothorax."},
            critical=True,
            critical_finding="Tension pneumothorax",
        )
    return CriticalResult.objects.get(report=claimed)


def test_signing_a_critical_result_notifies_the_referrer_by_portal_and_email(
    critical, referring_doctor, django_capture_on_commit_callbacks
):
    assert critical.recipient == referring_doctor
    assert critical.created_at == START
    loop = list(critical.notifications.values_list("recipient__username", "channel", "kind", "at"))
    assert loop == [("drhouse", "portal", "initial", START), ("drhouse", "email", "initial", START)]


def test_the_email_goes_out_after_commit_without_patient_data(
    claimed, radiologist, referring_doctor, django_capture_on_commit_callbacks
):
    referring_doctor.email = "house@example.org"
    referring_doctor.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.sign_report(
            report=claimed,
            actor=radiologist,
            password=PASSWORD,
            sections={"impression": "Bleed."},
            critical=True,
            critical_finding="Bleed",
        )
    [message] = mail.outbox
    assert message.to == ["house@example.org"]
    assert "Müller" not in message.body
    assert "MÜLLER" not in message.body


def test_a_critical_flag_needs_the_finding(claimed, radiologist):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Say what the critical finding is."):
        services.sign_report(
            report=claimed, actor=radiologist, password=PASSWORD, sections={"impression": "X"}, critical=True
        )


def test_the_home_page_and_portal_show_it_until_acknowledged(client, critical, referring_doctor):
    login(client, referring_doctor)
    assert "1 critical result waiting for your acknowledgement." in client.get("/").content.decode()
    portal = client.get("/portal/")
    assert [c.pk for c in portal.context["criticals"]] == [critical.pk]
    with time_machine.travel(START + dt.timedelta(minutes=25), tick=False):
        response = client.post(f"/portal/critical/{critical.pk}/acknowledge/")
    assert response.status_code == 302
    critical.refresh_from_db()
    assert (critical.acknowledged_by, critical.ack_seconds) == (referring_doctor, 25 * 60)
    login(client, referring_doctor)  # the session touched in the past has expired by now
    assert "critical result waiting" not in client.get("/").content.decode()
    assert client.get("/portal/").context["criticals"] == []


def test_another_doctor_cannot_acknowledge_it(client, critical, other_doctor):
    login(client, other_doctor)
    assert client.post(f"/portal/critical/{critical.pk}/acknowledge/").status_code == 404
    assert CriticalResult.objects.get(pk=critical.pk).acknowledged_at is None


def test_no_acknowledgement_in_time_escalates_to_the_second_contact_and_radiologist_once(critical, lead):
    with time_machine.travel(START + dt.timedelta(minutes=59), tick=False):
        assert escalate_critical_results_task.delay().get() == 0
    with time_machine.travel(START + dt.timedelta(minutes=61), tick=False):
        assert escalate_critical_results_task.delay().get() == 1
        assert escalate_critical_results_task.delay().get() == 0
    escalations = critical.notifications.filter(kind="escalation").values_list("recipient__username", "channel")
    assert sorted(escalations) == [("leah", "portal"), ("rita", "portal")]
    critical.refresh_from_db()
    assert critical.escalated_at == START + dt.timedelta(minutes=61)


def test_the_escalation_command_for_cron(critical, capsys):
    with time_machine.travel(START + dt.timedelta(hours=2), tick=False):
        call_command("escalate_critical_results")
    assert capsys.readouterr().out == "1 critical result(s) escalated.\n"


def test_the_escalated_lead_sees_and_can_acknowledge_it(client, critical, lead):
    with time_machine.travel(START + dt.timedelta(minutes=61), tick=False):
        services.escalate_critical_results()
    login(client, lead)
    assert "1 critical result waiting" in client.get("/").content.decode()
    assert client.post(f"/portal/critical/{critical.pk}/acknowledge/").status_code == 302
    assert CriticalResult.objects.get(pk=critical.pk).acknowledged_by == lead


def test_a_phone_call_is_recorded_in_the_loop(client, critical, radiologist):
    login(client, radiologist)
    client.post(
        f"/reports/critical/{critical.pk}/notify/",
        {"channel": "phone", "recipient_text": "Dr House, mobile", "note": "read back"},
    )
    call = critical.notifications.get(channel="phone")
    assert (call.recipient_text, call.recorded_by, call.note) == ("Dr House, mobile", radiologist, "read back")
    page = client.get("/reports/critical/").content.decode()
    assert "Dr House, mobile" in page


def test_the_beat_schedule_runs_the_escalation(settings):
    assert settings.CELERY_BEAT_SCHEDULE["escalate-critical-results"]["task"] == (
        "reporting.tasks.escalate_critical_results_task"
    )
    assert timezone.now()


def test_a_radiologist_cannot_acknowledge_on_the_referrers_behalf(client, critical, radiologist, lead):
    login(client, radiologist)
    assert client.post(f"/portal/critical/{critical.pk}/acknowledge/").status_code == 404
    login(client, lead)
    page = client.get("/reports/critical/?open=1").content.decode()
    assert "Tension pneumothorax" in page
    assert "Acknowledge</button>" not in page  # not escalated to the lead yet
    assert CriticalResult.objects.get(pk=critical.pk).acknowledged_at is None


def test_the_loop_is_reportable_as_csv(client, critical, lead):
    with time_machine.travel(START + dt.timedelta(minutes=61), tick=False):
        services.escalate_critical_results()
    login(client, lead)
    response = client.get("/reports/critical/?format=csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("critical_id,accession,severity,flagged_at,radiologist,told,channel,kind")
    assert [line.split(",")[5:8] for line in lines[1:]] == [
        ["Drhouse Test", "portal", "initial"],
        ["Drhouse Test", "email", "initial"],
        ["Leah Test", "portal", "escalation"],
        ["Rita Test", "portal", "escalation"],
    ]
    assert "MÜLLER" not in response.content.decode()
    from ris.audit.models import AccessLog

    assert AccessLog.objects.filter(user=lead, action="export", object_type="reporting.criticalresult").exists()
