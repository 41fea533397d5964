"""seed_demo books a living day on every demo modality, through the scheduling services."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from pydicom.dataset import Dataset

from ris.orders.models import Order
from scheduling.models import Appointment, PerformedStep, Resource
from scheduling.worklist import find_worklist

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC), tick=False)
def test_the_demo_day_is_alive_and_seeding_twice_adds_nothing(settings):
    settings.DEBUG = True
    call_command("seed_demo", patients=6, stdout=StringIO())
    call_command("seed_demo", patients=6, stdout=StringIO())
    resources = Resource.objects.order_by("code")
    assert [r.code for r in resources] == ["CT1", "DX1", "MG1", "MR1", "US1"]
    today, tomorrow = dt.date(2026, 6, 10), dt.date(2026, 6, 11)
    for resource in resources:
        assert Appointment.objects.filter(resource=resource).on_day(today).count() >= 6, resource
        assert Appointment.objects.filter(resource=resource).on_day(tomorrow).count() >= 6, resource
    statuses = set(Order.objects.filter(appointments__start__date=today).values_list("status", flat=True))
    assert {"completed", "in_progress", "arrived", "scheduled"} <= statuses
    # five orders (or a few more, kept off a blocked time) are left for the front desk to book, and the bone scan
    # has no demo resource
    waiting = Order.objects.filter(status="ordered")
    assert waiting.exclude(procedure__modality_type="NM").count() >= 5
    assert (
        waiting.filter(procedure__modality_type="NM").count()
        == Order.objects.filter(procedure__modality_type="NM").count()
    )
    assert PerformedStep.objects.filter(status="COMPLETED", review="matched").exists()
    assert not PerformedStep.objects.filter(review="needs_review").exists()
    query = Dataset()
    step = Dataset()
    step.ScheduledStationAETitle = "LUMEN_CT1"
    step.ScheduledProcedureStepStartDate = "20260611"
    query.ScheduledProcedureStepSequence = [step]
    query.AccessionNumber = ""
    found = list(find_worklist(query))
    assert len(found) == Appointment.objects.filter(resource__code="CT1").on_day(tomorrow).count()
    assert timezone.now().date() == today
