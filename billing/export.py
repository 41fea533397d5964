"""Claim files: ANSI X12 837P (005010X222A1) and CSV, streamed claim by claim so memory stays bounded.

X12 structure (ASC X12N/005010X222A1, Health Care Claim: Professional):
ISA/GS envelopes; per transaction set ST, BHT, 1000A submitter, 1000B receiver, 2000A/2010AA billing provider;
per claim 2000B/2010BA subscriber and 2010BB payer (2000C/2010CA patient when the subscriber is someone else),
2300 CLM with REF and HI, 2310A referring (NM1*DN) and 2310B rendering (NM1*82) providers, 2400 LX/SV1/DTP*472
service lines; SE/GE/IEA trailers.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch

from billing.choices import ClaimFormat, Frequency
from billing.models import Claim, ExportBatch
from ris.orders.models import Order
from ris.patients.choices import SubscriberRelationship

User = get_user_model()

CLAIMS_PER_TRANSACTION = 5000  # the guide's limit on CLM segments in one ST/SE
CHUNK = 500
SEGMENT = "~\n"

# SBR02 / PAT01 individual relationship codes.
RELATIONSHIP = {
    SubscriberRelationship.SELF: "18",
    SubscriberRelationship.SPOUSE: "01",
    SubscriberRelationship.CHILD: "19",
    SubscriberRelationship.OTHER: "G8",
}
PAYER_RESPONSIBILITY = {1: "P", 2: "S", 3: "T"}


def text(value, limit: int = 60) -> str:
    """Free text in the X12 basic character set: ASCII upper case, no delimiters (* ~ : ^)."""
    folded = unicodedata.normalize("NFKD", str(value or "")).encode("ascii", "ignore").decode()
    cleaned = "".join(ch if ch.isalnum() or ch in " -.,&'/#()" else " " for ch in folded.upper())
    return " ".join(cleaned.split())[:limit]


def money(value: Decimal) -> str:
    """X12 R (decimal) without needless zeros: 150, 82.5."""
    shown = f"{Decimal(value).quantize(Decimal('0.01')):f}"
    return shown.rstrip("0").rstrip(".") if "." in shown else shown


def seg(*elements) -> str:
    """One segment; empty trailing elements are dropped as X12 requires."""
    parts = [str(e) for e in elements]
    while parts and parts[-1] == "":
        parts.pop()
    return "*".join(parts) + SEGMENT


def split_name(full: str) -> tuple[str, str]:
    """'Gregory House' -> ('HOUSE', 'GREGORY'); 'House, Gregory' likewise."""
    if "," in full:
        last, first = full.split(",", 1)
    else:
        words = full.split()
        last, first = (words[-1], " ".join(words[:-1])) if words else ("", "")
    return text(last, 60), text(first, 35)


def claims_of(batch: ExportBatch) -> Iterator[Claim]:
    """The batch's claims in order, a chunk at a time, with what the file needs prefetched."""
    ids = list(batch.claims.order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), CHUNK):
        yield from (
            Claim.objects.filter(pk__in=ids[start : start + CHUNK])
            .select_related("patient", "payer", "coverage", "original")
            .prefetch_related(
                "charges__lines",
                Prefetch("charges__order", Order.objects.only("accession_number")),
                Prefetch("charges__rendering_provider", User.objects.only("first_name", "last_name")),
            )
            .order_by("id")
        )


def claim_lines(claim: Claim):
    """(charge, line, pointers into the claim's diagnosis list) for each service line, and that list."""
    diagnoses: list[str] = []
    rows = []
    for charge in sorted(claim.charges.all(), key=lambda c: c.pk):
        for code in charge.icd10_codes:
            if code not in diagnoses:
                diagnoses.append(code)
        for line in sorted(charge.lines.all(), key=lambda ln: ln.position):
            pointers = [diagnoses.index(charge.icd10_codes[p - 1]) + 1 for p in line.diagnosis_pointers]
            rows.append((charge, line, pointers))
    return rows, diagnoses


