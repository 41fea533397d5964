"""The study page previews images in a real browser: series thumbnails load, a click shows a rendered image
that the slider scrolls through, on a phone-sized screen."""

import pytest

from pacs import services
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD
from tests.pacs.conftest import write_series

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_phone_preview_shows_thumbnails_and_scrolls_rendered_images(
    phone, live_server, radiologist, storage_root, tmp_path
):
    _uid, paths = write_series(tmp_path / "s", 4, size=128)
    for path in paths:
        stored = services.ingest_file(path, source="X", owned=False)
    sign_in(phone, live_server, "rita", PASSWORD)
    phone.goto(f"{live_server.url}/studies/{stored.study.pk}/")
    phone.wait_for_function(
        "document.querySelector('.thumb img') && document.querySelector('.thumb img').naturalWidth > 0"
    )
    phone.locator(".thumb").first.click()
    frame = phone.locator("[data-frame]")
    phone.wait_for_function("document.querySelector('[data-frame]').naturalWidth > 0")
    assert phone.locator("[data-position]").inner_text() == "2 / 4"
    first_src = frame.get_attribute("src")
    phone.locator("[data-slider]").fill("4")
    assert phone.locator("[data-position]").inner_text() == "4 / 4"
    assert frame.get_attribute("src") != first_src
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
