"""Modality Worklist query (PS3.4 K.6, Modality Worklist Information Model - FIND) over booked appointments.

``find_worklist(identifier)`` turns the C-FIND identifier's matching keys into one indexed query and yields one
response data set per scheduled procedure step, holding the requested return keys only (keys Lumen does not
know are left out, as PS3.4 C.2.2.1.2 allows). An invalid matching key raises ``QueryError`` with the
DIMSE failure status to answer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from django.db.models import Q
from django.utils import timezone
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from pacs.query import IDENTIFIER_DOES_NOT_MATCH, QueryError
from ris.accounts.models import User
from ris.orders.choices import OrderStatus
from scheduling.models import Appointment, Resource

MWL_PRIORITY = {"stat": "STAT", "urgent": "HIGH", "routine": "ROUTINE"}
WORKLIST_ORDER_STATUSES = (OrderStatus.SCHEDULED, OrderStatus.ARRIVED)


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    if value is None or value == "":
        return ""
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return "\\".join(str(v) for v in value).strip()
    return str(value).strip()


def _wildcard(field: str, value: str) -> Q:
    """Single value or wildcard matching (``*`` and ``?``), PS3.4 C.2.2.2.1 and C.2.2.2.4."""
    if value in ("*", ""):
        return Q()
    if "*" not in value and "?" not in value:
        return Q(**{field: value})
    pattern = "^" + "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in value) + "$"
    return Q(**{f"{field}__iregex": pattern})


def _parse(value: str, kind: str) -> dt.date | dt.time:
    try:
        if kind == "date":
            if not re.fullmatch(r"\d{8}", value):
                raise ValueError
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        match = re.fullmatch(r"(\d{2})(\d{2})?(\d{2})?(?:\.\d{1,6})?", value.replace(":", ""))
        if not match:
            raise ValueError
        return dt.time(int(match[1]), int(match[2] or 0), int(match[3] or 0))
    except ValueError:
        raise QueryError(IDENTIFIER_DOES_NOT_MATCH, f"{value!r} is not a valid {kind}.") from None


def _range(value: str, kind: str) -> tuple[dt.date | dt.time | None, dt.date | dt.time | None]:
    if "-" in value:
        low, _, high = value.partition("-")
        if not low and not high:
            raise QueryError(IDENTIFIER_DOES_NOT_MATCH, f"{value!r} is not a valid {kind} range.")
        return (_parse(low, kind) if low else None), (_parse(high, kind) if high else None)
    one = _parse(value, kind)
    return one, one


def _start_filter(date_value: str, time_value: str) -> Q:
    """Scheduled Procedure Step Start Date and Time, combined into one datetime range (PS3.4 C.2.2.2.5.1)."""
    if not date_value and not time_value:
        return Q()
    date_low, date_high = _range(date_value, "date") if date_value else (None, None)
    time_low, time_high = _range(time_value, "time") if time_value else (None, None)
    q = Q()
    if date_low:
        low = timezone.make_aware(dt.datetime.combine(date_low, time_low or dt.time.min))
        q &= Q(start__gte=low)
    if date_high:
        high_time = time_high.replace(second=59, microsecond=999999) if time_high else dt.time.max
        high = timezone.make_aware(dt.datetime.combine(date_high, high_time))
        q &= Q(start__lte=high)
    if not date_value:  # a time without a date: that time of any day
        if time_low:
            q &= Q(start__time__gte=time_low)
        if time_high:
            q &= Q(start__time__lte=time_high.replace(second=59))
    return q


def _step_item(identifier: Dataset) -> Dataset:
    seq = identifier.get("ScheduledProcedureStepSequence")
    if not seq:
        return Dataset()
    if len(seq) > 1:
        raise QueryError(IDENTIFIER_DOES_NOT_MATCH, "The Scheduled Procedure Step Sequence has one item.")
    return seq[0]


def _person_filter(field: str, name: str) -> Q:
    """PN matching on a user (family^given), single value or wildcard per component."""
    if name in ("", "*"):
        return Q()
    family, _, given = name.partition("^")
    q = _wildcard(f"{field}__last_name", family)
    given = given.split("^")[0]
    if given and given != "*":
        q &= _wildcard(f"{field}__first_name", given)
    return q


def matching_appointments(identifier: Dataset):
    """The live appointments matching the identifier's keys, with what the response needs, in start order."""
    sps = _step_item(identifier)
    q = Q(status__in=("booked", "arrived"), order__status__in=WORKLIST_ORDER_STATUSES)
    q &= _start_filter(_text(sps, "ScheduledProcedureStepStartDate"), _text(sps, "ScheduledProcedureStepStartTime"))
    # Station and modality select resources (a few rows): resolved first, so the main query joins only the
    # appointment, order, patient and procedure tables.
    resources = Resource.objects.all()
    station = _text(sps, "ScheduledStationAETitle")
    if station:
        stations = [s.strip() for s in station.split("\\") if s.strip()]
        resources = resources.filter(
            Q(modality__ae_title__in=stations) if len(stations) > 1 else _wildcard("modality__ae_title", stations[0])
        )
    resources = resources.filter(_wildcard("modality_type", _text(sps, "Modality")))
    if station or _text(sps, "Modality") not in ("", "*"):
        q &= Q(resource_id__in=list(resources.values_list("pk", flat=True)))
    q &= _person_filter("performing_physician", _text(sps, "ScheduledPerformingPhysicianName"))
    step_id = _text(sps, "ScheduledProcedureStepID")
    if step_id and step_id != "*":
        q &= Q(pk=int(step_id[3:])) if re.fullmatch(r"SPS\d{1,18}", step_id) else Q(pk__in=[])
    q &= _wildcard("order__accession_number", _text(identifier, "AccessionNumber"))
    q &= _wildcard("order__accession_number", _text(identifier, "RequestedProcedureID"))
    q &= _wildcard("order__patient__mrn", _text(identifier, "PatientID"))
    uid = _text(identifier, "StudyInstanceUID")
    if uid:
        q &= Q(order__study_instance_uid__in=[u for u in uid.split("\\") if u])
    name = _text(identifier, "PatientName")
    if name and name != "*":
        family, _, given = name.partition("^")
        q &= _wildcard("order__patient__family_name", family)
        if given and given != "*":
            q &= _wildcard("order__patient__given_name", given.split("^")[0])
    return Appointment.objects.filter(q).select_related("order__patient", "order__procedure").order_by("start", "id")


