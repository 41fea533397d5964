from django.core.management import call_command

from reporting.models import CriticalResult, Report, ReportTemplate
from ris.orders.models import Order


def test_the_demo_has_templates_signed_reports_and_a_critical_result_for_drhouse(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", patients=20)
    call_command("seed_demo", patients=20)
    assert ReportTemplate.objects.filter(procedure__code="CT-HEAD").count() == 1
    # Every exam is read except the four most recent, which wait on the reading worklist.
    assert Order.objects.filter(status="completed").count() == 4
    assert Report.objects.filter(status="final").count() == Order.objects.filter(status="final").count() > 4
    [critical] = CriticalResult.objects.all()
    assert critical.recipient.username == "drhouse"
    assert critical.acknowledged_at is None
