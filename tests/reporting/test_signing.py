import pytest
from django.core.exceptions import ValidationError

from reporting import services
from reporting.models import Report, ReportVersion
from ris.events import ReportEvent, ReportSectionText, report_status_changed
from ris.orders.models import Order
from tests.conftest import PASSWORD, login


@pytest.fixture
def events():
    received: list[ReportEvent] = []

    def receiver(sender, event, **kwargs):
        received.append(event)

    report_status_changed.connect(receiver, dispatch_uid="test-events")
    yield received
    report_status_changed.disconnect(dispatch_uid="test-events")


def test_signing_final_freezes_the_text_moves_the_order_and_announces_every_field(client, claimed, radiologist, events):
    login(client, radiologist)
    response = client.post(
        f"/reports/{claimed.pk}/sign/",
        {
            "section-findings": "Small left frontal subdural haematoma.",
            "section-impression": "Acute subdural haematoma.",
            "final": "1",
            "version": claimed.version,
            "password": PASSWORD,
            "severity": "critical",
        },
    )
    assert response.status_code == 302
    report = Report.objects.get(pk=claimed.pk)
    assert report.status == "final"
    assert report.signer == radiologist
    assert report.signed_at is not None
    assert Order.objects.get(pk=report.order_id).status == "final"
    assert list(report.versions.values_list("number", "status")) == [(1, "final")]
    [event] = events
    assert event.report_id == report.pk
    assert event.order_id == report.order_id
    assert event.status == "F"
    assert event.sections[3] == ReportSectionText(
        key="findings", title="Findings", text="Small left frontal subdural haematoma."
    )
    assert event.sections[4].text == "Acute subdural haematoma."
    assert (event.author_id, event.signer_id, event.signed_at) == (radiologist.pk, radiologist.pk, report.signed_at)
    assert (event.critical, event.version, event.addenda) == (False, 1, ())


def test_signing_without_the_password_is_refused_and_changes_nothing(client, claimed, radiologist, events):
    login(client, radiologist)
    response = client.post(
        f"/reports/{claimed.pk}/sign/",
        {
            "section-impression": "Normal.",
            "final": "1",
            "version": claimed.version,
            "password": "",
            "severity": "critical",
        },
    )
    assert response.status_code == 400
    assert "Enter your password again to sign." in response.content.decode()
    assert "Normal." in response.content.decode()  # the typed text is shown again
    report = Report.objects.get(pk=claimed.pk)
    assert (report.status, report.signer, report.sections["impression"]) == ("draft", None, "")
    assert Order.objects.get(pk=claimed.order_id).status == "completed"
    assert events == []


def test_signing_someone_elses_claimed_study_is_refused(claimed, radiologist2):
    with pytest.raises(ValidationError, match="claimed by another radiologist"):
        services.sign_report(report=claimed, actor=radiologist2, password=PASSWORD, sections={"impression": "X"})
    assert Report.objects.get(pk=claimed.pk).status == "draft"


def test_an_empty_impression_cannot_be_signed(claimed, radiologist):
    with pytest.raises(ValidationError, match="Write the impression before signing."):
        services.sign_report(report=claimed, actor=radiologist, password=PASSWORD)


def test_preliminary_then_final_by_an_attending(claimed, radiologist, radiologist2, events):
    services.sign_report(
        report=claimed, actor=radiologist, password=PASSWORD, final=False, sections={"impression": "A"}
    )
    assert Order.objects.get(pk=claimed.order_id).status == "preliminary"
    report = services.claim_report(order=claimed.order, actor=radiologist2)
    report = services.sign_report(report=report, actor=radiologist2, password=PASSWORD, sections={"impression": "B"})
    assert Order.objects.get(pk=claimed.order_id).status == "final"
    assert [e.status for e in events] == ["P", "F"]
    assert [(v.number, v.status, v.sections["impression"]) for v in report.versions.all()] == [
        (1, "preliminary", "A"),
        (2, "final", "B"),
    ]


def test_a_final_report_is_never_edited_only_amended_or_addended(signed, radiologist, events):
    with pytest.raises(services.StaleReport):
        services.autosave_report(report=signed, actor=radiologist, sections={"impression": "Changed"}, version=99)
    with pytest.raises(ValidationError):
        services.sign_report(report=signed, actor=radiologist, password=PASSWORD, sections={"impression": "X"})
    amended = services.amend_report(
        report=signed, actor=radiologist, password=PASSWORD, sections={"impression": "Chronic"}, reason="Laterality"
    )
    assert amended.status == "amended"
    assert Order.objects.get(pk=signed.order_id).status == "final"
    services.add_addendum(report=amended, actor=radiologist, password=PASSWORD, text="Discussed with Dr House.")
    versions = list(ReportVersion.objects.filter(report=signed).values_list("number", "status", "sections__impression"))
    assert versions == [(1, "final", "Acute subdural haematoma."), (2, "amended", "Chronic")]
    assert [(e.status, e.version, e.addenda) for e in events] == [("C", 2, ()), ("C", 2, ("Discussed with Dr House.",))]


def test_an_addendum_needs_the_password(signed, radiologist):
    with pytest.raises(ValidationError, match="password"):
        services.add_addendum(report=signed, actor=radiologist, password="wrong", text="More")
    assert signed.addenda.count() == 0


def test_old_versions_stay_viewable(client, signed, radiologist):
    services.amend_report(
        report=signed, actor=radiologist, password=PASSWORD, sections={"impression": "Chronic"}, reason="Laterality"
    )
    login(client, radiologist)
    page = client.get(f"/reports/{signed.pk}/versions/1/").content.decode()
    assert "Acute subdural haematoma." in page
    assert "Chronic" not in page


def test_the_api_signs_and_refuses_without_password(api, claimed, radiologist):
    api.force_authenticate(radiologist)
    response = api.post(f"/api/v1/reports/{claimed.pk}/sign/", {"sections": {"impression": "Normal."}}, format="json")
    assert response.status_code == 400
    assert response.json() == {"password": ["Enter your password again to sign."]}
    response = api.post(
        f"/api/v1/reports/{claimed.pk}/sign/",
        {"sections": {"impression": "Normal."}, "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "final"
