"""HL7 pages (administrators): partners, the message log with search, one message by segment and field with
replay, and the dead-letter list with resend. The log holds patient data: every page showing it is logged."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from common.forms import submit
from common.paging import page_of
from ris.accounts.choices import Role
from ris.accounts.roles import roles_required
from ris.audit.services import record_search, visible_record
from ris.hl7 import services
from ris.hl7.filtersets import MessageFilterSet
from ris.hl7.forms import PartnerForm
from ris.hl7.models import Message, Partner

FIELD_NAMES = {
    "MSH": {
        3: "Sending application",
        4: "Sending facility",
        5: "Receiving application",
        7: "Date/time",
        9: "Message type",
        10: "Control ID",
        11: "Processing ID",
        12: "Version",
    },
    "PID": {3: "Patient identifiers", 5: "Patient name", 7: "Date of birth", 8: "Sex", 11: "Address", 13: "Phone"},
    "ORC": {
        1: "Order control",
        2: "Placer order number",
        3: "Filler order number",
        5: "Order status",
        12: "Ordering provider",
    },
    "OBR": {
        2: "Placer order number",
        3: "Filler order number",
        4: "Universal service ID",
        16: "Ordering provider",
        25: "Result status",
        31: "Reason for study",
    },
    "MSA": {1: "Acknowledgment code", 2: "Control ID", 3: "Text"},
    "ERR": {2: "Error location", 3: "HL7 error code", 4: "Severity", 8: "User message"},
    "OBX": {2: "Value type", 3: "Observation ID", 5: "Value", 11: "Result status"},
    "SCH": {2: "Filler appointment ID", 11: "Timing", 25: "Filler status"},
    "MRG": {1: "Prior patient identifiers"},
}


def pretty(raw: str) -> list[dict]:
    """Segments with numbered fields (MSH counted as the standard counts it: MSH-1 is the separator)."""
    rows = []
    for text in raw.replace("\n", "\r").split("\r"):
        if not text:
            continue
        name = text[:3]
        parts = text.split("|")
        if name == "MSH":
            numbered = [(1, "|"), *((n + 1, v) for n, v in enumerate(parts[1:], start=1))]
        else:
            numbered = list(enumerate(parts[1:], start=1))
        names = FIELD_NAMES.get(name, {})
        rows.append(
            {
                "name": name,
                "text": text,
                "fields": [{"n": n, "value": v, "label": names.get(n, "")} for n, v in numbered if v],
            }
        )
    return rows


def visible_message(request, pk: int) -> Message:
    queryset = Message.objects.select_related("partner", "patient", "order", "duplicate_of", "replay_of")
    return visible_record(request, queryset, pk, patient_of=lambda m: m.patient_id, missing="No such message.")


@roles_required(Role.ADMIN)
def message_list(request):
    queryset = Message.objects.for_user(request.user).select_related("partner", "patient")
    filterset = MessageFilterSet(request.GET or None, queryset=queryset)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    page = page_of(rows.order_by("-id"), request)
    record_search(request, "hl7.message", page.rows)
    return render(request, "hl7/message_list.html", {"filterset": filterset, "page": page, "title": "HL7 messages"})


@roles_required(Role.ADMIN)
def dead_letters(request):
    queryset = Message.objects.for_user(request.user).dead_letters().select_related("partner", "patient")
    page = page_of(queryset.order_by("id"), request)
    record_search(request, "hl7.message", page.rows, list="dead_letters")
    return render(request, "hl7/message_list.html", {"page": page, "title": "Dead letters", "dead": True})


@roles_required(Role.ADMIN)
def message_detail(request, pk: int):
    message = visible_message(request, pk)
    context = {"message": message, "segments": pretty(message.raw), "ack_segments": pretty(message.ack)}
    return render(request, "hl7/message_detail.html", context)


@require_POST
@roles_required(Role.ADMIN)
def message_replay(request, pk: int):
    message = visible_message(request, pk)
    copy = services.replay(message=message, actor=request.user)
    messages.success(request, f"Replayed as message {copy.pk}.")
    return redirect(copy)


@require_POST
@roles_required(Role.ADMIN)
def message_resend(request, pk: int):
    message = visible_message(request, pk)
    try:
        services.resend(message=message, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Queued for delivery again.")
    return redirect(message)


@require_POST
@roles_required(Role.ADMIN)
def message_discard(request, pk: int):
    message = visible_message(request, pk)
    try:
        services.discard(message=message, actor=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Discarded; later messages for this patient go on.")
    return redirect(message)


@roles_required(Role.ADMIN)
def partner_list(request):
    return render(request, "hl7/partner_list.html", {"partners": Partner.objects.all()})


@roles_required(Role.ADMIN)
def partner_edit(request, pk: int | None = None):
    partner = get_object_or_404(Partner, pk=pk) if pk else None
    form = PartnerForm(request.POST or None, instance=partner)
    saved = submit(request, form, lambda data: services.save_partner(form=form, actor=request.user))
    if saved:
        messages.success(request, f"Partner {saved.name} saved.")
        return redirect("hl7:partners")
    return render(request, "hl7/partner_form.html", {"form": form, "partner": partner})
