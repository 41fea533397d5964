"""Front desk calendar and booking pages, appointment pages, preparation sheets, and the technologist's board."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from common.forms import submit
from ris.accounts.choices import Role
from ris.accounts.roles import roles_required
from ris.audit.choices import Action
from ris.audit.services import record_access, record_search, visible_record
from ris.orders.models import Order
from scheduling import availability, services
from scheduling.board import board_rows
from scheduling.filtersets import AppointmentFilterSet
from scheduling.forms import BookingForm, CalendarForm, ModifyForm, NoteForm, RescheduleForm
from scheduling.models import Appointment, PerformedStep, Resource
from scheduling.pdf import preparation_pdf

BOOKING_ROLES = (Role.FRONT_DESK, Role.ADMIN)
ARRIVAL_ROLES = (Role.FRONT_DESK, Role.TECHNOLOGIST, Role.ADMIN)
EXAM_ROLES = (Role.TECHNOLOGIST, Role.ADMIN)
VIEW_ROLES = (Role.FRONT_DESK, Role.TECHNOLOGIST, Role.RADIOLOGIST, Role.ADMIN, Role.DEPARTMENT_LEAD)


def _back(request, default):
    """Where to return after a POST: the page that sent it, if it is one of Lumen's own, else ``default``."""
    back = request.POST.get("back", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=False):
        return redirect(back)
    return redirect(default)


def visible_appointment(request, pk: int) -> Appointment:
    queryset = Appointment.objects.select_related("order__patient", "order__procedure", "resource__room")
    return visible_record(
        request, queryset, pk, patient_of=lambda a: a.order.patient_id, missing="No such appointment."
    )


def _grid(resource: Resource, day: dt.date, appointments: list[Appointment], order: Order | None):
    """Rows of the day view: each grid time with its appointments, and whether it is free to book."""
    periods = availability.opening_periods(resource, day)
    if not periods:
        return []
    first, last = min(p[0] for p in periods), max(p[1] for p in periods)
    closed = availability.closures(resource, first, last)
    step = dt.timedelta(minutes=resource.slot_minutes)
    length = dt.timedelta(minutes=order.procedure.default_duration) if order else step
    now = timezone.now()
    rows, t = [], first
    while t < last:
        end = t + step
        here = [a for a in appointments if a.start < end and a.end > t]
        starting = [a for a in here if t <= a.start < end]
        block = next((reason for s, e, reason in closed if s < end and e > t), "")
        is_open = any(o <= t and end <= c for o, c in periods)
        fits = any(o <= t and t + length <= c for o, c in periods)
        overlapping = [(a.start, a.end) for a in appointments if a.start < t + length and a.end > t]
        free = (
            is_open
            and fits
            and not block
            and t >= now
            and availability.peak_overlap(overlapping, t, t + length) < resource.capacity  # as booking counts
            and not any(s < t + length and e > t for s, e, _ in closed)
        )
        rows.append(
            {"time": t, "starting": starting, "busy": bool(here), "block": block, "open": is_open, "free": free}
        )
        t = end
    return rows


@roles_required(*VIEW_ROLES)
def calendar(request):
    """Day or week view of one resource; with ``order`` set, free times are buttons that book it."""
    form = CalendarForm(request.GET or None)
    form.is_valid()
    data = form.cleaned_data if form.is_bound else {}
    resources = list(Resource.objects.filter(active=True).select_related("modality", "room"))
    order = data.get("order")
    if order is not None:
        resources_for_order = [r for r in resources if r.modality_type == order.procedure.modality_type]
    else:
        resources_for_order = resources
    resource = data.get("resource") or (resources_for_order[0] if resources_for_order else None)
    day = form.day()
    week = data.get("view") == "week"
    first = day - dt.timedelta(days=day.weekday()) if week else day
    days = [first + dt.timedelta(days=i) for i in range(7 if week else 1)]
    context = {
        "form": form,
        "resources": resources_for_order,
        "resource": resource,
        "day": day,
        "days": days,
        "week": week,
        "order": order,
        "previous": first - dt.timedelta(days=7 if week else 1),
        "next": first + dt.timedelta(days=7 if week else 1),
        "waiting": Order.objects.awaiting_scheduling().select_related("patient", "procedure").stat_first()[:20]
        if request.user.has_role(*BOOKING_ROLES)
        else [],
        "can_book": request.user.has_role(*BOOKING_ROLES),
    }
    shown: list[Appointment] = []
    if resource is not None:
        start = timezone.make_aware(dt.datetime.combine(days[0], dt.time.min))
        end = start + dt.timedelta(days=len(days))
        appointments = list(
            Appointment.objects.for_user(request.user)
            .live()
            .filter(resource=resource)
            .overlapping(start, end)
            .select_related("order__patient", "order__procedure")
        )
        shown = appointments
        if week:
            context["columns"] = [
                {"day": d, "appointments": [a for a in appointments if timezone.localtime(a.start).date() == d]}
                for d in days
            ]
        else:
            context["rows"] = _grid(resource, day, appointments, order if context["can_book"] else None)
    record_search(request, "scheduling.appointment", shown)
    return render(request, "scheduling/calendar.html", context)


