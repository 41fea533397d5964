"""Building the messages Lumen sends (HL7 v2.5.1): SIU^S12-S15/S26 (chapter 10), ORM^O01 / OMI^O23 status
updates (chapter 4) and ORU^R01 results (chapter 7). Each builder takes the event from ``ris.events`` plus the
order and patient rows, and the control ID of the outbox row."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from ris.accounts.models import User
from ris.events import AppointmentChange, AppointmentEvent, OrderStatusEvent, ReportEvent
from ris.hl7.choices import ORDER_STATUS_TO_ORC1, ORDER_STATUS_TO_ORC5
from ris.hl7.models import Partner
from ris.hl7.parsing import escape, format_ts
from ris.orders.models import Order
from ris.patients.models import Patient

SIU_TRIGGERS = {
    AppointmentChange.BOOKED: "S12",
    AppointmentChange.RESCHEDULED: "S13",
    AppointmentChange.MODIFIED: "S14",
    AppointmentChange.CANCELLED: "S15",
    AppointmentChange.NO_SHOW: "S26",
}
SIU_FILLER_STATUS = {"S12": "Booked", "S13": "Booked", "S14": "Booked", "S15": "Cancelled", "S26": "Noshow"}
PRIORITY_CODE = {"stat": "S", "urgent": "A", "routine": "R"}


def join(*fields: str) -> str:
    """A segment from its fields, trailing empty fields dropped."""
    parts = list(fields)
    while parts and parts[-1] == "":
        parts.pop()
    return "|".join(parts)


def msh(partner: Partner, message_type: str, control_id: str) -> str:
    return join(
        "MSH",
        "^~\\&",
        escape(settings.LUMEN_HL7_APPLICATION),
        escape(settings.LUMEN_HL7_FACILITY),
        escape(partner.application),
        escape(partner.facility),
        format_ts(timezone.localtime()),
        "",
        message_type,
        control_id,
        "P",
        "2.5.1",
        "",
        "",
        "AL",
        "NE",
        "",
        "UNICODE UTF-8",
    )


def pid(patient: Patient) -> str:
    name = "^".join(
        escape(p)
        for p in (patient.family_name, patient.given_name, patient.middle_name, patient.suffix, patient.prefix)
    ).rstrip("^")
    address = "^".join(
        escape(p) for p in (patient.address_line, "", patient.city, patient.state, patient.postal_code, patient.country)
    ).rstrip("^")
    return join(
        "PID",
        "1",
        "",
        f"{escape(patient.mrn)}^^^{escape(patient.issuer)}^MR",
        "",
        name,
        "",
        patient.birth_date.strftime("%Y%m%d"),
        patient.sex,
        "",
        "",
        address,
        "",
        escape(patient.phone),
    )


def person(user: User | None) -> str:
    """XCN: NPI (when the user has one) ^ family ^ given."""
    if user is None:
        return ""
    profile = getattr(user, "provider_profile", None)
    npi = getattr(profile, "npi", "") if profile is not None else ""
    ident = npi or user.get_username()
    return f"{escape(ident)}^{escape(user.last_name)}^{escape(user.first_name)}"


def order_ids(order: Order) -> tuple[str, str]:
    """(placer EI, filler EI): the ordering system's number and Lumen's accession number."""
    placer = escape(order.placer_order_number)
    filler = f"{escape(order.accession_number)}^{escape(settings.LUMEN_HL7_APPLICATION)}"
    return placer, filler


def obr(order: Order, *, status: str = "", extra: dict[int, str] | None = None) -> str:
    placer, filler = order_ids(order)
    fields = ["OBR", "1", placer, filler, f"{escape(order.procedure.code)}^{escape(order.procedure.name)}^L"]
    fields += [""] * 45
    fields[16] = person(order.referring_physician)
    fields[18] = escape(order.accession_number)  # OBR-18 placer field 1: accession number (IHE SWF)
    fields[24] = escape(order.procedure.modality_type)  # OBR-24 diagnostic service section
    fields[25] = status
    fields[31] = escape(order.reason.splitlines()[0][:200]) if order.reason else ""
    for number, text in (extra or {}).items():
        fields[number] = text
    return join(*fields)


def load_order(order_id: int) -> Order:
    return Order.objects.select_related("patient", "procedure", "referring_physician__provider_profile").get(
        pk=order_id
    )


def siu(partner: Partner, event: AppointmentEvent, order: Order, control_id: str) -> str:
    trigger = SIU_TRIGGERS[event.kind]
    placer, filler = order_ids(order)
    minutes = max(1, int((event.end - event.start).total_seconds() // 60))
    start, end = format_ts(timezone.localtime(event.start)), format_ts(timezone.localtime(event.end))
    sch = join(
        "SCH",
        "",
        f"{event.appointment_id}^{escape(settings.LUMEN_HL7_APPLICATION)}",
        "",
        "",
        "",
        f"{trigger}^{escape(event.reason[:100])}" if event.reason else "",
        f"{escape(order.procedure.code)}^{escape(order.procedure.name)}^L",
        "",
        str(minutes),
        "min",
        f"^^M{minutes}^{start}^{end}",  # TQ-3 duration: M<minutes>
        *[""] * 13,
        SIU_FILLER_STATUS[trigger],
        placer,
        filler,
    )
    segments = [
        msh(partner, f"SIU^{trigger}^SIU_S12", control_id),
        sch,
        join("TQ1", "1", "", "", "", "", f"{minutes}^min", start, end, PRIORITY_CODE.get(order.priority, "R")),
        pid(order.patient),
        join("RGS", "1", "A"),
        join(
            "AIS",
            "1",
            "A",
            f"{escape(order.procedure.code)}^{escape(order.procedure.name)}^L",
            start,
            "",
            "",
            str(minutes),
            "min",
            "",
            SIU_FILLER_STATUS[trigger],
        ),
        join("AIL", "1", "A", f"{escape(event.resource_code)}^^^^^^^^{escape(event.resource_name)}", "", "", start),
    ]
    if event.station_ae_title:
        segments.append(join("AIG", "1", "A", f"{escape(event.station_ae_title)}^^^AE", "MODALITY", "", "", "", start))
    if event.performing_physician_id:
        physician = User.objects.select_related("provider_profile").filter(pk=event.performing_physician_id).first()
        segments.append(
            join(
                "AIP",
                "1",
                "A",
                person(physician),
                "PERFORMING^Performing physician^L",
                "",
                start,
                "",
                "",
                str(minutes),
                "min",
                "",
                SIU_FILLER_STATUS[trigger],
            )
        )
    if event.previous_start is not None:
        previous = format_ts(timezone.localtime(event.previous_start))
        segments.append(join("NTE", "1", "L", escape(f"Moved from {previous}")))
    return "\r".join(segments)


def order_status(partner: Partner, event: OrderStatusEvent, order: Order, control_id: str, *, omi: bool) -> str:
    """ORM^O01 (or OMI^O23) telling the partner the order's status (ORC-5, table 0038)."""
    placer, filler = order_ids(order)
    control = ORDER_STATUS_TO_ORC1.get(event.to_status, "SC")
    orc = join(
        "ORC",
        control,
        placer,
        filler,
        "",
        ORDER_STATUS_TO_ORC5[event.to_status],
        "",
        "" if omi else f"^^^^^{PRIORITY_CODE.get(order.priority, 'R')}",
        "",
        format_ts(timezone.localtime(event.at)),
        "",
        "",
        person(order.referring_physician),
        *[""] * 3,
        escape(event.reason[:200]) if event.reason else "",
    )
    segments = [
        msh(partner, "OMI^O23^OMI_O23" if omi else "ORM^O01^ORM_O01", control_id),
        pid(order.patient),
        orc,
    ]
    if omi:
        segments.append(join("TQ1", "1", *[""] * 7, PRIORITY_CODE.get(order.priority, "R")))
    segments.append(obr(order))
    if omi:
        segments.append(
            join(
                "IPC",
                escape(order.accession_number),
                escape(order.accession_number),
                escape(order.study_instance_uid or ""),
                escape(order.accession_number),
                escape(order.procedure.modality_type),
            )
        )
    return "\r".join(segments)


