"""Front-desk pages for patients: search, register, edit, coverage, consent, merge."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from common.forms import submit
from common.paging import page_of
from ris.accounts.choices import ALL_ROLES, Role
from ris.accounts.roles import roles_required
from ris.audit.choices import Action
from ris.audit.services import record_access, record_search, visible_record
from ris.patients import services
from ris.patients.filtersets import PatientFilterSet
from ris.patients.forms import ConsentForm, CoverageForm, MergeConfirmForm, MergeLookupForm, PatientForm
from ris.patients.models import Patient

REGISTRARS = (Role.FRONT_DESK, Role.ADMIN)
COVERAGE_ROLES = (Role.FRONT_DESK, Role.BILLING, Role.ADMIN)


def visible_patient(request, pk: int) -> Patient:
    """The patient, if this user may see them (logged; see ``visible_record``)."""
    return visible_record(request, Patient.objects.all(), pk, patient_of=lambda p: p, missing="No such patient.")


@roles_required(*ALL_ROLES)
def patient_list(request):
    filterset = PatientFilterSet(request.GET or None, queryset=Patient.objects.for_user(request.user))
    page = None
    if filterset.is_bound and filterset.is_valid() and any(filterset.form.cleaned_data.values()):
        page = page_of(filterset.qs, request)
        record_search(request, "patients.patient", page.rows)
    return render(request, "patients/list.html", {"filterset": filterset, "page": page})


@roles_required(*ALL_ROLES)
def patient_detail(request, pk: int):
    patient = visible_patient(request, pk)
    orders = (
        patient.orders.for_user(request.user)
        .select_related("procedure", "referring_physician", "report")
        .prefetch_related("studies", "appointments__resource")
    )
    context = {
        "patient": patient,
        "orders": orders,
        "coverages": patient.coverages.all() if request.user.has_role(*COVERAGE_ROLES) else None,
        "consents": patient.current_consents(),
        "consent_history": patient.consents.select_related("recorded_by")[:20],
        "merged_patients": patient.merged_patients.all(),
        "can_register": request.user.has_role(*REGISTRARS),
        "can_cover": request.user.has_role(*COVERAGE_ROLES),
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
    patient = visible_patient(request, pk)
    form = PatientForm(request.POST or None, instance=patient)

    def save(data):
        fields = {k: v for k, v in data.items() if k not in ("mrn", "issuer")}
        return services.update_patient(patient=patient, actor=request.user, **fields)

    if submit(request, form, save):
        messages.success(request, "Patient details saved.")
        return redirect(patient)
    context = {"form": form, "title": f"Edit {patient.display_name}", "patient": patient}
    return render(request, "patients/form.html", context)


@roles_required(*COVERAGE_ROLES)
def coverage_add(request, pk: int):
    patient = visible_patient(request, pk)
    form = CoverageForm(request.POST or None)
    if submit(request, form, lambda data: services.add_coverage(patient=patient, actor=request.user, **data)):
        messages.success(request, "Coverage added.")
        return redirect(patient)
    return render(request, "patients/form.html", {"form": form, "title": "Add insurance coverage", "patient": patient})


@roles_required(*REGISTRARS)
def consent_record(request, pk: int):
    patient = visible_patient(request, pk)
    form = ConsentForm(request.POST or None)
    if submit(request, form, lambda data: services.record_consent(patient=patient, actor=request.user, **data)):
        messages.success(request, "Consent recorded.")
        return redirect(patient)
    return render(request, "patients/form.html", {"form": form, "title": "Record consent", "patient": patient})


@roles_required(*REGISTRARS)
def patient_merge(request, pk: int):
    """Merge a duplicate record into this one, in two steps: find the duplicate by issuer and MRN, then confirm
    with both records side by side."""
    target = visible_patient(request, pk)
    lookup = MergeLookupForm(request.POST if "find" in request.POST else None)
    confirm = MergeConfirmForm(request.POST if "merge" in request.POST else None)
    source = None
    if lookup.is_bound and lookup.is_valid():
        source = lookup.cleaned_data["duplicate"]
        if source.pk == target.pk:
            lookup.add_error("duplicate_mrn", "This is the record you are merging into.")
            source = None
        else:
            record_access(request=request, action=Action.VIEW, obj=source, patient=source)
    elif confirm.is_bound and confirm.is_valid():
        source = get_object_or_404(Patient, pk=confirm.cleaned_data["source"])
        moved = submit(
            request,
            confirm,
            lambda data: services.merge_patients(source=source, target=target, actor=request.user, request=request),
        )
        if moved is not None:
            count = sum(moved.values())
            messages.success(request, f"{source.mrn} merged into {target.mrn}; {count} records moved.")
            return redirect(target)
    if source is not None and not confirm.is_bound:
        confirm = MergeConfirmForm(initial={"source": source.pk})
    context = {"lookup": lookup, "confirm": confirm, "patient": target, "source": source}
    return render(request, "patients/merge.html", context)
