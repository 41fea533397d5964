"""Scheduling fixtures: a CT resource open every day 07:00-19:00 on a registered modality, and a time to book."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ris.equipment.models import Modality, Room
from scheduling.models import Resource, WorkingHours


def open_every_day(resource: Resource, opens=dt.time(7), closes=dt.time(19)) -> Resource:
    for weekday in range(7):
        WorkingHours.objects.create(resource=resource, weekday=weekday, opens=opens, closes=closes)
    return resource


@pytest.fixture
def ct_modality(db):
    room = Room.objects.create(name="CT Room 1", site="Main")
    return Modality.objects.create(
        name="CT Scanner 1",
        modality_type="CT",
        room=room,
        ae_title="CT1",
        host="127.0.0.1",
        port=11112,
        services=["echo", "store", "worklist", "mpps"],
    )


@pytest.fixture
def ct_resource(ct_modality):
    resource = Resource.objects.create(
        code="CT1", name="CT Scanner 1", modality_type="CT", modality=ct_modality, room=ct_modality.room
    )
    return open_every_day(resource)


@pytest.fixture
def tomorrow_at():
    """An aware datetime tomorrow at the given local hour and minute."""

    def at(hour: int, minute: int = 0, days: int = 1) -> dt.datetime:
        day = timezone.localdate() + dt.timedelta(days=days)
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))

    return at


@pytest.fixture
def ordered(make_order, patient):
    return make_order(patient)
