"""Demo data for reporting: templates for the demo procedures, a transcriptionist and a department lead, and a few
signed reports on completed orders (one with a critical result for drhouse to acknowledge). Idempotent."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from reporting import services
from reporting.choices import DEFAULT_SECTIONS
from reporting.models import Report, ReportTemplate
from ris.accounts.choices import Role
from ris.orders.choices import OrderStatus
from ris.orders.models import Order, Procedure

DEMO_PASSWORD = "lumen-demo"

USERS = [
    ("typist", "Tara", "Typist", Role.TRANSCRIPTIONIST),
    ("lead", "Leo", "Lead", Role.DEPARTMENT_LEAD),
]

TECHNIQUE = {
    "CT": "Axial CT images were obtained",
    "MR": "Multiplanar multisequence MR images were obtained",
    "DX": "Radiographs were obtained",
}
PICKS = {
    "HEAD": ["No acute intracranial haemorrhage.", "No mass effect or midline shift.", "Ventricles normal in size."],
    "CHEST": ["Lungs are clear.", "No pleural effusion.", "No pneumothorax.", "Heart size is normal."],
    "KNEE": ["Menisci intact.", "Cruciate ligaments intact.", "No joint effusion."],
    "LSPINE": ["Normal alignment.", "No significant canal stenosis.", "Conus terminates normally."],
    "HAND": ["No fracture or dislocation.", "Joint spaces preserved."],
}
MACROS = {"nad": "No acute abnormality.", "cw": "Compared with the prior examination."}


def _template_sections(procedure: Procedure) -> list[dict]:
    picks = PICKS.get(procedure.body_part, ["No acute abnormality."])
    how = TECHNIQUE.get(procedure.modality_type, "Images were obtained")
    technique = f"{how} of the {procedure.body_part.lower()}."
    if procedure.contrast:
        technique += " Intravenous contrast was given."
    defaults = {"technique": technique, "comparison": "None."}
    choices = {"findings": picks, "impression": ["No acute abnormality.", *picks[:1]]}
    return [
        {"key": key, "title": title, "text": defaults.get(key, ""), "choices": choices.get(key, [])}
        for key, title in DEFAULT_SECTIONS
    ]


def seed(*, users, stdout) -> None:
    user_model = get_user_model()
    for username, first, last, role in USERS:
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@example.org"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.set([Group.objects.get_or_create(name=role)[0]])
        users = {**users, username: user}
    ReportTemplate.objects.get_or_create(name="Generic report", defaults={"modality_type": ""})
    for procedure in Procedure.objects.filter(active=True):
        ReportTemplate.objects.get_or_create(
            name=f"{procedure.name}", defaults={"procedure": procedure, "sections": _template_sections(procedure)}
        )
    ReportTemplate.objects.filter(macros={}).update(macros=MACROS)
    radiologist = users.get("radiologist")
    if radiologist is None or Report.objects.exists():
        return
    completed = sorted(
        Order.objects.filter(status=OrderStatus.COMPLETED).select_related("procedure", "referring_physician"),
        key=lambda o: (getattr(o.referring_physician, "username", "") != "drhouse", o.pk),
    )
    # Most exams are read (so billing has final, billable exams); the four most recent orders wait on the
    # reading worklist.
    waiting = {o.pk for o in sorted(completed, key=lambda o: o.pk)[-4:]}
    to_read = [o for o in completed if o.pk not in waiting] or completed[:1]
    critical_done = False
    for index, order in enumerate(to_read):
        if order.images_received_at is None:  # demo orders have no images; date them for the dashboard
            Order.objects.filter(pk=order.pk).update(
                images_received_at=order.status_changed_at - dt.timedelta(minutes=20 + 15 * index)
            )
            order.refresh_from_db()
        report = services.claim_report(order=order, actor=radiologist)
        picks = PICKS.get(order.procedure.body_part, ["No acute abnormality."])
        critical = not critical_done and order.referring_physician and order.referring_physician.username == "drhouse"
        findings = " ".join(picks)
        impression = "No acute abnormality."
        if critical:
            findings = "Large left-sided pneumothorax with mediastinal shift."
            impression = "Tension pneumothorax. Immediate decompression advised."
        services.sign_report(
            report=report,
            actor=radiologist,
            password=DEMO_PASSWORD,
            sections={"findings": findings, "impression": impression},
            critical=bool(critical),
            critical_finding="Tension pneumothorax" if critical else "",
        )
        critical_done = critical_done or bool(critical)
    stdout.write(
        f"Reporting: {ReportTemplate.objects.count()} templates, {Report.objects.count()} signed reports "
        f"({'one' if critical_done else 'no'} critical result); users typist (transcriptionist), lead (department "
        f"lead). Now {timezone.localtime():%H:%M}."
    )
