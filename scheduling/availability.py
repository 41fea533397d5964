"""When a resource can take an exam: weekly hours, blocks and holidays, equipment maintenance, other bookings."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from ris.equipment.models import MaintenanceWindow
from scheduling.models import Appointment, Block, Resource


class SlotTaken(ValidationError):
    """The time asked for is already booked on the resource (to its capacity)."""


@dataclass(frozen=True)
class Slot:
    resource: Resource
    start: dt.datetime
    end: dt.datetime


def _aware(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


def opening_periods(resource: Resource, day: dt.date, hours=None) -> list[tuple[dt.datetime, dt.datetime]]:
    """The resource's opening periods on a local day, from its weekly template."""
    hours = hours if hours is not None else list(resource.working_hours.all())
    return [(_aware(day, h.opens), _aware(day, h.closes)) for h in hours if h.weekday == day.weekday()]


def closures(resource: Resource, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime, str]]:
    """Blocks, holidays and maintenance windows of the resource overlapping [start, end)."""
    found = [(b.starts_at, b.ends_at, b.reason) for b in Block.objects.affecting(resource).overlapping(start, end)]
    if resource.modality_id:
        windows = MaintenanceWindow.objects.filter(modality_id=resource.modality_id).overlapping(start, end)
        found += [(w.starts_at, w.ends_at, f"Maintenance: {w.reason}") for w in windows]
    return sorted(found)


def check_bookable(
    resource: Resource,
    start: dt.datetime,
    end: dt.datetime,
    *,
    allow_past: bool = False,
    exclude: Appointment | None = None,
) -> None:
    """Raise ValidationError (``SlotTaken`` for a full slot) unless [start, end) can be booked on the resource.

    Callers hold the resource's row lock, so the capacity check cannot race another booking.
    """
    if end <= start:
        raise ValidationError({"minutes": "An appointment must last longer than zero minutes."}, code="length")
    if not resource.active:
        raise ValidationError({"resource": f"{resource} is not in service."}, code="inactive")
    if not allow_past and start < timezone.now():
        raise ValidationError({"start": "That time is in the past."}, code="past")
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    if local_start.date() != (local_end - dt.timedelta(microseconds=1)).date() or not any(
        opens <= start and end <= closes for opens, closes in opening_periods(resource, local_start.date())
    ):
        raise ValidationError(
            {"start": f"{resource} is not open from {local_start:%H:%M} to {local_end:%H:%M} that day."},
            code="closed",
        )
    blocked = closures(resource, start, end)
    if blocked:
        raise ValidationError({"start": f"{resource} is blocked then ({blocked[0][2]})."}, code="blocked")
    taken = Appointment.objects.live().filter(resource=resource).overlapping(start, end)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if peak_overlap(list(taken.values_list("start", "end")), start, end) >= resource.capacity:
        raise SlotTaken({"start": "That slot was just taken. Choose another time."}, code="slot_taken")


def peak_overlap(intervals: list[tuple[dt.datetime, dt.datetime]], start: dt.datetime, end: dt.datetime) -> int:
    """How many of the intervals overlap at once, at most, inside [start, end)."""
    points = sorted(
        [(max(s, start), 1) for s, e in intervals if s < end and e > start]
        + [(min(e, end), -1) for s, e in intervals if s < end and e > start]
    , key=lambda p: (p[0], p[1]))  # fmt: skip
    peak = level = 0
    for _, step in points:
        level += step
        peak = max(peak, level)
    return peak


def suitable_resources(procedure):
    return Resource.objects.filter(active=True, modality_type=procedure.modality_type).select_related("modality")


def free_slots(
    *,
    procedure,
    first_day: dt.date,
    days: int,
    resources=None,
    minutes: int | None = None,
    limit: int | None = None,
) -> list[Slot]:
    """Free slots for the procedure on suitable resources over ``days`` local days, earliest first.

    One query each for hours, blocks, maintenance and bookings per resource; the grid walk is in memory.
    """
    length = dt.timedelta(minutes=minutes or procedure.default_duration)
    range_start = _aware(first_day, dt.time.min)
    range_end = _aware(first_day + dt.timedelta(days=days), dt.time.min)
    now = timezone.now()
    slots: list[Slot] = []
    resources = list(resources if resources is not None else suitable_resources(procedure))
    hours_by_resource = defaultdict(list)
    for resource in resources:
        hours_by_resource[resource.pk] = list(resource.working_hours.all())
    for resource in resources:
        closed = closures(resource, range_start, range_end)
        booked = sorted(
            Appointment.objects.live()
            .filter(resource=resource)
            .overlapping(range_start, range_end)
            .values_list("start", "end")
        )
        booked_starts = [s for s, _ in booked]
        longest = max((e - s for s, e in booked), default=dt.timedelta(0))
        step = dt.timedelta(minutes=resource.slot_minutes)
        for offset in range(days):
            day = first_day + dt.timedelta(days=offset)
            for opens, closes in opening_periods(resource, day, hours_by_resource[resource.pk]):
                t = opens
                while t + length <= closes:
                    end = t + length
                    if t >= now and not any(s < end and e > t for s, e, _ in closed):
                        # bookings that start before this slot ends (and end after it starts) overlap it
                        lo = bisect.bisect_left(booked_starts, t - longest)
                        hi = bisect.bisect_left(booked_starts, end)
                        near = [(s, e) for s, e in booked[lo:hi] if e > t]
                        if peak_overlap(near, t, end) < resource.capacity:
                            slots.append(Slot(resource, t, end))
                    t += step
    slots.sort(key=lambda s: (s.start, s.resource.name))
    return slots[:limit] if limit else slots
