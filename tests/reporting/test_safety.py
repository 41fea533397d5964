"""Refusals the issue asks for, over the real interfaces: someone else's claim, a final report, another
physician's patient (portal, PDF, API, DICOMweb, WADO-URI), and shares that end when the consent is withdrawn."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from pacs import services as pacs_services
from pacs.models import Instance, Study
from reporting import services
from reporting.models import Report
from ris.audit.models import AccessLog
from ris.orders.models import Order
from ris.patients import services as patient_services
from ris.patients.models import Patient
from tests.conftest import PASSWORD, login
from tests.pacs.conftest import write_series
from tests.reporting.test_pdf import pdf_text


@pytest.fixture
def study(signed, storage_root, tmp_path):
    order = signed.order
    study_uid, paths = write_series(tmp_path / "s", 2, accession=order.accession_number, patient_name="Müller^Zoë")
    for path in paths:
        pacs_services.ingest_file(path, source="X", owned=False)
    Study.objects.filter(study_instance_uid=study_uid).update(order=order, patient=order.patient)
    return Study.objects.get(study_instance_uid=study_uid)


def _token(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}"}


def _page(response) -> tuple[int, str]:
    """Status and body without the per-response CSRF token, to compare two answers."""
    return response.status_code, re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", response.content.decode())


def _sign_form(report, **extra) -> dict:
    return {
        "section-impression": "Normal.",
        "final": "1",
        "version": report.version,
        "password": PASSWORD,
        "severity": "critical",
        **extra,
    }


def test_it_refuses_signing_someone_elses_claimed_study_in_the_ui_and_api(client, api, claimed, radiologist2):
    login(client, radiologist2)
    response = client.post(f"/reports/{claimed.pk}/sign/", _sign_form(claimed))
    assert response.status_code == 400
    assert "This study is claimed by another radiologist; only they can sign it." in response.content.decode()
    api.force_authenticate(radiologist2)
    response = api.post(
        f"/api/v1/reports/{claimed.pk}/sign/", {"sections": {"impression": "X"}, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert "only they can sign it" in str(response.json())
    report = Report.objects.get(pk=claimed.pk)
    assert (report.status, report.signer_id, report.sections["impression"]) == ("draft", None, "")


def test_it_never_edits_a_final_report_from_the_editor_or_the_api(client, api, signed, radiologist):
    login(client, radiologist)
    response = client.post(
        f"/reports/{signed.pk}/autosave/",
        {"version": signed.version, "sections": {"impression": "Changed"}},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["detail"].startswith("The report was signed before this text was saved.")
    response = client.post(f"/reports/{signed.pk}/sign/", _sign_form(signed, **{"section-impression": "Changed"}))
    assert response.status_code == 400
    assert "A final report cannot be signed as final." in response.content.decode()
    api.force_authenticate(radiologist)
    assert api.patch(f"/api/v1/reports/{signed.pk}/", {"sections": {}}, format="json").status_code == 405
    assert api.put(f"/api/v1/reports/{signed.pk}/", {"sections": {}}, format="json").status_code == 405
    response = api.post(
        f"/api/v1/reports/{signed.pk}/sign/", {"sections": {"impression": "X"}, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400
    report = Report.objects.get(pk=signed.pk)
    assert (report.status, report.sections["impression"]) == ("final", "Acute subdural haematoma.")
    assert list(report.versions.values_list("number", "sections__impression")) == [(1, "Acute subdural haematoma.")]


def test_it_keeps_the_sections_a_sign_form_did_not_post(client, claimed, radiologist):
    login(client, radiologist)
    assert client.post(f"/reports/{claimed.pk}/sign/", _sign_form(claimed)).status_code == 302
    report = Report.objects.get(pk=claimed.pk)
    assert report.sections["technique"] == "Axial CT of the head."
    assert report.sections["impression"] == "Normal."


def test_it_answers_another_physicians_image_requests_as_if_they_did_not_exist(client, signed, study, other_doctor):
    instance = Instance.objects.filter(series__study=study).select_related("series").first()
    series_uid, sop_uid = instance.series.series_instance_uid, instance.sop_instance_uid
    base = f"/dicomweb/studies/{study.study_instance_uid}"
    auth = _token(other_doctor)
    urls = [
        base,
        f"{base}/series/{series_uid}",
        f"{base}/series/{series_uid}/instances/{sop_uid}",
        f"{base}/series/{series_uid}/instances/{sop_uid}/frames/1",
        f"{base}/series/{series_uid}/instances/{sop_uid}/rendered",
        f"{base}/thumbnail",
    ]
    for url in urls:
        assert client.get(url, **auth).status_code == 404, url
    assert client.get(f"{base}/series", **auth).status_code in (204, 404)
    wado = {
        "requestType": "WADO",
        "studyUID": study.study_instance_uid,
        "seriesUID": series_uid,
        "objectUID": sop_uid,
        "contentType": "application/dicom",
    }
    theirs = _page(client.get("/wado", wado, **auth))
    assert theirs[0] == 404
    assert theirs == _page(client.get("/wado", {**wado, "objectUID": "1.2.3.4"}, **auth))


def test_it_answers_another_physicians_report_as_if_it_did_not_exist(client, signed, other_doctor):
    login(client, other_doctor)
    theirs = _page(client.get(f"/portal/reports/{signed.pk}/pdf/"))
    assert theirs[0] == 404
    assert theirs == _page(client.get("/portal/reports/999999/pdf/"))
    theirs = _page(client.get(f"/portal/orders/{signed.order_id}/"))
    assert theirs[0] == 404
    assert theirs == _page(client.get("/portal/orders/999999/"))
    assert client.get(f"/reports/{signed.pk}/").status_code == 403  # the department's pages: not for referrers
    assert client.get("/reports/999999/").status_code == 403
    denied = set(AccessLog.objects.filter(user=other_doctor, outcome="denied").values_list("object_type", "object_id"))
    assert {("reporting.report", str(signed.pk)), ("orders.order", str(signed.order_id))} <= denied


def test_it_ends_every_share_when_the_patient_withdraws_consent(
    client, signed, study, referring_doctor, other_doctor, front_desk
):
    patient = signed.order.patient
    patient_services.record_consent(patient=patient, actor=front_desk, kind="telemedicine_sharing", decision="granted")
    services.share_study(
        study=study, actor=referring_doctor, with_user=other_doctor, expires_at=timezone.now() + dt.timedelta(days=2)
    )
    auth = _token(other_doctor)
    metadata = f"/dicomweb/studies/{study.study_instance_uid}/metadata"
    assert client.get(metadata, **auth).status_code == 200
    assert other_doctor.has_perm("pacs.view_study", study)
    patient_services.record_consent(
        patient=patient, actor=front_desk, kind="telemedicine_sharing", decision="withdrawn"
    )
    assert client.get(metadata, **auth).status_code == 404
    assert list(Order.objects.for_user(other_doctor)) == []
    assert list(Patient.objects.for_user(other_doctor)) == []
    assert list(Study.objects.for_user(other_doctor)) == []
    assert list(Report.objects.for_user(other_doctor)) == []
    assert not type(other_doctor).objects.get(pk=other_doctor.pk).has_perm("pacs.view_study", study)
    login(client, other_doctor)
    assert client.get(f"/portal/orders/{signed.order_id}/").status_code == 404
    # The referring physician's own view is untouched, and a new consent brings the unexpired share back.
    assert list(Order.objects.for_user(referring_doctor)) == [signed.order]
    patient_services.record_consent(patient=patient, actor=front_desk, kind="telemedicine_sharing", decision="granted")
    assert list(Study.objects.for_user(other_doctor)) == [study]


def test_it_shows_the_referrer_the_signed_preliminary_text_not_the_unsigned_edits(
    client, api, claimed, radiologist, radiologist2, referring_doctor
):
    services.sign_report(
        report=claimed, actor=radiologist, password=PASSWORD, final=False, sections={"impression": "Signed prelim."}
    )
    report = services.claim_report(order=claimed.order, actor=radiologist2)  # the attending takes it over
    services.autosave_report(
        report=report, actor=radiologist2, sections={"impression": "Unsigned rewrite."}, version=report.version
    )
    login(client, referring_doctor)
    page = client.get(f"/portal/orders/{claimed.order_id}/").content.decode()
    assert "Signed prelim." in page
    assert "Unsigned rewrite." not in page
    pdf = pdf_text(client.get(f"/portal/reports/{claimed.pk}/pdf/"))
    assert "Signed prelim." in pdf
    assert "Unsigned rewrite." not in pdf
    api.force_authenticate(referring_doctor)
    [row] = api.get("/api/v1/reports/").json()["results"]
    assert {s["key"]: s["text"] for s in row["sections"]}["impression"] == "Signed prelim."
    # The attending's editor keeps the rewrite.
    assert Report.objects.get(pk=claimed.pk).sections["impression"] == "Unsigned rewrite."


def test_it_lets_only_its_author_sign_a_draft_addendum(client, signed, radiologist, radiologist2):
    with pytest.raises(services.StaleReport):
        services.autosave_report(report=signed, actor=radiologist, sections={"findings": "Late text."}, version=1)
    draft = signed.addenda.get()
    login(client, radiologist2)
    response = client.post(
        f"/reports/{signed.pk}/addendum/", {"text": "My own note.", "password": PASSWORD, "draft": draft.pk}
    )
    assert response.status_code == 302
    rows = [(a.author.username, a.text, a.signed_at is None) for a in signed.addenda.order_by("id")]
    assert rows == [("rita", "Findings: Late text.", True), ("ravi", "My own note.", False)]
    services.add_addendum(report=signed, actor=radiologist2, password=PASSWORD, text="Again.", draft=draft)
    assert signed.addenda.get(pk=draft.pk).signed_at is None
