"""Reporting lists cost the same number of queries for one row or many (no N+1)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from reporting import services
from tests.conftest import PASSWORD, login


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_reading_worklist_portal_and_queues_do_not_grow_with_rows(
    client, patient, make_order, complete, referring_doctor, radiologist, lead, ct_template
):
    def add():
        waiting = complete(make_order(patient, referring_physician=referring_doctor))
        services.claim_report(order=waiting, actor=radiologist)
        signed = services.claim_report(
            order=complete(make_order(patient, referring_physician=referring_doctor)), actor=radiologist
        )
        services.sign_report(
            report=signed,
            actor=radiologist,
            password=PASSWORD,
            sections={"impression": "Bleed."},
            critical=True,
            critical_finding="Bleed",
        )

    pages = [
        (radiologist, "/reports/"),
        (radiologist, "/reports/transcription/"),
        (lead, "/reports/critical/"),
        (radiologist, "/api/v1/reports/"),
        (referring_doctor, "/portal/"),
        (referring_doctor, "/api/v1/critical-results/"),
    ]

    def measure():
        counts = []
        for user, url in pages:
            login(client, user)
            counts.append(queries(client, url))
        return counts

    add()
    few = measure()
    for _ in range(3):
        add()
    assert measure() == few
