"""Equipment pages: what is available now, and each modality's maintenance windows and log."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from common.forms import submit
from ris.accounts.choices import Role
from ris.accounts.roles import roles_required
from ris.equipment import services
from ris.equipment.forms import MaintenanceLogForm, MaintenanceWindowForm
from ris.equipment.models import MaintenanceWindow, Modality

VIEWERS = (Role.FRONT_DESK, Role.TECHNOLOGIST, Role.RADIOLOGIST, Role.ADMIN)
MAINTAINERS = (Role.TECHNOLOGIST, Role.ADMIN)


@roles_required(*VIEWERS)
def modality_list(request):
    now = timezone.now()
    down = {w.modality_id: w for w in MaintenanceWindow.objects.covering(now)}
    modalities = [(m, down.get(m.pk)) for m in Modality.objects.select_related("room")]
    return render(request, "equipment/list.html", {"modalities": modalities})


@roles_required(*VIEWERS)
def modality_detail(request, pk: int):
    modality = get_object_or_404(Modality.objects.select_related("room"), pk=pk)
    window_form = MaintenanceWindowForm(prefix="window")
    log_form = MaintenanceLogForm(prefix="log")
    if request.method == "POST":
        if not request.user.has_role(*MAINTAINERS):
            messages.error(request, "Only technologists and administrators record maintenance.")
            return redirect("equipment:detail", pk=pk)
        if request.POST.get("form") == "window":
            form = window_form = MaintenanceWindowForm(request.POST, prefix="window")
            service = services.add_maintenance_window
        else:
            form = log_form = MaintenanceLogForm(request.POST, prefix="log")
            service = services.log_maintenance
        if submit(request, form, lambda data: service(modality=modality, actor=request.user, **data)):
            messages.success(request, "Saved.")
            return redirect("equipment:detail", pk=pk)
    context = {
        "modality": modality,
        "windows": modality.maintenance_windows.upcoming(),
        "log": modality.maintenance_log.select_related("recorded_by")[:50],
        "window_form": window_form,
        "log_form": log_form,
        "can_maintain": request.user.has_role(*MAINTAINERS),
    }
    return render(request, "equipment/detail.html", context)
