"""Turnaround (images received -> final) and critical-result acknowledgement time, computed by the database.

Both durations are stored in seconds when they end (``Report.turnaround_seconds`` at finalisation,
``CriticalResult.ack_seconds`` at acknowledgement), so each figure is one grouped aggregate over one indexed
table, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, Max
from django.utils import timezone

from reporting.models import CriticalResult, Report
from ris.orders.choices import Priority


def _rows(queryset, field: str, value: str, names) -> list[dict]:
    grouped = list(
        queryset.values(field).annotate(count=Count("pk"), average=Avg(value), longest=Max(value)).order_by(field)
    )
    labels = names([row[field] for row in grouped]) if callable(names) else names
    return [
        {
            "name": labels.get(row[field], row[field] or "—"),
            "count": row["count"],
            "average_minutes": round((row["average"] or 0) / 60, 1),
            "longest_minutes": round((row["longest"] or 0) / 60, 1),
        }
        for row in grouped
    ]


def _people(ids) -> dict:
    return {u.pk: u.display_name for u in get_user_model().objects.filter(pk__in=[i for i in ids if i])}


def figures(*, days: int = 30, now: dt.datetime | None = None) -> dict:
    """Per radiologist, modality and priority: count, average and longest turnaround and acknowledgement time."""
    since = (now or timezone.now()) - dt.timedelta(days=days)
    reports = Report.objects.filter(final_at__gte=since, turnaround_seconds__isnull=False)
    criticals = CriticalResult.objects.filter(created_at__gte=since, ack_seconds__isnull=False)
    priorities = dict(Priority.choices)
    return {
        "turnaround": {
            "radiologist": _rows(reports, "signer_id", "turnaround_seconds", _people),
            "modality": _rows(reports, "modality_type", "turnaround_seconds", {}),
            "priority": _rows(reports, "priority", "turnaround_seconds", priorities),
        },
        "critical_ack": {
            "radiologist": _rows(criticals, "radiologist_id", "ack_seconds", _people),
            "modality": _rows(criticals, "report__modality_type", "ack_seconds", {}),
            "priority": _rows(criticals, "report__priority", "ack_seconds", priorities),
        },
        "critical_open": CriticalResult.objects.unacknowledged().count(),
    }
