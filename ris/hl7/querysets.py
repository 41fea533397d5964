"""Message querysets: scoping and the delivery queue."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ris.hl7.choices import UNDELIVERED, Direction, MessageStatus


class MessageQuerySet(models.QuerySet):
    def for_user(self, user):
        """The message log is the interface administrators' tool: admins see it, nobody else."""
        if user.is_authenticated and user.has_role("admin"):
            return self
        return self.none()

    def dead_letters(self):
        return self.filter(direction=Direction.OUTBOUND, status=MessageStatus.DEAD)

    def deliverable(self, partner, now=None):
        """Pending messages of ``partner`` that are due and have no earlier undelivered message for the same
        patient (per-patient order: a later message never overtakes an earlier one, dead letters included)."""
        now = now or timezone.now()
        earlier = self.model.objects.filter(
            direction=Direction.OUTBOUND,
            partner=partner,
            status__in=UNDELIVERED,
            patient_id=OuterRef("patient_id"),
            id__lt=OuterRef("id"),
        )
        return (
            self.filter(direction=Direction.OUTBOUND, partner=partner, status=MessageStatus.PENDING)
            .filter(models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now))
            .exclude(Exists(earlier))
            .order_by("id")
        )
