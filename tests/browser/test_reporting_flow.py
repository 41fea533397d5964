"""Reporting in a real browser: a radiologist claims a study, writes from the template, signs with a critical
result; the referring physician sees the report on the portal and acknowledges the critical result."""

import pytest

from reporting.models import CriticalResult, Report, ReportTemplate
from ris.orders import services as order_services
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def waiting_exam(patient, make_order, technologist, referring_doctor, ct_head):
    ReportTemplate.objects.create(
        name="CT head",
        procedure=ct_head,
        sections=[
            {"key": "technique", "title": "Technique", "text": "Axial CT of the head.", "choices": []},
            {"key": "findings", "title": "Findings", "text": "", "choices": ["No mass effect."]},
            {"key": "impression", "title": "Impression", "text": "", "choices": []},
        ],
        macros={"sdh": "Acute subdural haematoma."},
    )
    order = make_order(patient, referring_physician=referring_doctor, priority="stat")
    for status in ("arrived", "in_progress", "completed"):
        order = order_services.change_order_status(order=order, to=status, actor=technologist)
    return order


def test_a_report_goes_from_worklist_to_the_referrers_acknowledgement(
    page, browser, live_server, radiologist, referring_doctor, waiting_exam
):
    sign_in(page, live_server, "rita", PASSWORD)
    page.get_by_role("link", name="Reporting").click()
    page.get_by_role("button", name=f"Claim {waiting_exam.accession_number}").click()
    page.wait_for_url("**/reports/*/")
    report = Report.objects.get(order=waiting_exam)
    assert page.get_by_label("Technique", exact=True).input_value() == "Axial CT of the head."

    page.get_by_role("button", name="No mass effect.").click()
    page.get_by_label("Findings", exact=True).press("End")
    page.get_by_label("Findings", exact=True).type(" Crescentic left collection.")
    page.get_by_label("Impression", exact=True).type(".sdh ")
    assert page.get_by_label("Impression", exact=True).input_value() == "Acute subdural haematoma. "
    page.wait_for_function("document.getElementById('autosave-status').textContent.startsWith('Saved')")
    assert Report.objects.get(pk=report.pk).sections["findings"] == "No mass effect. Crescentic left collection."

    page.get_by_label("Critical / urgent finding").check()
    page.get_by_label("Critical finding").fill("Acute subdural haematoma")
    page.get_by_role("button", name="Sign report").click()
    assert "Enter your password again to sign." in page.locator(".errorlist").first.inner_text()
    page.get_by_label("Password (to sign)").fill(PASSWORD)
    page.get_by_label("Critical / urgent finding").check()
    page.get_by_role("button", name="Sign report").click()
    page.wait_for_selector(".messages")
    assert page.locator(".messages").inner_text() == "Report signed (final)."
    report.refresh_from_db()
    assert (report.status, report.signer, report.critical) == ("final", radiologist, True)
    assert report.sections["impression"] == "Acute subdural haematoma. "

    house = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    house.set_default_timeout(10_000)
    sign_in(house, live_server, "drhouse", PASSWORD)
    assert "1 critical result waiting for your acknowledgement." in house.locator(".critical-banner").inner_text()
    house.get_by_role("link", name="Open the portal").click()
    house.get_by_role("link", name="Open").first.click()
    assert "Acute subdural haematoma." in house.locator("#rep ~ .report-text, .report-text").all_inner_texts()[-1]
    house.get_by_role("button", name="Acknowledge critical result").click()
    house.wait_for_selector("text=Acknowledged by Drhouse Test")
    critical = CriticalResult.objects.get(report=report)
    assert critical.acknowledged_by == referring_doctor
    house.goto(f"{live_server.url}/")
    assert house.locator(".critical-banner").count() == 0
    house.context.close()


def test_reporting_pages_fit_a_390px_wide_phone(phone, live_server, radiologist, waiting_exam, tmp_path):
    from reporting import services

    report = services.claim_report(order=waiting_exam, actor=radiologist)
    sign_in(phone, live_server, "rita", PASSWORD)
    too_wide = {}
    for path in ["/reports/", f"/reports/{report.pk}/", "/reports/transcription/", "/reports/critical/"]:
        phone.goto(f"{live_server.url}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            too_wide[path] = width
    phone.goto(f"{live_server.url}/reports/{report.pk}/")
    phone.screenshot(path=str(tmp_path / "editor-phone.png"), full_page=True)
    assert too_wide == {}
    assert phone.get_by_role("button", name="Sign report").is_visible()


def test_dictation_is_recorded_in_the_browser_and_attached(
    playwright, live_server, radiologist, waiting_exam, storage_root
):
    """Chromium's fake microphone feeds MediaRecorder; the recording reaches the report as webm audio."""
    from reporting import services
    from reporting.models import Dictation
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    report = services.claim_report(order=waiting_exam, actor=radiologist)
    args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
    try:
        context = browser.new_context(permissions=["microphone"])
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, live_server, "rita", PASSWORD)
        page.goto(f"{live_server.url}/reports/{report.pk}/")
        page.get_by_role("button", name="Record").click()
        page.wait_for_function("document.getElementById('dictate-status').textContent === 'Recording…'")
        page.wait_for_timeout(1500)
        page.get_by_role("button", name="Stop and attach").click()
        page.wait_for_function("document.getElementById('dictate-status').textContent.startsWith('Dictation attached')")
    finally:
        browser.close()
    dictation = Dictation.objects.get(report=report)
    assert dictation.content_type == "audio/webm"
    assert dictation.size_bytes > 1000
    assert (storage_root / dictation.path).read_bytes()[:4] == b"\x1a\x45\xdf\xa3"
