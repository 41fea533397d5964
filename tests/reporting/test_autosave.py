import json

from reporting import services
from reporting.models import Addendum, Report
from tests.conftest import PASSWORD, login


def save(client, report, version, **sections):
    return client.post(
        f"/reports/{report.pk}/autosave/",
        json.dumps({"version": version, "sections": sections}),
        content_type="application/json",
    )


def test_autosave_counts_versions(client, claimed, radiologist):
    login(client, radiologist)
    response = save(client, claimed, claimed.version, findings="No bleed.")
    assert response.status_code == 200
    assert response.json()["version"] == claimed.version + 1
    assert Report.objects.get(pk=claimed.pk).sections["findings"] == "No bleed."


def test_a_save_based_on_an_old_version_is_refused_with_409_and_changes_nothing(client, claimed, radiologist):
    login(client, radiologist)
    save(client, claimed, claimed.version, findings="First tab.")
    response = save(client, claimed, claimed.version, findings="Second tab.")
    assert response.status_code == 409
    assert response.json()["sections"] == {"findings": "Second tab."}  # handed back to the editor
    assert Report.objects.get(pk=claimed.pk).sections["findings"] == "First tab."


def test_an_autosave_racing_a_sign_keeps_its_text_as_a_draft_addendum(client, claimed, radiologist):
    login(client, radiologist)
    version = claimed.version
    services.sign_report(report=claimed, actor=radiologist, password=PASSWORD, sections={"impression": "Normal."})
    response = save(client, claimed, version, impression="Normal.", findings="Tiny calcified granuloma.")
    assert response.status_code == 409
    body = response.json()
    assert body["status"] == "final"
    draft = Addendum.objects.get(pk=body["draft_addendum"])
    assert draft.text == "Findings: Tiny calcified granuloma."
    assert draft.signed_at is None
    report = Report.objects.get(pk=claimed.pk)
    assert report.sections["findings"] == ""  # the signed text is untouched
    page = client.get(f"/reports/{claimed.pk}/").content.decode()
    assert "Tiny calcified granuloma." in page  # offered in the addendum form, ready to sign
    services.add_addendum(report=report, actor=radiologist, password=PASSWORD, text=draft.text, draft=draft)
    assert list(report.addenda.values_list("text", flat=True)) == ["Findings: Tiny calcified granuloma."]


def test_bad_autosave_bodies_get_400(client, claimed, radiologist):
    login(client, radiologist)
    response = client.post(f"/reports/{claimed.pk}/autosave/", "nonsense", content_type="application/json")
    assert response.status_code == 400
    assert save(client, claimed, claimed.version, nosuch="x").json() == {"detail": "This report has no section nosuch."}


def test_another_radiologist_cannot_autosave_a_claimed_report(client, claimed, radiologist2):
    login(client, radiologist2)
    response = save(client, claimed, claimed.version, findings="Mine now.")
    assert response.status_code == 400
    assert response.json() == {"detail": "This report is claimed by another radiologist."}
