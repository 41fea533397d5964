"""Billing queries named for what billing staff ask of them."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q

from ris.accounts.choices import Role

BILLING_ROLES = (Role.BILLING, Role.ADMIN)


def _billing_user(user) -> bool:
    return user.is_authenticated and user.has_role(*BILLING_ROLES)


class FeeQuerySet(models.QuerySet):
    def effective_on(self, day: dt.date) -> FeeQuerySet:
        return self.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day), effective_from__lte=day)


class ChargeQuerySet(models.QuerySet):
    def needing_attention(self) -> ChargeQuerySet:
        return self.exclude(status="void").exclude(problems=[])

    def claimable(self) -> ChargeQuerySet:
        """Released charges on no live claim."""
        from billing.choices import LIVE_STATUSES

        return self.filter(status="released").exclude(claims__status__in=LIVE_STATUSES)

    def for_user(self, user) -> ChargeQuerySet:
        """Billing staff and administrators see every charge; nobody else sees any."""
        return self if _billing_user(user) else self.none()


class ClaimQuerySet(models.QuerySet):
    def ready(self) -> ClaimQuerySet:
        return self.filter(status="ready")

    def live(self) -> ClaimQuerySet:
        from billing.choices import LIVE_STATUSES

        return self.filter(status__in=LIVE_STATUSES)

    def for_user(self, user) -> ClaimQuerySet:
        return self if _billing_user(user) else self.none()
