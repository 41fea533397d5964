"""The HL7 pages fit a phone-sized screen (real Chromium): message log, one message segment by segment,
dead letters, partners."""

import pytest

from ris.hl7 import services
from ris.hl7.models import Message, Partner
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD
from tests.hl7.conftest import adt, orm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_hl7_pages_fit_a_390px_wide_phone(phone, live_server, admin_user, ct_head):
    services.receive(adt("A04", "PHONE1").encode())
    services.receive(orm("PHONE2", code="UNKNOWN-CODE-THAT-IS-LONG").encode())
    partner = Partner.objects.create(name="EHR", host="10.1.2.3", port=2575, application="EPIC")
    sign_in(phone, live_server, "ada", PASSWORD)
    pages = [
        "/hl7/",
        f"/hl7/messages/{Message.objects.get(control_id='PHONE1').pk}/",
        f"/hl7/messages/{Message.objects.get(control_id='PHONE2').pk}/",
        "/hl7/dead-letters/",
        "/hl7/partners/",
        f"/hl7/partners/{partner.pk}/",
    ]
    too_wide = {}
    for path in pages:
        phone.goto(f"{live_server.url}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            too_wide[path] = width
    assert too_wide == {}
    phone.goto(f"{live_server.url}{pages[1]}")
    assert phone.get_by_role("cell", name="Patient name").is_visible()
