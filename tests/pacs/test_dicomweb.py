"""DICOMweb: QIDO-RS, WADO-RS, STOW-RS and WADO-URI through real HTTP details (Django test client)."""

import hashlib
import json
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file
from rest_framework.authtoken.models import Token

from pacs import services
from pacs.dicomweb import multipart
from pacs.models import Instance, Study
from ris.audit.models import AccessLog
from tests.pacs.conftest import write_series


@pytest.fixture
def archive(storage_root, db, tmp_path):
    study_uid, paths = write_series(tmp_path / "a", 3, accession="ACC1", patient_name="Müller^Zoë")
    other_uid, _ = write_series(tmp_path / "b", 1, accession="ACC2", patient_name="Other^Ann", study_date="20250101")
    for path in [*paths, *sorted((tmp_path / "b").iterdir())]:
        services.ingest_file(path, source="X", owned=False)
    return study_uid, other_uid, paths


@pytest.fixture
def reader(client, radiologist):
    client.force_login(radiologist)
    return client


def body_parts(response):
    _media, params = multipart.parameters(response["Content-Type"])
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return multipart.split(content, params["boundary"])


def test_qido_searches_studies_with_matching_and_paging(reader, archive):
    study_uid, other_uid, _paths = archive
    response = reader.get("/dicomweb/studies", {"PatientName": "müller*"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/dicom+json"
    found = response.json()
    assert [d["0020000D"]["Value"][0] for d in found] == [study_uid]
    assert found[0]["00201208"]["Value"] == [3]
    assert found[0]["00081190"]["Value"] == [f"http://testserver/dicomweb/studies/{study_uid}"]
    page = reader.get("/dicomweb/studies", {"limit": 1})
    assert len(page.json()) == 1
    assert page["Warning"].startswith("299")
    assert "offset=1" in page["Link"]
    assert reader.get("/dicomweb/studies", {"StudyDate": "20250101-20251231"}).json()[0]["0020000D"]["Value"] == [
        other_uid
    ]
    assert reader.get("/dicomweb/studies", {"AccessionNumber": "NOPE"}).status_code == 204


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "-1"}, "limit must be at least 1 and offset at least 0."),
        ({"limit": "ten"}, "limit and offset must be whole numbers."),
        ({"Frobnicate": "1"}, "“Frobnicate” is not a DICOM attribute or a QIDO-RS parameter."),
        ({"StudyDate": "yesterday"}, "“yesterday” is not a DA value or range."),
        ({"includefield": "Nonsense"}, "includefield: “Nonsense” is not a DICOM attribute."),
        ({"QueryRetrieveLevel": "IMAGE"}, "QueryRetrieveLevel is not a QIDO-RS parameter: the URL gives the level."),
    ],
)
def test_malformed_qido_parameters_get_400_with_the_reason(reader, archive, params, message):
    response = reader.get("/dicomweb/studies", params)
    assert response.status_code == 400
    assert response.content.decode() == message


@pytest.mark.parametrize("name", ["SeriesNumber", "00200011"])
def test_a_number_that_is_not_one_gets_400_not_a_server_error(reader, archive, name):
    response = reader.get("/dicomweb/series", {name: "1.5.x"})
    assert response.status_code == 400
    assert response.content.decode() == "“1.5.x” is not an integer string."


def test_series_and_instances_are_searched_within_their_study(reader, archive):
    study_uid, _other, _paths = archive
    series = reader.get(f"/dicomweb/studies/{study_uid}/series").json()
    assert [s["00080060"]["Value"] for s in series] == [["CT"]]
    series_uid = series[0]["0020000E"]["Value"][0]
    instances = reader.get(f"/dicomweb/studies/{study_uid}/series/{series_uid}/instances").json()
    assert sorted(i["00200013"]["Value"][0] for i in instances) == [1, 2, 3]


def test_wado_rs_retrieves_instances_byte_identical_as_multipart(reader, archive):
    study_uid, _other, paths = archive
    response = reader.get(f"/dicomweb/studies/{study_uid}", HTTP_ACCEPT='multipart/related; type="application/dicom"')
    assert response.status_code == 200
    assert response["Content-Type"].startswith('multipart/related; type="application/dicom"; boundary=')
    parts = body_parts(response)
    assert len(parts) == 3
    stored = {i.sha256 for i in Instance.objects.filter(series__study__study_instance_uid=study_uid)}
    assert {hashlib.sha256(content).hexdigest() for _h, content in parts} == stored
    assert reader.get(f"/dicomweb/studies/{study_uid}", HTTP_ACCEPT="image/png").status_code == 406
    assert reader.get("/dicomweb/studies/1.2.3.4").status_code == 404