# ---------------------------------------------------------------------------------------------------------------
# X12 837P


def _provider_name(charge) -> tuple[str, str]:
    user = charge.rendering_provider
    if user is not None and (user.last_name or user.first_name):
        return text(user.last_name, 60), text(user.first_name, 35)
    return "RENDERING PROVIDER", ""


def _claim_segments(claim: Claim, hl: int) -> tuple[list[str], int]:
    """The 2000B..2400 loops of one claim; returns the segments and the last HL number used."""
    patient, coverage = claim.patient, claim.coverage
    relationship = coverage.subscriber_relationship if coverage else SubscriberRelationship.SELF
    is_self = relationship == SubscriberRelationship.SELF
    out = []
    subscriber_hl = hl + 1
    out.append(seg("HL", subscriber_hl, "1", "22", "0" if is_self else "1"))
    out.append(
        seg(
            "SBR",
            PAYER_RESPONSIBILITY.get(coverage.priority if coverage else 1, "P"),
            "18" if is_self else "",
            text(coverage.group_number, 50) if coverage else "",
            "",
            "",
            "",
            "",
            "",
            "CI",
        )
    )
    member_id = text(coverage.member_id, 80) if coverage else ""
    if is_self:
        out.append(
            seg(
                "NM1",
                "IL",
                "1",
                text(patient.family_name),
                text(patient.given_name, 35),
                text(patient.middle_name, 25),
                "",
                "",
                "MI",
                member_id,
            )
        )
        out.append(seg("N3", text(patient.address_line, 55)))
        out.append(seg("N4", text(patient.city, 30), patient.state, patient.postal_code))
        out.append(seg("DMG", "D8", patient.birth_date.strftime("%Y%m%d"), patient.sex if patient.sex in "FM" else "U"))
    else:
        last, first = split_name(coverage.subscriber_name)
        out.append(seg("NM1", "IL", "1", last, first, "", "", "", "MI", member_id))
    out.append(seg("NM1", "PR", "2", text(claim.payer.name), "", "", "", "", "PI", text(claim.payer.payer_id, 80)))
    last_hl = subscriber_hl
    if not is_self:
        last_hl += 1
        out.append(seg("HL", last_hl, subscriber_hl, "23", "0"))
        out.append(seg("PAT", RELATIONSHIP[relationship]))
        out.append(
            seg(
                "NM1", "QC", "1", text(patient.family_name), text(patient.given_name, 35), text(patient.middle_name, 25)
            )
        )
        out.append(seg("N3", text(patient.address_line, 55)))
        out.append(seg("N4", text(patient.city, 30), patient.state, patient.postal_code))
        out.append(seg("DMG", "D8", patient.birth_date.strftime("%Y%m%d"), patient.sex if patient.sex in "FM" else "U"))

    rows, diagnoses = claim_lines(claim)
    charges = sorted(claim.charges.all(), key=lambda c: c.pk)
    first = charges[0]
    place = first.place_of_service
    total = sum((line.amount * line.units for _c, line, _p in rows), Decimal(0))
    out.append(seg("CLM", claim.number, money(total), "", "", f"{place}:B:{claim.frequency}", "Y", "A", "Y", "Y"))
    prior_auth = next((c.prior_auth_number for c in charges if c.prior_auth_number), "")
    if prior_auth:
        out.append(seg("REF", "G1", text(prior_auth, 50)))
    if claim.frequency != Frequency.ORIGINAL:
        out.append(seg("REF", "F8", text(claim.payer_claim_number, 50)))
    out.append(
        seg("HI", *(f"{'ABK' if i == 0 else 'ABF'}:{code.replace('.', '')}" for i, code in enumerate(diagnoses)))
    )
    if first.referring_npi:
        last, given = split_name(first.referring_name or "Referring Provider")
        out.append(seg("NM1", "DN", "1", last, given, "", "", "", "XX", first.referring_npi))
    rendering = next((c for c in charges if c.rendering_npi), None)
    if rendering is not None:
        last, given = _provider_name(rendering)
        out.append(seg("NM1", "82", "1", last, given, "", "", "", "XX", rendering.rendering_npi))
    for number, (charge, line, pointers) in enumerate(rows, start=1):
        out.append(seg("LX", number))
        procedure = ":".join(["HC", line.code, *line.modifiers])
        out.append(
            seg(
                "SV1",
                procedure,
                money(line.amount * line.units),
                "UN",
                line.units,
                "" if charge.place_of_service == place else charge.place_of_service,
                "",
                ":".join(map(str, pointers)),
            )
        )
        out.append(seg("DTP", "472", "D8", charge.date_of_service.strftime("%Y%m%d")))
        if charge.rendering_npi and rendering is not None and charge.rendering_npi != rendering.rendering_npi:
            last, given = _provider_name(charge)
            out.append(seg("NM1", "82", "1", last, given, "", "", "", "XX", charge.rendering_npi))
        if charge.referring_npi and charge.referring_npi != first.referring_npi:
            last, given = split_name(charge.referring_name or "Referring Provider")
            out.append(seg("NM1", "DN", "1", last, given, "", "", "", "XX", charge.referring_npi))
    return out, last_hl


