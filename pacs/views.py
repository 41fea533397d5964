"""Study pages: the study list, a study with its series, send-to, and the reconciliation list."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render

from common.forms import submit
from common.paging import page_of
from pacs import services
from pacs.filtersets import StudyFilterSet
from pacs.forms import ReconcileForm, SendForm
from pacs.models import Study
from pacs.tasks import send_study_task
from ris.accounts.choices import ALL_ROLES, Role
from ris.accounts.roles import roles_required
from ris.audit.choices import Action
from ris.audit.services import record_access, record_search, visible_record

SENDERS = (Role.TECHNOLOGIST, Role.RADIOLOGIST, Role.ADMIN)
RECONCILERS = (Role.FRONT_DESK, Role.TECHNOLOGIST, Role.ADMIN)


def visible_study(request, pk: int) -> Study:
    """The study, if this user may see it (logged; see ``visible_record``)."""
    queryset = Study.objects.select_related("patient", "order__procedure", "order__referring_physician")
    return visible_record(request, queryset, pk, patient_of=lambda s: s.patient_id, missing="No such study.")


@roles_required(*ALL_ROLES)
def study_list(request):
    queryset = Study.objects.for_user(request.user).select_related("patient", "order")
    filterset = StudyFilterSet(request.GET or None, queryset=queryset)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    page = page_of(rows.order_by("-study_date", "-id"), request)
    record_search(request, "pacs.study", page.rows)
    return render(request, "pacs/study_list.html", {"filterset": filterset, "page": page})


@roles_required(*ALL_ROLES)
def study_detail(request, pk: int):
    study = visible_study(request, pk)
    context = {
        "study": study,
        "series": study.series.all(),
        "send_form": SendForm() if request.user.has_role(*SENDERS) else None,
        "can_reconcile": request.user.has_role(*RECONCILERS) and study.match_state != "matched",
    }
    return render(request, "pacs/study_detail.html", context)


@roles_required(*SENDERS)
def study_send(request, pk: int):
    study = visible_study(request, pk)
    form = SendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        node = form.cleaned_data["node"]
        record_access(
            request=request, action=Action.EXPORT, obj=study, patient=study.patient_id, detail={"to": node.ae_title}
        )
        transaction.on_commit(lambda: send_study_task.delay(study.pk, node.pk, request.user.username))
        messages.success(request, f"Sending {study.number_of_instances} images to {node.ae_title}.")
    elif request.method == "POST":
        messages.error(request, "Choose a DICOM node to send to.")
    return redirect(study)


@roles_required(*RECONCILERS)
def reconciliation_list(request):
    rows = Study.objects.awaiting_reconciliation().select_related("patient").order_by("-created_at")
    page = page_of(rows, request)
    record_access(
        request=request,
        action=Action.SEARCH,
        object_type="pacs.study",
        detail={"page": "reconciliation", "returned_ids": [s.pk for s in page.rows]},
    )
    return render(request, "pacs/reconciliation.html", {"page": page})


@roles_required(*RECONCILERS)
def study_reconcile(request, pk: int):
    study = visible_study(request, pk)
    form = ReconcileForm(request.POST or None)
    done = submit(
        request,
        form,
        lambda data: services.reconcile_study(study=study, order=form.order, actor=request.user, request=request),
    )
    if done:
        messages.success(
            request, f"Study linked to order {form.order.accession_number}; its headers are being updated."
        )
        return redirect(study)
    return render(request, "pacs/reconcile.html", {"study": study, "form": form})
