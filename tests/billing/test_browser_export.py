"""In a real Chromium on a phone-sized screen: the billing pages fit, claims are made and the batch downloads."""

import pytest

from billing.models import Charge, Claim
from tests.billing.conftest import pyx12_errors
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_billing_pages_fit_a_phone_and_export_downloads_a_valid_837p(
    phone, live_server, billing_clerk, completed_order, code_and_release, tmp_path
):
    code_and_release(completed_order)
    sign_in(phone, live_server, "bill", PASSWORD)
    charge = Charge.objects.get()
    too_wide = {}
    for path in [
        "/billing/",
        f"/billing/charges/{charge.pk}/",
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
