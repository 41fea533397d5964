"""Appointment queries named for what the department asks of them."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone

from ris.accounts.choices import Role
from scheduling.choices import LIVE_STATUSES


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The aware start and end of a local calendar day."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


class AppointmentQuerySet(models.QuerySet):
    def live(self) -> AppointmentQuerySet:
        """Appointments holding their slot (booked or arrived)."""
        return self.filter(status__in=LIVE_STATUSES)

    def overlapping(self, start: dt.datetime, end: dt.datetime) -> AppointmentQuerySet:
        return self.filter(start__lt=end, end__gt=start)

    def on_day(self, day: dt.date) -> AppointmentQuerySet:
        start, end = day_bounds(day)
        return self.filter(start__gte=start, start__lt=end)

    def for_user(self, user) -> AppointmentQuerySet:
        """Department staff see every appointment; a referring physician those of the orders they referred."""
        if not user.is_authenticated:
            return self.none()
        if user.is_department_staff:
            return self
        if user.has_role(Role.REFERRING_PHYSICIAN):
            return self.filter(order__referring_physician=user)
        return self.none()


class BlockQuerySet(models.QuerySet):
    def overlapping(self, start: dt.datetime, end: dt.datetime) -> BlockQuerySet:
        return self.filter(starts_at__lt=end, ends_at__gt=start)

    def affecting(self, resource) -> BlockQuerySet:
        """Blocks of this resource and department-wide closures (holidays)."""
        return self.filter(models.Q(resource=resource) | models.Q(resource__isnull=True))