def _pn(user) -> str:
    return f"{user.last_name}^{user.first_name}".strip("^") if user else ""


def full_response(appointment: Appointment, resource: Resource, users: dict) -> Dataset:
    """Everything Lumen knows about one scheduled procedure step, as MWL attributes."""
    order, patient, procedure = appointment.order, appointment.order.patient, appointment.order.procedure
    start, end = timezone.localtime(appointment.start), timezone.localtime(appointment.end)
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = procedure.code, "L", procedure.name[:64]
    step = Dataset()
    step.Modality = resource.modality_type
    step.ScheduledStationAETitle = resource.station_ae_title
    step.ScheduledStationName = resource.name[:16]
    step.ScheduledProcedureStepLocation = str(resource.room or resource.name)[:16]
    step.ScheduledProcedureStepStartDate = start.strftime("%Y%m%d")
    step.ScheduledProcedureStepStartTime = start.strftime("%H%M%S")
    step.ScheduledProcedureStepEndDate = end.strftime("%Y%m%d")
    step.ScheduledProcedureStepEndTime = end.strftime("%H%M%S")
    step.ScheduledPerformingPhysicianName = _pn(users.get(appointment.performing_physician_id))
    step.ScheduledProcedureStepDescription = procedure.name[:64]
    step.ScheduledProtocolCodeSequence = Sequence([code])
    step.ScheduledProcedureStepID = appointment.step_id
    step.ScheduledProcedureStepStatus = "ARRIVED" if appointment.status == "arrived" else "SCHEDULED"
    step.PreMedication = ""
    step.RequestedContrastAgent = "YES" if procedure.contrast else ""
    requested_code = Dataset()
    requested_code.CodeValue, requested_code.CodingSchemeDesignator = procedure.code, "L"
    requested_code.CodeMeaning = procedure.name[:64]
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.AccessionNumber = order.accession_number
    ds.ReferringPhysicianName = _pn(users.get(order.referring_physician_id))
    ds.PatientName = patient.dicom_name
    ds.PatientID = patient.mrn
    ds.IssuerOfPatientID = patient.issuer[:64]
    ds.PatientBirthDate = patient.birth_date.strftime("%Y%m%d")
    ds.PatientSex = patient.sex if patient.sex in ("M", "F", "O") else ""
    ds.MedicalAlerts = ""
    ds.Allergies = ""  # (0010,2110), formerly Contrast Allergies
    ds.PregnancyStatus = 4  # unknown
    ds.StudyInstanceUID = order.study_instance_uid
    ds.RequestingPhysician = _pn(users.get(order.referring_physician_id))
    ds.RequestedProcedureDescription = procedure.name[:64]
    ds.RequestedProcedureCodeSequence = Sequence([requested_code])
    ds.RequestedProcedureID = order.accession_number
    ds.RequestedProcedurePriority = MWL_PRIORITY.get(order.priority, "ROUTINE")
    ds.ReasonForTheRequestedProcedure = order.reason[:64]
    ds.AdmissionID = ""
    ds.ScheduledProcedureStepSequence = Sequence([step])
    return ds


def _only_requested(full: Dataset, requested: Dataset, *, top: bool = True) -> Dataset:
    """Keep the return keys the query asked for; a sequence asked for with an empty item gets its whole item."""
    out = Dataset()
    for element in requested:
        if element.keyword == "SpecificCharacterSet" or element.tag not in full:
            continue
        value = full[element.tag]
        if element.VR == "SQ" and element.value and len(element.value[0]) and value.VR == "SQ" and value.value:
            item = _only_requested(value.value[0], element.value[0], top=False)
            out.add_new(element.tag, "SQ", Sequence([item]))
        else:
            out.add(value)
    if top:
        out.SpecificCharacterSet = full.SpecificCharacterSet
    return out


CHUNK = 500


def find_worklist(identifier: Dataset) -> Iterator[Dataset]:
    """The MWL C-FIND responses for an identifier (raises QueryError for an invalid one)."""
    try:
        appointments = matching_appointments(identifier)
    except QueryError:
        raise
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise QueryError(IDENTIFIER_DOES_NOT_MATCH, f"The query could not be read: {exc}") from None
    resources = {r.pk: r for r in Resource.objects.select_related("modality", "room")}
    users: dict = {}
    offset = 0
    while True:  # in chunks: a broad query never holds every match in memory at once
        chunk = list(appointments[offset : offset + CHUNK])
        wanted = {a.performing_physician_id for a in chunk} | {a.order.referring_physician_id for a in chunk}
        wanted -= {None, *users}
        if wanted:
            users.update((u.pk, u) for u in User.objects.filter(pk__in=wanted))
        for appointment in chunk:
            yield _only_requested(full_response(appointment, resources[appointment.resource_id], users), identifier)
        if len(chunk) < CHUNK:
            return
        offset += CHUNK