def test_metadata_comes_from_the_index_with_absolute_bulk_data_uris(reader, archive):
    study_uid, _other, _paths = archive
    documents = reader.get(f"/dicomweb/studies/{study_uid}/metadata")
    documents = json.loads(b"".join(documents.streaming_content))
    assert len(documents) == 3
    uri = documents[0]["7FE00010"]["BulkDataURI"]
    assert uri.startswith(f"http://testserver/dicomweb/studies/{study_uid}/series/")
    assert uri.endswith("/bulkdata/7FE00010")
    bulk = reader.get(uri.replace("http://testserver", ""))
    assert len(body_parts(bulk)[0][1]) == 64 * 64 * 2


def test_frames_are_returned_raw_for_uncompressed_images(reader, archive):
    study_uid, _other, paths = archive
    instance = Instance.objects.get(instance_number=2, series__study__study_instance_uid=study_uid)
    url = (
        f"/dicomweb/studies/{study_uid}/series/{instance.series.series_instance_uid}/instances/"
        f"{instance.sop_instance_uid}/frames/1"
    )
    response = reader.get(url, HTTP_ACCEPT='multipart/related; type="application/octet-stream"')
    assert response.status_code == 200
    assert body_parts(response)[0][1] == dcmread(paths[1]).PixelData
    assert reader.get(url[:-1] + "9").status_code == 404
    assert reader.get(url[:-1] + "x").status_code == 400


def test_stow_stores_good_instances_and_reports_bad_ones(client, technologist, storage_root, tmp_path):
    client.force_login(technologist)
    _uid, paths = write_series(tmp_path / "s", 2)
    mark = "XyZ"
    parts = [("application/dicom", [p.read_bytes()]) for p in paths]
    truncated = Path(get_testdata_file("MR_truncated.dcm", download=False)).read_bytes()
    parts.append(("application/dicom", [truncated]))
    body = b"".join(multipart.stream(parts, mark))
    response = client.post(
        "/dicomweb/studies", body, content_type=f'multipart/related; type="application/dicom"; boundary={mark}'
    )
    assert response.status_code == 202
    document = response.json()
    assert len(document["00081199"]["Value"]) == 2
    assert document["00081198"]["Value"] == [{"00081197": {"vr": "US", "Value": [0xC000]}}]
    assert Instance.objects.count() == 2
    assert client.post("/dicomweb/studies", b"x", content_type="application/dicom").status_code == 415


def test_stow_is_not_for_billing_and_dicomweb_needs_credentials(client, billing_clerk, db):
    assert client.get("/dicomweb/studies").status_code == 401
    client.force_login(billing_clerk)
    assert client.post("/dicomweb/studies", b"", content_type="multipart/related; boundary=x").status_code == 403


def test_a_token_reads_and_a_referrer_sees_only_their_studies(client, referring_doctor, archive, patient, make_order):
    study_uid, _other, _paths = archive
    token = Token.objects.create(user=referring_doctor)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    assert client.get("/dicomweb/studies", **auth).status_code == 204
    assert client.get(f"/dicomweb/studies/{study_uid}", **auth).status_code == 404
    order = make_order(patient, referring_physician=referring_doctor)
    Study.objects.filter(study_instance_uid=study_uid).update(order=order, patient=patient)
    assert [d["0020000D"]["Value"][0] for d in client.get("/dicomweb/studies", **auth).json()] == [study_uid]
    assert AccessLog.objects.filter(channel="api", object_type="dicomweb.study").count() == 2


def test_a_remembered_token_stops_working_when_revoked_deactivated_or_its_role_is_taken(client, radiologist, archive):
    from django.contrib.auth.models import Group

    token = Token.objects.create(user=radiologist)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    assert client.get("/dicomweb/studies", **auth).status_code == 200
    assert client.get("/dicomweb/studies", **auth).status_code == 200  # answered from the remembered token
    radiologist.groups.remove(Group.objects.get(name="radiologist"))
    assert client.get("/dicomweb/studies", **auth).status_code == 403
    radiologist.groups.add(Group.objects.get(name="radiologist"))
    assert client.get("/dicomweb/studies", **auth).status_code == 200
    radiologist.is_active = False
    radiologist.save()
    assert client.get("/dicomweb/studies", **auth).status_code == 401
    radiologist.is_active = True
    radiologist.save()
    assert client.get("/dicomweb/studies", **auth).status_code == 200
    token.delete()
    assert client.get("/dicomweb/studies", **auth).status_code == 401
    entries = AccessLog.objects.filter(channel="api", object_type="dicomweb.study")
    assert entries.count() == 4
    assert set(entries.values_list("username", flat=True)) == {radiologist.username}


