"""Order queries named for what the department asks of them."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone

from ris.accounts.choices import Role
from ris.orders.choices import DONE_STATUSES, OPEN_STATUSES, OrderStatus, Priority


class OrderQuerySet(models.QuerySet):
    def open(self) -> OrderQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def awaiting_scheduling(self) -> OrderQuerySet:
        return self.filter(status=OrderStatus.ORDERED)

    def awaiting_report(self) -> OrderQuerySet:
        return self.filter(status__in=[OrderStatus.COMPLETED, OrderStatus.PRELIMINARY])

    def done(self) -> OrderQuerySet:
        return self.filter(status__in=DONE_STATUSES)

    def created_on(self, day: dt.date) -> OrderQuerySet:
        start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        return self.filter(created_at__gte=start, created_at__lt=start + dt.timedelta(days=1))

    def stat_first(self) -> OrderQuerySet:
        rank = models.Case(
            models.When(priority=Priority.STAT, then=0),
            models.When(priority=Priority.URGENT, then=1),
            default=2,
        )
        return self.alias(priority_rank=rank).order_by("priority_rank", "created_at")

    def for_user(self, user) -> OrderQuerySet:
        """Department staff see every order; a referring physician sees the orders they referred and the orders
        of studies shared with them (django-guardian grants, until they expire)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_department_staff:
            return self
        if user.has_role(Role.REFERRING_PHYSICIAN):
            return self.filter(models.Q(referring_physician=user) | models.Q(pk__in=shared_order_ids(user)))
        return self.none()


def shared_order_ids(user) -> models.QuerySet:
    """Ids of the orders whose studies are shared with ``user`` right now (a subquery)."""
    from pacs.models import Study, shared_study_ids  # pacs imports orders: import at call time

    return Study.objects.filter(pk__in=shared_study_ids(user), order__isnull=False).values("order_id")