def transaction_control(number: int, batch: ExportBatch) -> str:
    """ST02/SE02 of the batch's ``number``-th transaction set (1-based): from the batch's own range, so it never
    repeats across exports (batches made before the range existed count from 0001)."""
    first = batch.first_transaction_number
    return f"{first + number - 1:04d}" if first else f"{number:04d}"


def _transaction_header(number: int, batch: ExportBatch) -> list[str]:
    s = settings
    when = batch.created_at
    return [
        seg("ST", "837", transaction_control(number, batch), "005010X222A1"),
        seg(
            "BHT",
            "0019",
            "00",
            f"{batch.control_number}{number:04d}",
            when.strftime("%Y%m%d"),
            when.strftime("%H%M"),
            "CH",
        ),
        seg("NM1", "41", "2", text(s.LUMEN_BILLING_NAME), "", "", "", "", "46", s.LUMEN_BILLING_SUBMITTER_ID),
        seg("PER", "IC", "BILLING OFFICE", "TE", s.LUMEN_BILLING_PHONE or "0000000000"),
        seg("NM1", "40", "2", text(s.LUMEN_BILLING_RECEIVER_ID), "", "", "", "", "46", s.LUMEN_BILLING_RECEIVER_ID),
        seg("HL", "1", "", "20", "1"),
        seg("NM1", "85", "2", text(s.LUMEN_BILLING_NAME), "", "", "", "", "XX", s.LUMEN_BILLING_NPI),
        seg("N3", text(s.LUMEN_BILLING_ADDRESS, 55)),
        seg("N4", text(s.LUMEN_BILLING_CITY, 30), s.LUMEN_BILLING_STATE, s.LUMEN_BILLING_ZIP),
        seg("REF", "EI", s.LUMEN_BILLING_TAX_ID),
    ]


