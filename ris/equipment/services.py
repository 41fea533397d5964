"""Equipment actions: blocking a modality for maintenance and logging work done on it."""

from __future__ import annotations

from django.db import transaction

from ris.equipment.models import MaintenanceLogEntry, MaintenanceWindow, Modality


@transaction.atomic
def add_maintenance_window(*, modality: Modality, actor, starts_at, ends_at, reason: str) -> MaintenanceWindow:
    """Block ``modality`` from ``starts_at`` to ``ends_at`` (scheduling will not book into it)."""
    window = MaintenanceWindow(modality=modality, starts_at=starts_at, ends_at=ends_at, reason=reason, created_by=actor)
    window.full_clean()
    window.save()
    return window


@transaction.atomic
def log_maintenance(*, modality: Modality, actor, **fields) -> MaintenanceLogEntry:
    entry = MaintenanceLogEntry(modality=modality, recorded_by=actor, **fields)
    entry.full_clean()
    entry.save()
    return entry
