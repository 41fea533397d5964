"""Every page fits a phone-sized screen: nothing wider than the viewport, navigation reachable."""

import pytest

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_front_desk_pages_fit_a_390px_wide_phone(phone, live_server, front_desk, patient, make_order, tmp_path):
    order = make_order(patient)
    sign_in(phone, live_server, "fiona", PASSWORD)
    pages = [
        "/",
        "/patients/?q=muller",
        f"/patients/{patient.pk}/",
        "/patients/new/",
        f"/orders/new/{patient.pk}/",
        "/orders/",
        f"/orders/{order.pk}/",
        "/equipment/",
        "/accounts/password/",
    ]
    too_wide = {}
    for path in pages:
        phone.goto(f"{live_server.url}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            too_wide[path] = width
    assert too_wide == {}
    phone.goto(f"{live_server.url}/patients/{patient.pk}/")
    phone.screenshot(path=str(tmp_path / "patient-phone.png"), full_page=True)
    assert phone.get_by_role("link", name="New order").is_visible()


def test_the_sign_in_and_audit_pages_fit_a_phone(phone, live_server, admin_user):
    phone.goto(f"{live_server.url}/accounts/login/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    sign_in(phone, live_server, "ada", PASSWORD)
    phone.goto(f"{live_server.url}/audit/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.locator("td[data-label='Action']").first.inner_text() == "Signed in"