@roles_required(*BOOKING_ROLES)
def find_slots(request, order_pk: int):
    """Free slots for one order across every suitable resource, the next two weeks."""
    order = visible_record(
        request,
        Order.objects.select_related("patient", "procedure"),
        order_pk,
        patient_of=lambda o: o.patient_id,
        missing="No such order.",
    )
    slots = availability.free_slots(procedure=order.procedure, first_day=timezone.localdate(), days=14, limit=60)
    return render(request, "scheduling/slots.html", {"order": order, "slots": slots})


@require_POST
@roles_required(*BOOKING_ROLES)
def book(request):
    form = BookingForm(request.POST)

    def action(data):
        return services.book_appointment(
            actor=request.user,
            order=data["order"],
            resource=data["resource"],
            start=data["start"],
            minutes=data["minutes"],
        )

    appointment = submit(request, form, action)
    if appointment is not None:
        messages.success(request, f"Booked {appointment.order.accession_number} on {appointment.resource} at "
                         f"{timezone.localtime(appointment.start):%Y-%m-%d %H:%M}.")  # fmt: skip
        return redirect(appointment)
    for field, errors in form.errors.items():
        for error in errors:
            messages.error(request, error if field == "__all__" else f"{error}")
    return _back(request, "scheduling:calendar")


@roles_required(*VIEW_ROLES, Role.REFERRING_PHYSICIAN)
def appointment_detail(request, pk: int):
    appointment = visible_appointment(request, pk)
    user = request.user
    context = {
        "appointment": appointment,
        "order": appointment.order,
        "reschedule": RescheduleForm(initial={"resource": appointment.resource, "start": appointment.start}),
        "modify": ModifyForm(
            initial={"performing_physician": appointment.performing_physician_id, "notes": appointment.notes}
        ),
        "can_book": user.has_role(*BOOKING_ROLES),
        "can_arrive": user.has_role(*ARRIVAL_ROLES),
        "notifications": appointment.notifications.all()[:10],
    }
    return render(request, "scheduling/appointment.html", context)


def _act(request, appointment, action, success: str):
    try:
        action()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return _back(request, appointment.get_absolute_url())


@require_POST
@roles_required(*BOOKING_ROLES)
def reschedule(request, pk: int):
    appointment = visible_appointment(request, pk)
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the new resource and time.")
        return redirect(appointment)
    data = form.cleaned_data
    return _act(
        request,
        appointment,
        lambda: services.reschedule_appointment(
            actor=request.user,
            appointment=appointment,
            start=data["start"],
            resource=data["resource"],
            reason=data["reason"],
        ),
        "Appointment moved.",
    )


@require_POST
@roles_required(*BOOKING_ROLES)
def modify(request, pk: int):
    appointment = visible_appointment(request, pk)
    form = ModifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a technologist or radiologist, and keep notes under 500 characters.")
        return redirect(appointment)
    return _act(
        request,
        appointment,
        lambda: services.modify_appointment(actor=request.user, appointment=appointment, **form.cleaned_data),
        "Appointment details saved.",
    )


@require_POST
@roles_required(*BOOKING_ROLES)
def cancel(request, pk: int):
    appointment = visible_appointment(request, pk)
    reason = request.POST.get("reason", "")
    return _act(
        request,
        appointment,
        lambda: services.cancel_appointment(actor=request.user, appointment=appointment, reason=reason),
        "Appointment cancelled; the order is waiting for a new booking.",
    )


@require_POST
@roles_required(*ARRIVAL_ROLES)
def arrived(request, pk: int):
    appointment = visible_appointment(request, pk)
    return _act(
        request,
        appointment,
        lambda: services.mark_arrived(actor=request.user, appointment=appointment),
        f"{appointment.order.patient.display_name} has arrived.",
    )


@require_POST
@roles_required(*ARRIVAL_ROLES)
def no_show(request, pk: int):
    appointment = visible_appointment(request, pk)
    return _act(
        request,
        appointment,
        lambda: services.mark_no_show(
            actor=request.user, appointment=appointment, reason=request.POST.get("reason", "")
        ),
        "Marked as no-show; the order is waiting for a new booking.",
    )


