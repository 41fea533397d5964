"""Report queries named for what readers, referrers and the department ask of them."""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.db.models.functions import Coalesce

from reporting.choices import RELEASED, VISIBLE_TO_REFERRER
from ris.accounts.choices import Role


class ReportQuerySet(models.QuerySet):
    def for_user(self, user) -> ReportQuerySet:
        """Department staff see every report; a referring physician the signed reports of the orders they see
        (their own and those shared with them); a transcriptionist the reports with dictations for them."""
        if not user.is_authenticated:
            return self.none()
        if user.is_department_staff:
            return self
        scoped = self.none()
        if user.has_role(Role.REFERRING_PHYSICIAN):
            orders = apps.get_model("orders", "Order").objects.for_user(user)
            scoped = scoped | self.filter(status__in=VISIBLE_TO_REFERRER, order__in=orders.values("pk"))
        if user.has_role(Role.TRANSCRIPTIONIST):
            dictations = apps.get_model("reporting", "Dictation").objects.filter(
                models.Q(status="pending") | models.Q(transcribed_by=user)
            )
            scoped = scoped | self.filter(pk__in=dictations.values("report_id"))
        return scoped


class DictationQuerySet(models.QuerySet):
    def pending(self) -> DictationQuerySet:
        return self.filter(status="pending")


class CriticalResultQuerySet(models.QuerySet):
    def unacknowledged(self) -> CriticalResultQuerySet:
        return self.filter(acknowledged_at__isnull=True)

    def waiting_for(self, user) -> CriticalResultQuerySet:
        """Results this user must act on: sent to them, or escalated to them."""
        escalated = apps.get_model("reporting", "CriticalNotification").objects.filter(
            recipient=user, kind="escalation"
        )
        return self.filter(models.Q(recipient=user) | models.Q(pk__in=escalated.values("critical_result_id")))

    def for_user(self, user) -> CriticalResultQuerySet:
        """Department staff see every critical result; anyone else those sent to them or on reports they see."""
        if not user.is_authenticated:
            return self.none()
        if user.is_department_staff:
            return self
        reports = apps.get_model("reporting", "Report").objects.for_user(user)
        escalated = apps.get_model("reporting", "CriticalNotification").objects.filter(recipient=user)
        return self.filter(
            models.Q(recipient=user)
            | models.Q(report__in=reports.values("pk"))
            | models.Q(pk__in=escalated.values("critical_result_id"))
        )


def reading_worklist():
    """Orders waiting for a radiologist: images arrived (or a study linked) or the exam completed, and no final
    report yet; oldest waiting first within STAT, urgent, routine. ``waiting_since`` is annotated."""
    order_model = apps.get_model("orders", "Order")
    study_model = apps.get_model("pacs", "Study")
    has_images = models.Q(images_received_at__isnull=False) | models.Exists(
        study_model.objects.filter(order=models.OuterRef("pk"))
    )
    rank = models.Case(
        models.When(priority="stat", then=0),
        models.When(priority="urgent", then=1),
        default=2,
    )
    return (
        order_model.objects.filter(
            models.Q(status__in=["completed", "preliminary"]) | (models.Q(status="in_progress") & has_images)
        )
        .exclude(report__status__in=RELEASED)
        .annotate(waiting_since=Coalesce("images_received_at", "status_changed_at"), priority_rank=rank)
        .order_by("priority_rank", "waiting_since", "id")
    )
