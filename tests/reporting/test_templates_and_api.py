import pytest
from django.core.exceptions import ValidationError

from reporting.models import ReportTemplate
from reporting.services import template_for
from ris.audit.models import AccessLog
from tests.conftest import PASSWORD, login


def test_a_template_is_chosen_by_procedure_then_modality_then_generic(exam, ct_template, ct_head):
    generic = ReportTemplate.objects.create(name="Generic")
    ct_any = ReportTemplate.objects.create(name="Any CT", modality_type="CT")
    assert template_for(exam) == ct_template
    ct_template.active = False
    ct_template.save()
    assert template_for(exam) == ct_any
    ct_any.delete()
    assert template_for(exam) == generic


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ([], "This field cannot be blank."),
        ({"key": "a"}, "Give the sections as a non-empty list."),
        ([{"key": "a b", "title": "A"}], "Section key “a b” must be unique"),
        ([{"key": "a", "title": "A", "choices": "x"}], "the pick-list must be a list of phrases"),
    ],
)
def test_bad_template_sections_are_refused(db, sections, message):
    with pytest.raises(ValidationError, match=message):
        ReportTemplate(name="Bad", sections=sections).full_clean()


def test_admins_edit_templates_in_the_admin(client, admin_user, ct_template):
    login(client, admin_user)
    assert client.get(f"/admin/reporting/reporttemplate/{ct_template.pk}/change/").status_code == 200


def test_the_api_lists_critical_results_and_acknowledges_them(api, claimed, radiologist, referring_doctor):
    from reporting import services

    services.sign_report(
        report=claimed,
        actor=radiologist,
        password=PASSWORD,
        sections={"impression": "Bleed."},
        critical=True,
        critical_finding="Bleed",
    )
    api.force_authenticate(referring_doctor)
    [row] = api.get("/api/v1/critical-results/").json()["results"]
    assert (row["finding"], row["acknowledged_at"]) == ("Bleed", None)
    response = api.post(f"/api/v1/critical-results/{row['id']}/acknowledge/")
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == "Drhouse Test"
    again = api.post(f"/api/v1/critical-results/{row['id']}/acknowledge/")
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["This critical result has already been acknowledged."]}
    reports = api.get("/api/v1/reports/").json()["results"]
    assert [r["id"] for r in reports] == [claimed.pk]
    assert AccessLog.objects.filter(user=referring_doctor, channel="api", object_type="reporting.report").exists()


def test_the_api_refuses_an_acknowledgement_by_someone_it_was_not_sent_to(api, claimed, radiologist):
    from reporting import services
    from reporting.models import CriticalResult

    services.sign_report(
        report=claimed,
        actor=radiologist,
        password=PASSWORD,
        sections={"impression": "Bleed."},
        critical=True,
        critical_finding="Bleed",
    )
    api.force_authenticate(radiologist)
    critical = CriticalResult.objects.get()
    assert api.post(f"/api/v1/critical-results/{critical.pk}/acknowledge/").status_code == 404
    assert CriticalResult.objects.get().acknowledged_at is None
