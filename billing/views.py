"""Billing pages: the charge work queue, charge coding, claims, exports, payers and fees, the dashboard."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from billing import dashboard, export, services
from billing.choices import (
    CLAIM_TRANSITIONS,
    EDITABLE_CHARGE_STATUSES,
    PAYER_OUTCOMES,
    SENT_STATUSES,
    ClaimFormat,
    ClaimStatus,
)
from billing.filtersets import ChargeFilterSet, ClaimFilterSet
from billing.forms import (
    ChargeForm,
    ClaimMoveForm,
    ExportForm,
    FeeForm,
    FollowUpForm,
    LineFormSet,
    NoteForm,
    PayerForm,
    RangeForm,
    ReasonForm,
)
from billing.models import Charge, Claim, ExportBatch, FeeScheduleEntry, Payer
from billing.querysets import BILLING_ROLES
from common.forms import add_service_errors, submit
from common.paging import page_of
from ris.accounts.roles import roles_required
from ris.audit.choices import Action
from ris.audit.services import record_access, record_search, visible_record


def _error_messages(request, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for message in errors:
                messages.error(request, message if field in ("__all__", "status") else f"{field}: {message}")
    else:
        for message in exc.messages:
            messages.error(request, message)


def visible_charge(request, pk: int) -> Charge:
    queryset = Charge.objects.select_related("order__procedure", "patient", "payer", "coverage", "rendering_provider")
    return visible_record(request, queryset, pk, patient_of=lambda c: c.patient_id, missing="No such charge.")


def visible_claim(request, pk: int) -> Claim:
    queryset = Claim.objects.select_related("patient", "payer", "coverage", "original", "batch")
    return visible_record(request, queryset, pk, patient_of=lambda c: c.patient_id, missing="No such claim.")


@roles_required(*BILLING_ROLES)
def charge_list(request):
    queryset = Charge.objects.for_user(request.user).select_related("order__procedure", "patient", "payer")
    filterset = ChargeFilterSet(request.GET or None, queryset=queryset)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset.exclude(status="void")
    page = page_of(rows.prefetch_related("lines").order_by("-id"), request)
    record_search(request, "billing.charge", page.rows)
    context = {
        "filterset": filterset,
        "page": page,
        "attention_count": Charge.objects.needing_attention().count(),
        "claimable_count": Charge.objects.claimable().count(),
    }
    return render(request, "billing/charge_list.html", context)


@roles_required(*BILLING_ROLES)
def charge_detail(request, pk: int):
    charge = visible_charge(request, pk)
    lines = list(charge.lines.all())
    initial = {
        "icd10_codes": charge.icd10_codes,
        "rendering_npi": charge.rendering_npi,
        "referring_npi": charge.referring_npi,
        "prior_auth_number": charge.prior_auth_number,
        "place_of_service": charge.place_of_service,
        "payer": charge.payer,
    }
    line_initial = [
        {
            "code": ln.code,
            "modifiers": ln.modifiers,
            "units": ln.units,
            "diagnosis_pointers": ln.diagnosis_pointers,
            "kind": ln.kind,
        }
        for ln in lines
    ]
    form = ChargeForm(request.POST or None, initial=initial)
    formset = LineFormSet(request.POST or None, initial=line_initial, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        new_lines = [f.cleaned_data for f in formset if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        try:
            services.update_charge(charge=charge, actor=request.user, lines=new_lines, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            if hasattr(exc, "error_dict") and "lines" in exc.error_dict:
                form.add_error(None, exc.error_dict["lines"])
        else:
            messages.success(request, "Charge saved.")
            return redirect(charge)
    context = {
        "charge": charge,
        "lines": lines,
        "form": form,
        "formset": formset,
        "claims": charge.claims.order_by("-id"),
        "editable": charge.status in EDITABLE_CHARGE_STATUSES,
    }
    return render(request, "billing/charge_detail.html", context)


@require_POST
@roles_required(*BILLING_ROLES)
def charge_action(request, pk: int, action: str):
    charge = visible_charge(request, pk)
    try:
        if action == "release":
            services.release_charge(charge=charge, actor=request.user)
        elif action == "reopen":
            services.reopen_charge(charge=charge, actor=request.user)
        elif action in ("hold", "void"):
            form = ReasonForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            service = services.hold_charge if action == "hold" else services.void_charge
            service(charge=charge, actor=request.user, reason=reason)
        else:
            return HttpResponse(status=404)
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(
            request,
            {
                "release": "Charge released.",
                "reopen": "Charge back in review.",
                "hold": "Charge on hold.",
                "void": "Charge void.",
            }[action],
        )
    return redirect(charge)


@roles_required(*BILLING_ROLES)
def claim_list(request):
    queryset = Claim.objects.for_user(request.user).select_related("patient", "payer")
    filterset = ClaimFilterSet(request.GET or None, queryset=queryset)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    page = page_of(rows.order_by("-id"), request)
    record_search(request, "billing.claim", page.rows)
    context = {
        "filterset": filterset,
        "page": page,
        "ready_count": Claim.objects.ready().count(),
        "ready_by_format": [
            (ClaimFormat(row["payer__claim_format"]).label, row["count"])
            for row in Claim.objects.ready().values("payer__claim_format").annotate(count=Count("id")).order_by()
        ],
        "claimable_count": Charge.objects.claimable().count(),
        "export_form": ExportForm(),
    }
    return render(request, "billing/claim_list.html", context)


@require_POST
@roles_required(*BILLING_ROLES)
def claim_build(request):
    claims = services.build_claims(actor=request.user, make_ready=True)
    ready = sum(claim.status == ClaimStatus.READY for claim in claims)
    if claims:
        messages.success(request, f"{len(claims)} claim(s) made from released charges; {ready} ready to export.")
    else:
        messages.info(request, "No released charges are waiting for a claim.")
    return redirect("billing:claims")


@roles_required(*BILLING_ROLES)
def claim_detail(request, pk: int):
    claim = visible_claim(request, pk)
    charges = list(claim.charges.select_related("order__procedure").prefetch_related("lines"))
    from billing.validation import claim_problems

    moves = [
        ClaimStatus(s)
        for s in ClaimStatus.values
        if s in CLAIM_TRANSITIONS[claim.status]
        and s not in (ClaimStatus.EXPORTED, ClaimStatus.REPLACED, ClaimStatus.VOIDED)
    ]
    context = {
        "claim": claim,
        "charges": charges,
        "problems": claim_problems(claim, charges) if claim.status in (ClaimStatus.DRAFT, ClaimStatus.READY) else [],
        "events": claim.events.select_related("actor"),
        "moves": moves,
        "payer_outcomes": PAYER_OUTCOMES,
        "sent": claim.status in SENT_STATUSES,
        "corrections": claim.corrections.all(),
    }
    return render(request, "billing/claim_detail.html", context)


@require_POST
@roles_required(*BILLING_ROLES)
def claim_action(request, pk: int, action: str):
    claim = visible_claim(request, pk)
    result = claim
    try:
        if action == "move":
            form = ClaimMoveForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Choose one of the claim states.")
            services.change_claim_status(
                claim=claim, to=form.cleaned_data["status"], actor=request.user, note=form.cleaned_data["note"]
            )
        elif action == "note":
            form = NoteForm(request.POST)
            services.add_claim_note(claim=claim, actor=request.user, note=form.data.get("note", ""))
        elif action in ("correct", "void"):
            form = FollowUpForm(request.POST)
            form.is_valid()
            data = form.cleaned_data
            if action == "correct":
                result = services.correct_claim(
                    claim=claim,
                    actor=request.user,
                    payer_claim_number=data.get("payer_claim_number", ""),
                    note=data.get("reason", ""),
                )
            else:
                result = services.void_claim(
                    claim=claim,
                    actor=request.user,
                    reason=data.get("reason", ""),
                    payer_claim_number=data.get("payer_claim_number", ""),
                )
        else:
            return HttpResponse(status=404)
    except ValidationError as exc:
        _error_messages(request, exc)
        return redirect(claim)
    messages.success(request, "Claim saved." if result == claim else f"Claim {result.number} made.")
    return redirect(result)


@require_POST
@roles_required(*BILLING_ROLES)
def export_create(request):
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose X12 837P or CSV.")
        return redirect("billing:claims")
    try:
        batch = services.export_claims(actor=request.user, format=form.cleaned_data["format"], request=request)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for number, problems in exc.message_dict.items():
                for problem in problems:
                    messages.error(request, f"Claim {number}: {problem}")
        else:
            _error_messages(request, exc)
        return redirect("billing:claims")
    return export.streaming_response(batch)


@roles_required(*BILLING_ROLES)
def export_list(request):
    page = page_of(ExportBatch.objects.select_related("created_by").order_by("-id"), request)
    return render(request, "billing/export_list.html", {"page": page})


@roles_required(*BILLING_ROLES)
def export_download(request, pk: int):
    batch = get_object_or_404(ExportBatch, pk=pk)
    services.log_export(batch, actor=request.user, request=request)
    return export.streaming_response(batch)


@roles_required(*BILLING_ROLES)
def payer_list(request):
    payers = Payer.objects.all()
    form = PayerForm(request.POST or None, prefix="payer")
    if submit(request, form, lambda data: services.save_payer(actor=request.user, **data)):
        messages.success(request, "Payer added.")
        return redirect("billing:payers")
    return render(request, "billing/payer_list.html", {"payers": payers, "form": form})


@roles_required(*BILLING_ROLES)
def payer_detail(request, pk: int):
    payer = get_object_or_404(Payer, pk=pk)
    form = (
        PayerForm(request.POST or None, instance=payer, prefix="payer")
        if "payer-name" in request.POST
        else PayerForm(instance=payer, prefix="payer")
    )
    fee_form = FeeForm(request.POST if "fee-code" in request.POST else None, initial={"payer": payer}, prefix="fee")
    if "payer-name" in request.POST and submit(
        request, form, lambda data: services.save_payer(actor=request.user, payer=payer, **data)
    ):
        messages.success(request, "Payer saved.")
        return redirect("billing:payer", pk=payer.pk)
    if "fee-code" in request.POST and submit(
        request, fee_form, lambda data: services.save_fee(actor=request.user, **data)
    ):
        messages.success(request, "Price saved; charges in review were priced again.")
        return redirect("billing:payer", pk=payer.pk)
    fees = FeeScheduleEntry.objects.filter(payer=payer)
    return render(
        request, "billing/payer_detail.html", {"payer": payer, "form": form, "fee_form": fee_form, "fees": fees}
    )


@roles_required(*BILLING_ROLES)
def dashboard_view(request):
    form = RangeForm(request.GET or {})
    if not form.is_valid():
        return render(request, "billing/dashboard.html", {"form": form}, status=400)
    data = dashboard.figures(form.cleaned_data["start"], form.cleaned_data["end"])
    form = RangeForm({"start": data["start"], "end": data["end"]})  # show the range the figures are for
    if request.GET.get("format") == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(dashboard.csv_rows(data))
        record_access(
            request=request,
            action=Action.EXPORT,
            object_type="billing.dashboard",
            detail={"start": str(data["start"]), "end": str(data["end"])},
        )
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="billing-{data["start"]}-{data["end"]}.csv"'
        return response
    return render(request, "billing/dashboard.html", {"form": form, "data": data})
