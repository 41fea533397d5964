import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.authtoken.models import Token

from pacs import services as pacs_services
from pacs.models import Study, StudyShare
from reporting import services
from ris.audit.models import AccessLog
from ris.orders.models import Order
from ris.patients import services as patient_services
from ris.patients.models import Patient
from tests.conftest import login
from tests.pacs.conftest import write_series


@pytest.fixture
def study(signed, storage_root, tmp_path):
    order = signed.order
    study_uid, paths = write_series(tmp_path / "s", 2, accession=order.accession_number, patient_name="Müller^Zoë")
    for path in paths:
        pacs_services.ingest_file(path, source="X", owned=False)
    Study.objects.filter(study_instance_uid=study_uid).update(order=order, patient=order.patient)
    return Study.objects.get(study_instance_uid=study_uid)


def consent(patient, front_desk, decision="granted"):
    patient_services.record_consent(patient=patient, actor=front_desk, kind="telemedicine_sharing", decision=decision)


def test_the_referrer_sees_status_final_report_pdf_and_images(client, signed, study, referring_doctor):
    login(client, referring_doctor)
    home = client.get("/portal/")
    assert [o.pk for o in home.context["page"].rows] == [signed.order_id]
    page = client.get(f"/portal/orders/{signed.order_id}/")
    text = page.content.decode()
    assert "Acute subdural haematoma." in text
    assert f"/viewer/viewer?StudyInstanceUIDs={study.study_instance_uid}" in text
    assert client.get(f"/portal/reports/{signed.pk}/pdf/").status_code == 200
    logged = set(AccessLog.objects.filter(user=referring_doctor).values_list("action", "object_type"))
    assert {
        ("search", "orders.order"),
        ("view", "orders.order"),
        ("view", "reporting.report"),
        ("export", "reporting.report"),
    } <= logged


def test_another_physician_gets_404_everywhere_and_the_attempt_is_logged(client, signed, study, other_doctor):
    login(client, other_doctor)
    assert client.get("/portal/").context["page"].rows == []
    assert client.get(f"/portal/orders/{signed.order_id}/").status_code == 404
    assert client.get(f"/portal/reports/{signed.pk}/pdf/").status_code == 404
    assert client.get("/portal/orders/999999/").status_code == 404
    token = Token.objects.create(user=other_doctor)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    assert client.get(f"/api/v1/reports/{signed.pk}/", **auth).status_code == 404
    assert client.get(f"/api/v1/reports/{signed.pk}/pdf/", **auth).status_code == 404
    assert client.get(f"/dicomweb/studies/{study.study_instance_uid}/metadata", **auth).status_code == 404
    assert client.get("/dicomweb/studies", **auth).status_code == 204
    denied = AccessLog.objects.filter(user=other_doctor, outcome="denied").values_list("object_type", flat=True)
    assert "orders.order" in denied


def test_a_draft_is_not_shown_to_the_referrer(client, claimed, referring_doctor, api):
    login(client, referring_doctor)
    assert client.get(f"/portal/orders/{claimed.order_id}/").context["report"] is None
    api.force_authenticate(referring_doctor)
    assert api.get(f"/api/v1/reports/{claimed.pk}/").status_code == 404


def test_sharing_needs_the_patients_consent(client, signed, study, referring_doctor, other_doctor, front_desk):
    login(client, referring_doctor)
    response = client.post(f"/portal/orders/{signed.order_id}/share/", {"with_user": "drother", "days": 2}, follow=True)
    assert "The patient has not consented to sharing with remote physicians" in response.content.decode()
    assert StudyShare.all_shares.count() == 0
    consent(signed.order.patient, front_desk, decision="refused")
    with pytest.raises(ValidationError, match="not consented"):
        services.share_study(
            study=study, actor=referring_doctor, with_user=other_doctor, expires_at=timezone.now() + dt.timedelta(1)
        )


def test_a_shared_study_is_visible_until_the_share_expires(
    client, signed, study, referring_doctor, other_doctor, front_desk
):
    consent(signed.order.patient, front_desk)
    start = timezone.now()
    login(client, referring_doctor)
    response = client.post(f"/portal/orders/{signed.order_id}/share/", {"with_user": "drother", "days": 2})
    assert response.status_code == 302
    share = StudyShare.objects.get()
    assert (share.user, share.shared_by, share.permission.codename) == (other_doctor, referring_doctor, "view_study")
    assert other_doctor.has_perm("pacs.view_study", study)  # django-guardian's backend agrees
    token = Token.objects.create(user=other_doctor)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    assert client.get(f"/dicomweb/studies/{study.study_instance_uid}/metadata", **auth).status_code == 200
    assert list(Order.objects.for_user(other_doctor)) == [signed.order]
    assert list(Patient.objects.for_user(other_doctor)) == [signed.order.patient]
    login(client, other_doctor)
    assert "Acute subdural haematoma." in client.get(f"/portal/orders/{signed.order_id}/").content.decode()
    with time_machine.travel(share.expires_at + dt.timedelta(seconds=1), tick=False):
        assert client.get(f"/dicomweb/studies/{study.study_instance_uid}/metadata", **auth).status_code == 404
        assert list(Order.objects.for_user(other_doctor)) == []
        assert not type(other_doctor).objects.get(pk=other_doctor.pk).has_perm("pacs.view_study", study)
    assert share.expires_at - start >= dt.timedelta(days=2)


def test_only_the_referrer_may_share_and_not_beyond_the_limit(
    signed, study, referring_doctor, other_doctor, front_desk
):
    consent(signed.order.patient, front_desk)
    with pytest.raises(ValidationError, match="at most 30 days"):
        services.share_study(
            study=study, actor=referring_doctor, with_user=other_doctor, expires_at=timezone.now() + dt.timedelta(31)
        )
    with pytest.raises(ValidationError, match="referring or consulting physicians only"):
        services.share_study(
            study=study, actor=referring_doctor, with_user=front_desk, expires_at=timezone.now() + dt.timedelta(1)
        )


def test_the_referrer_ends_a_share_early(client, signed, study, referring_doctor, other_doctor, front_desk):
    consent(signed.order.patient, front_desk)
    share = services.share_study(
        study=study, actor=referring_doctor, with_user=other_doctor, expires_at=timezone.now() + dt.timedelta(1)
    )
    login(client, other_doctor)
    assert client.post(f"/portal/shares/{share.pk}/revoke/").status_code == 404  # not theirs to end
    assert list(Order.objects.for_user(other_doctor)) == [signed.order]
    login(client, referring_doctor)
    assert client.post(f"/portal/shares/{share.pk}/revoke/").status_code == 302
    assert list(Order.objects.for_user(other_doctor)) == []
    assert StudyShare.all_shares.get().expires_at <= timezone.now()