@roles_required(*VIEW_ROLES, Role.REFERRING_PHYSICIAN)
def preparation(request, pk: int):
    """Preparation instructions for the patient: a printable page, or ``?format=pdf``."""
    appointment = visible_appointment(request, pk)
    if request.GET.get("format") == "pdf":
        record_access(request=request, action=Action.EXPORT, obj=appointment, patient=appointment.order.patient_id)
        response = HttpResponse(preparation_pdf(appointment), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="preparation-{appointment.pk}.pdf"'
        return response
    return render(request, "scheduling/preparation.html", {"appointment": appointment, "order": appointment.order})


def _board_context(request):
    """The board's rows: the day's appointments through the same FilterSet as the API (default: today)."""
    params = request.GET.copy()
    if not params.get("date"):
        params["date"] = timezone.localdate().isoformat()
    filterset = AppointmentFilterSet(params, queryset=Appointment.objects.for_user(request.user))
    if not filterset.is_valid():
        params["date"] = timezone.localdate().isoformat()
        filterset = AppointmentFilterSet({"date": params["date"]}, queryset=Appointment.objects.for_user(request.user))
        filterset.is_valid()
    day = filterset.form.cleaned_data["date"]
    modality = filterset.form.cleaned_data.get("modality") or ""
    appointments = filterset.qs
    rows = board_rows(appointments)
    record_search(request, "scheduling.appointment", [r.appointment for r in rows])
    return {
        "rows": rows,
        "day": day,
        "modality": modality,
        "can_run_exams": request.user.has_role(*EXAM_ROLES),
        "can_arrive": request.user.has_role(*ARRIVAL_ROLES),
    }


@roles_required(*VIEW_ROLES)
def board(request):
    """The page around the rows: what the refreshed rows (``board_rows_partial``) do not need again."""
    context = {
        **_board_context(request),
        "review_count": PerformedStep.objects.filter(review="needs_review").count(),
        "refresh_ms": settings.LUMEN_BOARD_REFRESH_SECONDS * 1000,
        "modalities": sorted(
            {(r.modality_type, r.get_modality_type_display()) for r in Resource.objects.filter(active=True)}
        ),
    }
    return render(request, "scheduling/board.html", context)


@roles_required(*VIEW_ROLES)
def board_rows_partial(request):
    """The board's table body alone, fetched every few seconds so the board updates without a reload."""
    return render(request, "scheduling/board_rows.html", _board_context(request))


def _exam_order(request, order_pk: int) -> Order:
    return visible_record(
        request, Order.objects.select_related("patient"), order_pk, patient_of=lambda o: o.patient_id,
        missing="No such order.",
    )  # fmt: skip


@require_POST
@roles_required(*EXAM_ROLES)
def exam_action(request, order_pk: int, action: str):
    """Start, complete or discontinue an exam by hand (for modalities without MPPS)."""
    order = _exam_order(request, order_pk)
    try:
        if action == "start":
            services.start_exam(actor=request.user, order=order)
        elif action == "complete":
            services.complete_exam(actor=request.user, order=order)
        elif action == "discontinue":
            services.discontinue_exam(actor=request.user, order=order, reason=request.POST.get("reason", ""))
        else:
            messages.error(request, "Unknown exam action.")
            return redirect("scheduling:board")
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Exam {order.accession_number}: {action} recorded.")
    return _back(request, "scheduling:board")


@roles_required(*EXAM_ROLES)
def exam_note(request, order_pk: int):
    order = _exam_order(request, order_pk)
    form = NoteForm(request.POST or None)
    note = submit(request, form, lambda data: services.add_exam_note(actor=request.user, order=order, **data))
    if note is not None:
        messages.success(request, "Note saved.")
        return redirect("scheduling:board")
    context = {"order": order, "form": form, "notes": order.exam_notes.select_related("author")}
    return render(request, "scheduling/note.html", context)


@roles_required(Role.TECHNOLOGIST, Role.ADMIN)
def review(request):
    """MPPS steps Lumen could not match to an order, or whose order could not move: kept for a person to look at."""
    steps = PerformedStep.objects.filter(review="needs_review").select_related("order")[:200]
    if request.method == "POST":
        from scheduling.mpps import resolve_step

        step_id = request.POST.get("step", "")
        step = get_object_or_404(PerformedStep, pk=int(step_id) if step_id.isdigit() else 0, review="needs_review")
        resolve_step(step=step, actor=request.user)
        messages.success(request, "Marked as reviewed.")
        return redirect("scheduling:review")
    record_search(request, "scheduling.performedstep", steps)
    return render(request, "scheduling/review.html", {"steps": steps})
