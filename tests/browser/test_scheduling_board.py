"""In a real browser on a tablet-sized screen: the front desk books an exam on the calendar and sees it on the
board, which then updates by itself when the patient arrives."""

import datetime as dt

import pytest
from django.utils import timezone

from ris.orders import services as order_services
from scheduling import services
from scheduling.models import Appointment, Resource, WorkingHours
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tablet(browser):
    context = browser.new_context(viewport={"width": 820, "height": 1180}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_front_desk_books_on_the_calendar_and_the_board_shows_it_live(
    tablet, live_server, settings, front_desk, patient, ct_head
):
    settings.LUMEN_BOARD_REFRESH_SECONDS = 1
    resource = Resource.objects.create(code="CT1", name="CT Scanner 1", modality_type="CT")
    for weekday in range(7):
        WorkingHours.objects.create(resource=resource, weekday=weekday, opens=dt.time(7), closes=dt.time(19))
    order = order_services.create_order(actor=front_desk, patient=patient, procedure=ct_head, reason="Headache")
    day = timezone.localdate() + dt.timedelta(days=1)

    sign_in(tablet, live_server, "fiona", PASSWORD)
    tablet.goto(f"{live_server.url}/scheduling/?date={day:%Y-%m-%d}")
    tablet.get_by_role("link", name="Book on the calendar").click()
    tablet.wait_for_url(f"**/scheduling/?order={order.pk}*")
    tablet.get_by_role("button", name="Book at 10:00").click()
    tablet.wait_for_url("**/scheduling/appointments/*/")
    appointment = Appointment.objects.get()
    assert timezone.localtime(appointment.start).strftime("%Y-%m-%d %H:%M") == f"{day:%Y-%m-%d} 10:00"
    assert "Booked" in tablet.locator(".messages").inner_text()

    tablet.goto(f"{live_server.url}/scheduling/board/?date={day:%Y-%m-%d}")
    row = tablet.locator(f'tr[data-order="{order.accession_number}"]')
    assert row.get_attribute("data-state") == "scheduled"
    assert "MÜLLER, Zoë" in row.inner_text()

    services.mark_arrived(actor=front_desk, appointment=appointment)  # at the desk, elsewhere
    tablet.wait_for_selector(f'tr[data-order="{order.accession_number}"][data-state="arrived"]', timeout=5000)
    assert tablet.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_front_desk_moves_an_appointment_by_dragging_it(page, live_server, front_desk, patient, ct_head):
    resource = Resource.objects.create(code="CT1", name="CT Scanner 1", modality_type="CT")
    for weekday in range(7):
        WorkingHours.objects.create(resource=resource, weekday=weekday, opens=dt.time(7), closes=dt.time(19))
    order = order_services.create_order(actor=front_desk, patient=patient, procedure=ct_head, reason="Headache")
    day = timezone.localdate() + dt.timedelta(days=1)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
    appointment = services.book_appointment(actor=front_desk, order=order, resource=resource, start=start)

    sign_in(page, live_server, "fiona", PASSWORD)
    page.goto(f"{live_server.url}/scheduling/?resource={resource.pk}&date={day:%Y-%m-%d}")
    # Headless Chromium does not run a native drag from synthetic mouse input, so the drag events are dispatched
    # as the browser would send them; the page's own handlers do the rest.
    page.evaluate(
        """([source, target]) => {
            const data = new DataTransfer();
            const fire = (el, type) =>
                el.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: data}));
            const a = document.querySelector(source), row = document.querySelector(target);
            fire(a, "dragstart"); fire(row, "dragenter"); fire(row, "dragover"); fire(row, "drop");
        }""",
        ["a[data-move]", f'tr[data-start="{day:%Y-%m-%d}T11:30"]'],
    )
    page.wait_for_url("**/scheduling/appointments/*/")
    appointment.refresh_from_db()
    assert timezone.localtime(appointment.start).strftime("%H:%M") == "11:30"
    assert "Appointment moved." in page.locator(".messages").inner_text()
