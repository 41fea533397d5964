import datetime as dt

import time_machine
from django.utils import timezone

from reporting import dashboard, services
from reporting.models import CriticalResult
from ris.orders.models import Order
from tests.conftest import PASSWORD, login

START = dt.datetime(2026, 5, 4, 8, 0, tzinfo=dt.UTC)


def test_turnaround_and_ack_time_per_radiologist_modality_and_priority(
    client, claimed, radiologist, referring_doctor, lead
):
    Order.objects.filter(pk=claimed.order_id).update(images_received_at=START)
    with time_machine.travel(START + dt.timedelta(minutes=90), tick=False):
        services.sign_report(
            report=claimed,
            actor=radiologist,
            password=PASSWORD,
            sections={"impression": "Bleed."},
            critical=True,
            critical_finding="Bleed",
        )
    with time_machine.travel(START + dt.timedelta(minutes=100), tick=False):
        services.acknowledge_critical_result(critical=CriticalResult.objects.get(), actor=referring_doctor)
        figures = dashboard.figures(days=7)
    assert figures["turnaround"]["radiologist"] == [
        {"name": "Rita Test", "count": 1, "average_minutes": 90.0, "longest_minutes": 90.0}
    ]
    assert figures["turnaround"]["modality"][0]["name"] == "CT"
    assert figures["turnaround"]["priority"][0]["name"] == "Routine"
    assert figures["critical_ack"]["radiologist"] == [
        {"name": "Rita Test", "count": 1, "average_minutes": 10.0, "longest_minutes": 10.0}
    ]
    assert figures["critical_open"] == 0
    with time_machine.travel(START + dt.timedelta(minutes=100), tick=False):
        login(client, lead)
        assert "Rita Test" in client.get("/reports/dashboard/?days=7").content.decode()
    assert timezone.now() > START


def test_the_dashboard_is_for_the_lead_and_admins(client, radiologist, referring_doctor):
    for user in (radiologist, referring_doctor):
        login(client, user)
        assert client.get("/reports/dashboard/").status_code == 403
