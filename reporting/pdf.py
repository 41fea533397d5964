"""The report as a PDF (reportlab): letterhead, patient and exam, sections, signature block, addenda, key images."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from pacs.models import Instance
from pacs.rendering import Options, RenderError, render
from reporting.models import Report


def _para(text: str, style) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def report_pdf(report: Report) -> bytes:
    """Build the PDF of the report's current signed text. Only released or preliminary reports are printed."""
    styles = getSampleStyleSheet()
    body, heading, small = styles["BodyText"], styles["Heading3"], styles["Italic"]
    order = report.order
    patient = order.patient
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Report {order.accession_number}",
        author=settings.LUMEN_SITE_NAME,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
    )
    story: list = [_para(settings.LUMEN_SITE_NAME, styles["Title"])]
    for line in settings.LUMEN_REPORT_LETTERHEAD.split("|"):
        story.append(_para(line.strip(), styles["Normal"]))
    story.append(Spacer(1, 6 * mm))
    rows = [
        ["Patient", patient.display_name, "MRN", patient.mrn],
        ["Date of birth", patient.birth_date.isoformat(), "Sex", patient.get_sex_display()],
        ["Exam", order.procedure.name, "Accession", order.accession_number],
        ["Referring physician", str(order.referring_physician or "—"), "Priority", order.get_priority_display()],
        ["Status", report.get_status_display(), "Signed", _when(report.signed_at)],
    ]
    table = Table([[_para(str(c), body) for c in row] for row in rows], colWidths=[32 * mm, 58 * mm, 25 * mm, 58 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                ("BACKGROUND", (2, 0), (2, -1), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [table, Spacer(1, 4 * mm)]
    if report.status == "preliminary":
        story.append(_para("PRELIMINARY REPORT – not yet final", styles["Heading2"]))
    if report.critical and hasattr(report, "critical_result"):
        story.append(_para(f"Critical result: {report.critical_result.finding}", styles["Heading2"]))
    for _key, title, text in report.signed_section_list():
        if text.strip():
            story += [_para(title, heading), _para(text, body)]
    story.append(Spacer(1, 6 * mm))
    signer = report.signer.display_name if report.signer else "—"
    npi = getattr(getattr(report.signer, "provider_profile", None), "npi", "")
    npi_text = f" (NPI {npi})" if npi else ""
    story.append(_para(f"Electronically signed by {signer}{npi_text} on {_when(report.signed_at)}", body))
    for addendum in report.addenda.filter(signed_at__isnull=False).select_related("author"):
        story += [
            _para(f"Addendum, {_when(addendum.signed_at)}, {addendum.author.display_name}", heading),
            _para(addendum.text, body),
        ]
    if report.key_images:
        story.append(_para("Key images", heading))
        for instance in Instance.objects.filter(sop_instance_uid__in=report.key_images[:6]):
            try:
                data = render(instance, Options(media="image/png", viewport=(256, 256)))
            except (RenderError, OSError, ValueError):
                story.append(_para(f"(image {instance.instance_number or ''} cannot be rendered)", small))
                continue
            story.append(Image(io.BytesIO(data), width=60 * mm, height=60 * mm, kind="proportional"))
    story += [Spacer(1, 4 * mm), _para(f"Printed {_when(timezone.now())} from {settings.LUMEN_SITE_NAME}", small)]
    doc.build(story)
    return buffer.getvalue()
