from django.core.management import call_command

from reporting.models import CriticalResult, Report, ReportTemplate


def test_the_demo_has_templates_signed_reports_and_a_critical_result_for_drhouse(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", patients=20)
    call_command("seed_demo", patients=20)
    assert ReportTemplate.objects.filter(procedure__code="CT-HEAD").count() == 1
    assert Report.objects.filter(status="final").count() == 3
    [critical] = CriticalResult.objects.all()
    assert critical.recipient.username == "drhouse"
    assert critical.acknowledged_at is None
