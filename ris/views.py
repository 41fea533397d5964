"""The role-aware home page and the health check."""

from __future__ import annotations

import os

from django.conf import settings
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone

from ris.accounts.choices import ALL_ROLES, Role
from ris.accounts.roles import public, roles_required
from ris.audit.choices import Action
from ris.audit.services import record_access
from ris.celery import app as celery_app
from ris.equipment.models import MaintenanceWindow, Modality
from ris.orders.choices import OrderStatus
from ris.orders.models import Order


def _orders(user):
    return (
        Order.objects.for_user(user)
        .select_related("patient", "procedure", "referring_physician")
        .prefetch_related("studies")
    )


@roles_required(*ALL_ROLES)
def home(request):
    """One page per person: a panel for each role the user holds, with the work that role does today."""
    user = request.user
    today = timezone.localdate()
    panels: dict[str, dict] = {}
    if user.has_role(Role.FRONT_DESK, Role.ADMIN):
        panels["front_desk"] = {
            "awaiting_scheduling": list(_orders(user).awaiting_scheduling().stat_first()[:10]),
            "awaiting_count": Order.objects.awaiting_scheduling().count(),
            "created_today": Order.objects.created_on(today).count(),
        }
    if user.has_role(Role.TECHNOLOGIST):
        now = timezone.now()
        panels["technologist"] = {
            "in_department": list(
                _orders(user).filter(status__in=[OrderStatus.ARRIVED, OrderStatus.IN_PROGRESS]).stat_first()[:20]
            ),
            "down_now": MaintenanceWindow.objects.covering(now).select_related("modality"),
            "modality_count": Modality.objects.active().count(),
        }
    if user.has_role(Role.RADIOLOGIST):
        panels["radiologist"] = {
            "awaiting_report": list(_orders(user).awaiting_report().stat_first()[:20]),
            "awaiting_count": Order.objects.awaiting_report().count(),
        }
    if user.has_role(Role.BILLING):
        panels["billing"] = {
            "done": list(_orders(user).done().order_by("-status_changed_at")[:20]),
            "done_count": Order.objects.done().count(),
        }
    if user.has_role(Role.REFERRING_PHYSICIAN):
        panels["referring"] = {"my_orders": list(_orders(user).order_by("-id")[:20])}
    if user.has_role(Role.ADMIN):
        panels["admin"] = {"modality_count": Modality.objects.count()}
    response = render(request, "home.html", {"panels": panels, "today": today})
    shown = sorted(
        {o.pk for panel in panels.values() for rows in panel.values() if isinstance(rows, list) for o in rows}
    )
    if shown:
        record_access(
            request=request,
            action=Action.SEARCH,
            object_type="orders.order",
            detail={"page": "home", "returned_ids": shown},
        )
    return response


@public
def favicon(request):
    """Browsers ask for /favicon.ico on every site; answer with Lumen's icon instead of a 404."""
    return HttpResponseRedirect(static("lumen/favicon.svg"))


@public
def health(request):
    """Liveness and readiness for load balancers and monitoring: database and storage, no patient data."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"error: {type(exc).__name__}"
    storage = settings.STORAGE_ROOT
    checks["storage"] = "ok" if storage.is_dir() and os.access(storage, os.W_OK) else "error: not writable"
    if not celery_app.conf.task_always_eager:
        checks["broker"] = _broker_status()
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)


def _broker_status() -> str:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return f"error: {type(exc).__name__}"
    return "ok"