def test_wado_uri_returns_the_stored_file(reader, archive):
    study_uid, _other, paths = archive
    instance = Instance.objects.filter(series__study__study_instance_uid=study_uid).first()
    params = {
        "requestType": "WADO",
        "studyUID": study_uid,
        "seriesUID": instance.series.series_instance_uid,
        "objectUID": instance.sop_instance_uid,
        "contentType": "application/dicom",
    }
    response = reader.get("/wado", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/dicom"
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == instance.sha256
    assert reader.get("/wado", {**params, "contentType": "image/gif"}).status_code == 406
    assert reader.get("/wado", {"requestType": "WADO"}).status_code == 400


def test_a_session_stow_without_the_csrf_token_is_refused(technologist, storage_root):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(technologist)
    response = browser.post("/dicomweb/studies", b"--x--", content_type="multipart/related; boundary=x")
    assert response.status_code == 403
    assert response.content.decode() == "CSRF check failed."


def test_wado_uri_renders_jpeg_by_default(reader, archive):
    study_uid, _other, _paths = archive
    instance = Instance.objects.filter(series__study__study_instance_uid=study_uid).first()
    params = {
        "requestType": "WADO",
        "studyUID": study_uid,
        "seriesUID": instance.series.series_instance_uid,
        "objectUID": instance.sop_instance_uid,
        "windowCenter": "40",
        "windowWidth": "400",
        "columns": "32",
    }
    response = reader.get("/wado", params)
    assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")
    assert response.content[:2] == b"\xff\xd8"


def test_an_oversized_stow_is_refused_with_413(client, technologist, storage_root, settings):
    settings.LUMEN_STOW_MAX_BYTES = 1024
    client.force_login(technologist)
    body = b"--x\r\nContent-Type: application/dicom\r\n\r\n" + b"\0" * 2048 + b"\r\n--x--\r\n"
    response = client.post("/dicomweb/studies", body, content_type="multipart/related; boundary=x")
    assert response.status_code == 413
    assert response.content.decode() == "The upload is larger than 1024 bytes."


def test_cors_is_granted_to_configured_origins_only(client, radiologist, archive, settings):
    settings.LUMEN_CORS_ORIGINS = ["https://reader.example.org"]
    token = Token.objects.create(user=radiologist)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    allowed = client.get("/dicomweb/studies", HTTP_ORIGIN="https://reader.example.org", **auth)
    assert allowed["Access-Control-Allow-Origin"] == "https://reader.example.org"
    assert "Access-Control-Allow-Credentials" not in allowed
    other = client.get("/dicomweb/studies", HTTP_ORIGIN="https://evil.example.com", **auth)
    assert "Access-Control-Allow-Origin" not in other
    preflight = client.options(
        "/dicomweb/studies", HTTP_ORIGIN="https://reader.example.org", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert (preflight.status_code, preflight["Access-Control-Allow-Headers"]) == (
        204,
        "Authorization, Accept, Content-Type",
    )


def test_a_stow_body_cut_short_keeps_the_complete_instances(client, technologist, storage_root, tmp_path):
    client.force_login(technologist)
    _uid, paths = write_series(tmp_path / "s", 2)
    body = b"".join(multipart.stream([("application/dicom", [p.read_bytes()]) for p in paths], "cut"))
    response = client.post(
        "/dicomweb/studies", body[: len(body) - 5000], content_type="multipart/related; boundary=cut"
    )
    assert response.status_code == 202
    assert len(response.json()["00081199"]["Value"]) == 1
    assert response.json()["00081198"]["Value"] == [{"00081197": {"vr": "US", "Value": [0xC000]}}]
    assert Instance.objects.count() == 1
    assert (
        client.post("/dicomweb/studies", b"nothing", content_type="multipart/related; boundary=cut").status_code == 400
    )


def test_stow_to_a_study_url_refuses_instances_of_other_studies_without_storing_them(
    client, technologist, storage_root, tmp_path
):
    client.force_login(technologist)
    study_uid, mine = write_series(tmp_path / "mine", 1)
    _other, theirs = write_series(tmp_path / "theirs", 1)
    body = b"".join(multipart.stream([("application/dicom", [p.read_bytes()]) for p in (*mine, *theirs)], "m"))
    response = client.post(f"/dicomweb/studies/{study_uid}", body, content_type="multipart/related; boundary=m")
    assert response.status_code == 202
    failure = response.json()["00081198"]["Value"][0]
    assert failure["00081197"]["Value"] == [0xA900]
    assert failure["00081155"]["Value"] == [str(dcmread(theirs[0]).SOPInstanceUID)]
    assert list(Instance.objects.values_list("series__study__study_instance_uid", flat=True)) == [study_uid]


def test_a_token_read_while_it_was_being_changed_is_not_remembered(rf, radiologist, monkeypatch):
    from pacs.dicomweb import auth

    token = Token.objects.create(user=radiologist)
    request = rf.get("/dicomweb/studies", HTTP_AUTHORIZATION=f"Token {token.key}")
    real = Token.objects.select_related

    def changed_meanwhile(*args):
        auth._forget()  # another request changed a token or user while this look-up ran
        return real(*args)

    monkeypatch.setattr(Token.objects, "select_related", changed_meanwhile)
    assert auth._token_user(request).pk == radiologist.pk
    assert token.key not in auth._tokens  # what it read may be stale: not kept
    monkeypatch.undo()
    assert auth._token_user(request).pk == radiologist.pk
    assert token.key in auth._tokens
