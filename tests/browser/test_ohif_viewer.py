"""The OHIF viewer, served by Lumen and fed by Lumen's DICOMweb, shows a CT study in a real Chromium (WebGL
through SwiftShader): the image renders, nothing is logged as an error, and no request leaves loopback."""

import io
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from PIL import Image, ImageStat

from pacs import services
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD
from tests.pacs.conftest import write_series

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def webgl_page(webgl_browser):
    context = webgl_browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


@pytest.mark.skipif(
    not (Path(settings.VAR_DIR) / "viewer" / "index.html").exists(), reason="run manage.py install_viewer"
)
def test_ohif_opens_a_ct_study_from_lumen(webgl_page, live_server, radiologist, storage_root, tmp_path):
    study_uid, paths = write_series(tmp_path / "ct", 8, size=256)
    for path in paths:
        services.ingest_file(path, source="X", owned=False)
    errors, foreign = [], []
    webgl_page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    webgl_page.on("pageerror", lambda exc: errors.append(str(exc)))
    webgl_page.on(
        "request",
        lambda req: (
            foreign.append(req.url)
            if urlparse(req.url).hostname not in ("localhost", "127.0.0.1")
            and not req.url.startswith(("data:", "blob:"))
            else None
        ),
    )
    sign_in(webgl_page, live_server, "rita", PASSWORD)
    webgl_page.goto(f"{live_server.url}/viewer/viewer?StudyInstanceUIDs={study_uid}")
    canvas = webgl_page.locator("canvas.cornerstone-canvas").first
    canvas.wait_for(state="visible")
    webgl_page.wait_for_timeout(3000)
    shot = Image.open(io.BytesIO(canvas.screenshot())).convert("L")
    assert ImageStat.Stat(shot).stddev[0] > 5, "the viewport is blank"
    assert foreign == []
    assert errors == []
