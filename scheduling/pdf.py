"""Patient preparation instructions as a one-page PDF (reportlab)."""

from __future__ import annotations

import io
import textwrap

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def preparation_pdf(appointment) -> bytes:
    """The appointment, where to go, and what to do before it, for the patient to take home."""
    order, patient = appointment.order, appointment.order.patient
    when = timezone.localtime(appointment.start)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle("Your appointment")
    width, height = A4
    y = height - 72
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(72, y, "Your appointment")
    lines = [
        ("Patient", f"{patient.display_name} (born {patient.birth_date:%d %B %Y})"),
        ("Exam", order.procedure.name),
        ("When", f"{when:%A %d %B %Y, %H:%M}"),
        (
            "Where",
            f"{appointment.resource.name}" + (f", {appointment.resource.room}" if appointment.resource.room else ""),
        ),
        ("Reference", order.accession_number),
    ]
    y -= 36
    for label, value in lines:
        pdf.setFont("Helvetica-Bold", 11)
        pdf.drawString(72, y, label)
        pdf.setFont("Helvetica", 11)
        pdf.drawString(160, y, value)
        y -= 18
    y -= 18
    pdf.setFont("Helvetica-Bold", 13)
    pdf.drawString(72, y, "How to prepare")
    pdf.setFont("Helvetica", 11)
    text = order.procedure.preparation_instructions or "No special preparation. Please arrive 15 minutes early."
    for paragraph in text.splitlines():
        for line in textwrap.wrap(paragraph, 85) or [""]:
            y -= 16
            pdf.drawString(72, y, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
