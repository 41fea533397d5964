"""Front desk, in a real browser: sign in, register a patient, enter an order."""

import pytest

from ris.orders.models import Order
from ris.patients.models import Patient
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_front_desk_registers_a_patient_and_enters_an_order(page, live_server, front_desk, ct_head, referring_doctor):
    sign_in(page, live_server, "fiona", PASSWORD)
    page.get_by_role("link", name="Register a patient").first.click()

    page.get_by_label("Family name").fill("Nguyễn")
    page.get_by_label("Given name").fill("Thị Lan")
    page.get_by_label("Date of birth").fill("1988-09-30")
    page.get_by_label("Sex").select_option("F")
    page.get_by_label("Phone").fill("+1 555 0199")
    page.get_by_role("button", name="Save").click()

    page.wait_for_url("**/patients/*/")
    patient = Patient.objects.get()
    assert page.locator("h1").inner_text() == "NGUYỄN, Thị Lan"
    assert f"registered with MRN {patient.mrn}" in page.locator(".messages").inner_text()

    page.get_by_role("link", name="New order").click()
    page.get_by_label("Procedure").select_option(label="CT-HEAD CT head without contrast")
    page.get_by_label("Priority").select_option("stat")
    page.get_by_label("Reason for exam").fill("Thunderclap headache")
    page.get_by_label("ICD-10 codes").fill("R51.9")
    page.get_by_label("Referring physician").select_option(label="Drhouse Test")
    page.get_by_role("button", name="Enter order").click()

    page.wait_for_url("**/orders/*/")
    order = Order.objects.get()
    assert (order.patient, order.procedure, order.priority, order.icd10_codes) == (patient, ct_head, "stat", ["R51.9"])
    assert order.referring_physician == referring_doctor
    assert page.locator("h1").inner_text() == f"Order {order.accession_number} Ordered"
    assert f"Order {order.accession_number} entered." in page.locator(".messages").inner_text()


def test_the_order_form_shows_field_errors_and_keeps_what_was_typed(page, live_server, front_desk, patient, ct_head):
    sign_in(page, live_server, "fiona", PASSWORD)
    page.goto(f"{live_server.url}/orders/new/{patient.pk}/")
    page.get_by_label("Procedure").select_option(label="CT-HEAD CT head without contrast")
    page.get_by_label("Reason for exam").fill("Fall from ladder")
    page.get_by_label("ICD-10 codes").fill("R51, XYZ")
    page.get_by_role("button", name="Enter order").click()

    errors = page.locator(".errorlist").all_inner_texts()
    assert errors == [
        "“R51” is a category; use a more specific code (for example R51.0).\n“XYZ” is not an ICD-10-CM code."
    ]
    assert page.get_by_label("Reason for exam").input_value() == "Fall from ladder"
    assert Order.objects.count() == 0
