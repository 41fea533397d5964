"""In a real Chromium on a phone-sized screen: the billing pages fit, claims are made and the 837P downloads."""

import datetime as dt
from decimal import Decimal

import pytest

from billing import services
from billing.models import Charge, Claim, FeeScheduleEntry, Payer
from ris.orders import services as order_services
from ris.patients import services as patient_services
from tests.billing.conftest import pyx12_errors
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def released_charge(make_patient, make_order, front_desk, technologist, referring_doctor, radiologist, billing_clerk):
    payer = Payer.objects.create(name="Acme Health", payer_id="ACME01")
    FeeScheduleEntry.objects.create(
        payer=payer, code="70450", modifier="", price=Decimal("180.00"), effective_from=dt.date(2020, 1, 1)
    )
    patient = make_patient(address_line="12 Elm Street", city="Springfield", state="IL", postal_code="62701")
    patient_services.add_coverage(patient=patient, actor=front_desk, payer_name="Acme Health", member_id="ACM1")
    order = make_order(patient, referring_physician=referring_doctor)
    for status in ("arrived", "in_progress", "completed"):
        order = order_services.change_order_status(order=order, to=status, actor=technologist)
    charge = services.update_charge(
        charge=Charge.objects.get(order=order), actor=billing_clerk, rendering_npi=radiologist.provider_profile.npi
    )
    return services.release_charge(charge=charge, actor=billing_clerk)


def test_billing_pages_fit_a_phone_and_export_downloads_a_valid_837p(phone, live_server, released_charge, tmp_path):
    sign_in(phone, live_server, "bill", PASSWORD)
    too_wide = {}
    for path in [
        "/billing/",
        f"/billing/charges/{released_charge.pk}/",
        "/billing/claims/",
        "/billing/dashboard/",
        "/billing/payers/",
        "/billing/exports/",
    ]:
        phone.goto(f"{live_server.url}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            too_wide[path] = width
    assert too_wide == {}

    phone.goto(f"{live_server.url}/billing/claims/")
    phone.get_by_role("button", name="Make claims").click()
    phone.wait_for_load_state()
    assert Claim.objects.get().status == "ready"
    with phone.expect_download() as download:
        phone.get_by_role("button", name="Export ready claims").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)

    assert path.name == "claims-000000001.x12"
    assert pyx12_errors(path.read_text()) == []
    assert Claim.objects.get().status == "exported"
