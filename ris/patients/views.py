"""Front-desk pages for patients: search, register, edit, coverage, consent, merge."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from common.forms import add_service_errors, submit
from common.paging import page_of
from ris.accounts.choices import ALL_ROLES, Role
from ris.accounts.roles import roles_required
from ris.audit.choices import Action, Outcome
from ris.audit.services import record_access
from ris.patients import services
from ris.patients.filtersets import PatientFilterSet
from ris.patients.forms import ConsentForm, CoverageForm, MergeForm, PatientForm
from ris.patients.models import Patient

REGISTRARS = (Role.FRONT_DESK, Role.ADMIN)


def visible_patient(request, pk: int) -> Patient:
    """The patient, if this user may see them; a refused attempt is logged and answered 403."""
    patient = get_object_or_404(Patient, pk=pk)
    if not Patient.objects.for_user(request.user).filter(pk=pk).exists():
        record_access(request=request, action=Action.VIEW, obj=patient, patient=patient, outcome=Outcome.DENIED)
        raise PermissionDenied("You do not have access to this patient.")
    return patient


@roles_required(*ALL_ROLES)
def patient_list(request):
    filterset = PatientFilterSet(request.GET or None, queryset=Patient.objects.for_user(request.user))
    page = None
    if filterset.is_bound and filterset.is_valid() and any(filterset.form.cleaned_data.values()):
        page = page_of(filterset.qs, request)
        record_access(
            request=request,
            action=Action.SEARCH,
            object_type="patients.patient",
            detail={"query": request.GET.dict(), "returned_ids": [p.pk for p in page.rows]},
        )
    return render(request, "patients/list.html", {"filterset": filterset, "page": page})


@roles_required(*ALL_ROLES)
def patient_detail(request, pk: int):
    patient = visible_patient(request, pk)
    record_access(request=request, action=Action.VIEW, obj=patient, patient=patient)
    orders = patient.orders.for_user(request.user).select_related("procedure", "referring_physician")
    context = {
        "patient": patient,
        "orders": orders,
        "coverages": patient.coverages.all(),
        "consents": patient.current_consents(),
        "consent_history": patient.consents.select_related("recorded_by")[:20],
        "merged_patients": patient.merged_patients.all(),
        "can_register": request.user.has_role(*REGISTRARS),
    }
    return render(request, "patients/detail.html", context)


@roles_required(*REGISTRARS)
def patient_create(request):
    form = PatientForm(request.POST or None)
    patient = submit(request, form, lambda data: services.register_patient(actor=request.user, **data))
    if patient:
        messages.success(request, f"{patient.display_name} registered with MRN {patient.mrn}.")
        return redirect(patient)
    return render(request, "patients/form.html", {"form": form, "title": "Register a patient"})


@roles_required(*REGISTRARS)
def patient_edit(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    form = PatientForm(request.POST or None, instance=patient)

    def save(data):
        fields = {k: v for k, v in data.items() if k not in ("mrn", "issuer")}
        return services.update_patient(patient=patient, actor=request.user, **fields)

    if submit(request, form, save):
        messages.success(request, "Patient details saved.")
        return redirect(patient)
    context = {"form": form, "title": f"Edit {patient.display_name}", "patient": patient}
    return render(request, "patients/form.html", context)


@roles_required(Role.FRONT_DESK, Role.BILLING, Role.ADMIN)
def coverage_add(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    form = CoverageForm(request.POST or None)
    if submit(request, form, lambda data: services.add_coverage(patient=patient, actor=request.user, **data)):
        messages.success(request, "Coverage added.")
        return redirect(patient)
    return render(request, "patients/form.html", {"form": form, "title": "Add insurance coverage", "patient": patient})


@roles_required(*REGISTRARS)
def consent_record(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    form = ConsentForm(request.POST or None)
    if submit(request, form, lambda data: services.record_consent(patient=patient, actor=request.user, **data)):
        messages.success(request, "Consent recorded.")
        return redirect(patient)
    return render(request, "patients/form.html", {"form": form, "title": "Record consent", "patient": patient})


@roles_required(*REGISTRARS)
def patient_merge(request, pk: int):
    """Merge a duplicate record into this one (the survivor), after the user confirms both side by side."""
    target = get_object_or_404(Patient, pk=pk)
    form = MergeForm(request.POST or None)
    source = None
    if request.method == "POST" and form.is_valid():
        source = Patient.objects.filter(mrn__iexact=form.cleaned_data["duplicate_mrn"].strip()).first()
        if source is None:
            form.add_error("duplicate_mrn", "No patient has this MRN.")
        else:
            try:
                moved = services.merge_patients(source=source, target=target, actor=request.user, request=request)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                count = sum(moved.values())
                messages.success(request, f"{source.mrn} merged into {target.mrn}; {count} records moved.")
                return redirect(target)
    return render(request, "patients/merge.html", {"form": form, "patient": target, "source": source})
