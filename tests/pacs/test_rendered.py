"""Rendered frames and thumbnails: JPEG or PNG, windowed, sized, cached; bad parameters answered 400/406."""

import io

import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from pacs import services, storage
from pacs.models import Instance
from tests.pacs.conftest import write_series


@pytest.fixture
def ct(storage_root, db, tmp_path):
    _uid, paths = write_series(tmp_path / "s", 3, size=256)
    for path in paths:
        services.ingest_file(path, source="X", owned=False)
    return Instance.objects.get(instance_number=2)


def url(instance, suffix):
    return (
        f"/dicomweb/studies/{instance.series.study.study_instance_uid}/series/"
        f"{instance.series.series_instance_uid}/instances/{instance.sop_instance_uid}/{suffix}"
    )


def image(response):
    return Image.open(io.BytesIO(response.content))


def test_a_rendered_frame_is_a_windowed_jpeg_of_the_requested_size(client, radiologist, ct):
    client.force_login(radiologist)
    response = client.get(url(ct, "rendered"), {"window": "40,400", "viewport": "128,128"}, HTTP_ACCEPT="image/jpeg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    picture = image(response)
    assert (picture.format, picture.size, picture.mode) == ("JPEG", (128, 128), "L")
    png = client.get(url(ct, "frames/1/rendered"), HTTP_ACCEPT="image/png")
    assert (image(png).format, image(png).size) == ("PNG", (256, 256))
    assert len(list((storage.root() / ".cache").rglob("*.*"))) == 2


def test_thumbnails_exist_at_every_level_and_are_small(client, radiologist, ct):
    client.force_login(radiologist)
    study = ct.series.study.study_instance_uid
    series = ct.series.series_instance_uid
    for path in (
        f"/dicomweb/studies/{study}/thumbnail",
        f"/dicomweb/studies/{study}/series/{series}/thumbnail",
        url(ct, "thumbnail"),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert max(image(response).size) <= 128


def test_compressed_images_render_too(client, radiologist, storage_root):
    stored = services.ingest_file(get_testdata_file("JPEG2000.dcm", download=False), source="X", owned=False)
    client.force_login(radiologist)
    response = client.get(url(stored.instance, "rendered"))
    assert response.status_code == 200
    assert image(response).size == (stored.instance.columns, stored.instance.rows)


@pytest.mark.parametrize(
    ("params", "accept", "status"),
    [
        ({"window": "40"}, "image/jpeg", 400),
        ({"window": "40,-5"}, "image/jpeg", 400),
        ({"viewport": "0,10"}, "image/jpeg", 400),
        ({"quality": "500"}, "image/jpeg", 400),
        ({}, "image/gif", 406),
    ],
)
def test_bad_rendering_requests_are_refused(client, radiologist, ct, params, accept, status):
    client.force_login(radiologist)
    assert client.get(url(ct, "rendered"), params, HTTP_ACCEPT=accept).status_code == status


def test_a_frame_that_does_not_exist_is_400(client, radiologist, ct):
    client.force_login(radiologist)
    response = client.get(url(ct, "frames/5/rendered"))
    assert response.status_code == 400
    assert response.content.decode() == "The instance has 1 frame(s)."
