"""The referring physician portal: their patients' orders (and studies shared with them), status, signed reports
(HTML and PDF), images in the viewer, critical results to acknowledge, and sharing a study for a consult.

Everything is read through ``for_user`` scoping and ``visible_record``: another physician's order answers 404
exactly as one that does not exist, and every view is in the access log.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from common.forms import add_service_errors
from common.paging import page_of
from pacs.models import Study, StudyShare
from reporting import services
from reporting.choices import VISIBLE_TO_REFERRER
from reporting.forms import ShareForm
from reporting.models import CriticalResult, Report
from reporting.views import pdf_response, visible_report
from ris.accounts.choices import Role
from ris.accounts.roles import roles_required
from ris.audit.choices import Action
from ris.audit.services import record_access, record_search
from ris.orders.filtersets import OrderFilterSet
from ris.orders.models import Order
from ris.orders.views import visible_order

PORTAL = (Role.REFERRING_PHYSICIAN,)


def _open_criticals(user):
    return (
        CriticalResult.objects.unacknowledged()
        .waiting_for(user)
        .select_related("report__order__patient", "report__order__procedure", "radiologist")
    )


@roles_required(*PORTAL)
def home(request):
    queryset = (
        Order.objects.for_user(request.user)
        .select_related("patient", "procedure", "report")
        .prefetch_related("studies")
        .order_by("-id")
    )
    filterset = OrderFilterSet(request.GET or None, queryset=queryset)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    page = page_of(rows, request, per_page=25)
    criticals = list(_open_criticals(request.user))
    record_search(request, "orders.order", page.rows, page="portal", critical_ids=[c.pk for c in criticals])
    return render(request, "reporting/portal/home.html", {"page": page, "filterset": filterset, "criticals": criticals})


@roles_required(*PORTAL)
def order_detail(request, pk: int):
    order = visible_order(request, pk)
    report = Report.objects.filter(order=order, status__in=VISIBLE_TO_REFERRER).select_related("signer").first()
    if report is not None:  # the report's text is on this page: its view is logged as well as the order's
        record_access(request=request, action=Action.VIEW, obj=report, patient=order.patient_id)
    studies = Study.objects.for_user(request.user).filter(order=order)
    own = order.referring_physician_id == request.user.pk
    shares = StudyShare.objects.filter(content_object__order=order, shared_by=request.user).select_related(
        "user", "content_object"
    )
    context = {
        "order": order,
        "report": report,
        "critical": getattr(report, "critical_result", None) if report else None,
        "studies": [(s, f"/viewer/viewer?StudyInstanceUIDs={s.study_instance_uid}") for s in studies],
        "can_share": own and studies.exists(),
        "share_form": ShareForm(user=request.user),
        "shares": shares,
        "consent": services.sharing_consent_granted(order.patient),
    }
    return render(request, "reporting/portal/order.html", context)


@roles_required(*PORTAL)
def report_pdf(request, pk: int):
    return pdf_response(request, visible_report(request, pk))


@require_POST
@roles_required(Role.REFERRING_PHYSICIAN, Role.DEPARTMENT_LEAD, Role.RADIOLOGIST, Role.ADMIN)
def acknowledge(request, pk: int):
    """Acknowledge a critical result sent to you (or escalated to you); anyone else's answers 404."""
    critical = CriticalResult.objects.filter(pk=pk).select_related("report__order").first()
    if critical is None:
        raise Http404("No such critical result.")
    try:
        services.acknowledge_critical_result(critical=critical, actor=request.user)
    except PermissionDenied:
        raise Http404("No such critical result.") from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Critical result acknowledged.")
    if request.user.has_role(Role.REFERRING_PHYSICIAN):
        return redirect("portal:order", critical.report.order_id)
    return redirect(critical.report)


@require_POST
@roles_required(*PORTAL)
def share(request, pk: int):
    """Share the order's studies with a consulting physician for a number of days (needs sharing consent)."""
    order = visible_order(request, pk)
    if order.referring_physician_id != request.user.pk:
        messages.error(request, "Only the referring physician of this order can share it.")
        return redirect("portal:order", order.pk)
    form = ShareForm(request.POST, user=request.user)
    studies = list(Study.objects.filter(order=order))
    if form.is_valid() and studies:
        until = timezone.now() + dt.timedelta(days=form.cleaned_data["days"])
        try:
            for study in studies:
                services.share_study(
                    study=study,
                    actor=request.user,
                    with_user=form.cleaned_data["with_user"],
                    expires_at=until,
                    reason=form.cleaned_data["reason"],
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"Shared with {form.cleaned_data['with_user'].display_name} until {until:%Y-%m-%d %H:%M}."
            )
            return redirect("portal:order", order.pk)
    elif not studies:
        form.add_error(None, "No images have arrived for this order yet; there is nothing to share.")
    for error in form.non_field_errors():
        messages.error(request, error)
    for name, errors in form.errors.items():
        if name != "__all__":
            messages.error(request, f"{form.fields[name].label}: {' '.join(errors)}")
    return redirect("portal:order", order.pk)


@require_POST
@roles_required(*PORTAL)
def revoke(request, pk: int):
    """End a share now (only the physician who made it can)."""
    share = StudyShare.objects.filter(pk=pk, shared_by=request.user).select_related("content_object").first()
    if share is None:
        raise Http404("No such share.")
    services.revoke_share(share=share, actor=request.user)
    messages.success(request, f"{share.user.display_name} no longer sees this study.")
    return redirect("portal:order", share.content_object.order_id)