def x12_chunks(batch: ExportBatch) -> Iterator[str]:
    """The 837P interchange of a batch, as text pieces (one claim at a time)."""
    s = settings
    when = batch.created_at
    control = f"{batch.control_number:09d}"
    yield seg(
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        "ZZ",
        f"{s.LUMEN_BILLING_SUBMITTER_ID:<15}",
        "ZZ",
        f"{s.LUMEN_BILLING_RECEIVER_ID:<15}",
        when.strftime("%y%m%d"),
        when.strftime("%H%M"),
        "^",
        "00501",
        control,
        "0",
        s.LUMEN_BILLING_X12_USAGE,
        ":",
    )
    yield seg(
        "GS",
        "HC",
        s.LUMEN_BILLING_SUBMITTER_ID,
        s.LUMEN_BILLING_RECEIVER_ID,
        when.strftime("%Y%m%d"),
        when.strftime("%H%M"),
        batch.control_number,
        "X",
        "005010X222A1",
    )
    transactions = 0
    in_transaction = 0
    count = 0
    hl = 1
    for claim in claims_of(batch):
        if in_transaction == 0:
            transactions += 1
            header = _transaction_header(transactions, batch)
            count, hl = len(header), 1
            yield "".join(header)
        segments, hl = _claim_segments(claim, hl)
        count += len(segments)
        in_transaction += 1
        yield "".join(segments)
        if in_transaction == CLAIMS_PER_TRANSACTION:
            yield seg("SE", count + 1, transaction_control(transactions, batch))
            in_transaction = 0
    if in_transaction:
        yield seg("SE", count + 1, transaction_control(transactions, batch))
    yield seg("GE", transactions, batch.control_number)
    yield seg("IEA", "1", control)


# ---------------------------------------------------------------------------------------------------------------
# CSV

CSV_COLUMNS = [
    "claim_number",
    "frequency",
    "payer_claim_number",
    "payer_name",
    "payer_id",
    "patient_mrn",
    "patient_family_name",
    "patient_given_name",
    "patient_birth_date",
    "patient_sex",
    "member_id",
    "group_number",
    "date_of_service",
    "place_of_service",
    "accession_number",
    "line",
    "code",
    "modifiers",
    "units",
    "unit_price",
    "line_total",
    "diagnosis_codes",
    "rendering_npi",
    "referring_npi",
    "prior_auth_number",
    "claim_total",
]


def _csv_text(rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        # Cells a spreadsheet would run as formulas start with a quote (CSV injection).
        writer.writerow(["'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in row])
    return buffer.getvalue()


def csv_chunks(batch: ExportBatch) -> Iterator[str]:
    """One row per service line, claims in order."""
    yield _csv_text([CSV_COLUMNS])
    for claim in claims_of(batch):
        rows, diagnoses = claim_lines(claim)
        patient, coverage = claim.patient, claim.coverage
        out = []
        for number, (charge, line, pointers) in enumerate(rows, start=1):
            out.append(
                [
                    claim.number,
                    claim.frequency,
                    claim.payer_claim_number,
                    claim.payer.name,
                    claim.payer.payer_id,
                    patient.mrn,
                    patient.family_name,
                    patient.given_name,
                    patient.birth_date.isoformat(),
                    patient.sex,
                    coverage.member_id if coverage else "",
                    coverage.group_number if coverage else "",
                    charge.date_of_service.isoformat(),
                    charge.place_of_service,
                    charge.order.accession_number,
                    number,
                    line.code,
                    " ".join(line.modifiers),
                    line.units,
                    f"{line.amount:.2f}",
                    f"{line.amount * line.units:.2f}",
                    " ".join(diagnoses[p - 1] for p in pointers),
                    charge.rendering_npi,
                    charge.referring_npi,
                    charge.prior_auth_number,
                    f"{claim.total:.2f}",
                ]
            )
        yield _csv_text(out)


def render(batch: ExportBatch) -> Iterator[str]:
    return x12_chunks(batch) if batch.format == ClaimFormat.X12_837P else csv_chunks(batch)


def content_type(batch: ExportBatch) -> str:
    return "application/edi-x12" if batch.format == ClaimFormat.X12_837P else "text/csv; charset=utf-8"


def streaming_response(batch: ExportBatch):
    """The batch's file as a download, streamed (UI and API)."""
    from django.http import StreamingHttpResponse

    response = StreamingHttpResponse(render(batch), content_type=content_type(batch))
    response["Content-Disposition"] = f'attachment; filename="{batch.filename}"'
    return response