def oru(partner: Partner, event: ReportEvent, order: Order, control_id: str) -> str:
    """ORU^R01: the report's sections as formatted-text OBX segments, OBR-25 / OBX-11 = P, F or C."""
    users = User.objects.select_related("provider_profile").in_bulk(
        [pk for pk in (event.author_id, event.signer_id) if pk]
    )
    author, signer = users.get(event.author_id), users.get(event.signer_id)
    when = format_ts(timezone.localtime(event.signed_at or timezone.now()))
    placer, filler = order_ids(order)
    segments = [
        msh(partner, "ORU^R01^ORU_R01", control_id),
        pid(order.patient),
        join("ORC", "RE", placer, filler, "", ORDER_STATUS_TO_ORC5.get(order.status, "CM")),
        obr(
            order,
            status=event.status,
            extra={7: when, 22: when, 32: person(signer or author).replace("^", "&"), 35: ""},
        ),
    ]
    number = 0
    for section in event.sections:
        number += 1
        segments.append(
            join(
                "OBX",
                str(number),
                "FT",
                f"{escape(section.key.upper())}^{escape(section.title)}^L",
                "",
                escape(section.text),
                "",
                "",
                "AA" if event.critical and section.key == "impression" else "",
                "",
                "",
                event.status,
                "",
                "",
                when,
                "",
                person(signer or author),
            )
        )
    for text in event.addenda:
        number += 1
        segments.append(
            join("OBX", str(number), "FT", "ADDENDUM^Addendum^L", "", escape(text), *[""] * 5, event.status)
        )
    if author is not None and signer is not None and author.pk != signer.pk:
        segments.append(join("NTE", "1", "L", escape(f"Written by {author.get_full_name()}")))
    return "\r".join(segments)
