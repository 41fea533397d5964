"""Reporting pages for the department: reading worklist, editor, signing, dictation, critical results, peer review,
dashboard. The referring physician's pages are in ``portal_views``."""

from __future__ import annotations

import csv
import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from common.forms import add_service_errors, submit
from common.paging import page_of
from pacs import storage
from pacs.models import Instance, Study
from reporting import dashboard, services
from reporting.choices import EDITABLE, RELEASED, VISIBLE_TO_REFERRER
from reporting.filtersets import WorklistFilterSet
from reporting.forms import AddendumForm, AmendForm, NotificationForm, PeerReviewForm, SignForm
from reporting.models import CriticalNotification, CriticalResult, Dictation, PeerReview, Report
from reporting.pdf import report_pdf
from reporting.querysets import reading_worklist
from reporting.transcription import get_transcriber
from ris.accounts.choices import DEPARTMENT_ROLES, Role
from ris.accounts.roles import roles_required
from ris.audit.choices import Action
from ris.audit.services import record_access, record_search, visible_record
from ris.orders.views import visible_order

READERS = (Role.RADIOLOGIST, Role.ADMIN, Role.DEPARTMENT_LEAD)
REPORT_ROLES = (*DEPARTMENT_ROLES, Role.TRANSCRIPTIONIST)
LEADS = (Role.DEPARTMENT_LEAD, Role.ADMIN)


def visible_report(request, pk: int) -> Report:
    """The report, if this user may see it (logged; see ``visible_record``)."""
    queryset = Report.objects.select_related(
        "order__patient", "order__procedure", "order__referring_physician", "signer", "claimed_by", "author"
    )
    return visible_record(request, queryset, pk, patient_of=lambda r: r.order.patient_id, missing="No such report.")


def _viewer_url(study_uid: str) -> str:
    return f"/viewer/viewer?StudyInstanceUIDs={study_uid}"


@roles_required(*READERS)
def worklist(request):
    """Studies waiting to be read: STAT first, oldest first, with how long each has waited."""
    queryset = (
        reading_worklist().select_related("patient", "procedure", "report__claimed_by").prefetch_related("studies")
    )
    filterset = WorklistFilterSet(request.GET or None, queryset=queryset, request=request)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    page = page_of(rows, request)
    record_search(request, "orders.order", page.rows, page="reading worklist")
    return render(request, "reporting/worklist.html", {"filterset": filterset, "page": page, "now": timezone.now()})


@require_POST
@roles_required(Role.RADIOLOGIST)
def claim(request, order_pk: int):
    order = visible_order(request, order_pk)
    try:
        report = services.claim_report(order=order, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("reporting:worklist")
    return redirect(report)


@require_POST
@roles_required(Role.RADIOLOGIST)
def release(request, pk: int):
    report = visible_report(request, pk)
    try:
        services.release_claim(report=report, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(report)
    messages.success(request, f"{report.order.accession_number} is back on the worklist.")
    return redirect("reporting:worklist")


def _draft_initial(report: Report, user) -> dict:
    """A draft addendum of this user (text saved after signing) fills the addendum form, ready to sign."""
    draft = report.addenda.filter(signed_at__isnull=True, author=user).order_by("-id").first()
    return {"text": draft.text, "draft": draft.pk} if draft else {}


def _context(request, report: Report, **extra) -> dict:
    order = report.order
    editable = report.status in EDITABLE and services.may_edit(report, request.user)
    template = report.template
    choices = {s["key"]: s.get("choices", []) for s in template.sections} if template else {}
    priors = (
        Report.objects.filter(order__patient_id=order.patient_id, status__in=RELEASED)
        .exclude(pk=report.pk)
        .select_related("order__procedure", "signer")
        .order_by("-final_at")[:10]
    )
    studies = list(Study.objects.filter(patient_id=order.patient_id).order_by("-study_date", "-id")[:20])
    context = {
        "report": report,
        "order": order,
        "editable": editable,
        "sections": [
            {"key": key, "title": title, "text": text, "choices": choices.get(key, [])}
            for key, title, text in report.section_list()
        ],
        "macros": template.macros if template else {},
        "sign_form": SignForm(initial={"version": report.version}),
        "addendum_form": AddendumForm(initial=_draft_initial(report, request.user)),
        "amend_form": AmendForm(),
        "notification_form": NotificationForm(),
        "versions": report.versions.select_related("signer"),
        "addenda": report.addenda.select_related("author"),
        "dictations": report.dictations.select_related("recorded_by", "transcribed_by"),
        "priors": priors,
        "studies": [(s, _viewer_url(s.study_instance_uid), s.order_id == order.pk) for s in studies],
        "critical": getattr(report, "critical_result", None),
        "instances": Instance.objects.filter(series__study__order_id=order.pk)
        .select_related("series__study")
        .order_by("series__series_number", "instance_number")[:60],
        "is_radiologist": request.user.has_role(Role.RADIOLOGIST),
        "is_transcriptionist": request.user.has_role(Role.TRANSCRIPTIONIST),
    }
    context.update(extra)
    return context


@roles_required(*REPORT_ROLES)
def report_detail(request, pk: int):
    """The editor for the claiming radiologist (or the typist); for everyone else the signed report, its versions
    and addenda."""
    report = visible_report(request, pk)
    return render(request, "reporting/report.html", _context(request, report))


def _posted_sections(request, report: Report) -> dict[str, str]:
    """The sections the form posted; a section left out keeps its text (it is not blanked)."""
    return {
        key: request.POST[f"section-{key}"] for key, _title in report.section_titles if f"section-{key}" in request.POST
    }


def _json_body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("Send the report as JSON.") from None
    if not isinstance(body, dict):
        raise ValidationError("Send the report as a JSON object.")
    return body


@require_POST
@roles_required(Role.RADIOLOGIST, Role.TRANSCRIPTIONIST)
def autosave(request, pk: int):
    """JSON {version, sections} -> 200 {version}; 409 when stale (the late text is kept, see services)."""
    report = visible_report(request, pk)
    try:
        body = _json_body(request)
        version = body.get("version")
        if not isinstance(version, int):
            raise ValidationError({"version": "Send the version the text was based on."})
        report = services.autosave_report(
            report=report, actor=request.user, sections=body.get("sections"), version=version
        )
    except services.StaleReport as exc:
        return JsonResponse(
            {
                "detail": exc.message,
                "status": exc.report.status,
                "version": exc.report.version,
                "draft_addendum": exc.addendum.pk if exc.addendum else None,
                "sections": body.get("sections"),
            },
            status=409,
        )
    except ValidationError as exc:
        return JsonResponse({"detail": " ".join(exc.messages)}, status=400)
    return JsonResponse({"version": report.version, "saved_at": report.updated_at.isoformat()})


@require_POST
@roles_required(Role.RADIOLOGIST)
def sign(request, pk: int):
    report = visible_report(request, pk)
    form = SignForm(request.POST)
    sections = _posted_sections(request, report)
    if form.is_valid():
        data = form.cleaned_data
        try:
            report = services.sign_report(
                report=report,
                actor=request.user,
                password=data["password"],
                final=data["final"],
                sections=sections,
                version=data["version"],
                critical=data["critical"],
                critical_finding=data["critical_finding"],
                severity=data["severity"],
            )
        except services.StaleReport as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Report signed ({report.get_status_display().lower()}).")
            return redirect(report)
    report.sections = {**report.sections, **sections}  # show what was typed, not what was saved
    context = _context(request, report, sign_form=form)
    return render(request, "reporting/report.html", context, status=400)


@require_POST
@roles_required(Role.RADIOLOGIST)
def key_images(request, pk: int):
    report = visible_report(request, pk)
    try:
        services.mark_key_images(report=report, actor=request.user, sop_instance_uids=request.POST.getlist("key"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{len(request.POST.getlist('key'))} key image(s) marked.")
    return redirect(report)


@require_POST
@roles_required(Role.RADIOLOGIST)
def addendum(request, pk: int):
    report = visible_report(request, pk)
    form = AddendumForm(request.POST)

    def sign_addendum(data):
        draft = report.addenda.filter(pk=data["draft"], signed_at__isnull=True, author=request.user).first()
        return services.add_addendum(
            report=report, actor=request.user, password=data["password"], text=data["text"], draft=draft
        )

    if submit(request, form, sign_addendum) is not None:
        messages.success(request, "Addendum signed.")
        return redirect(report)
    return render(request, "reporting/report.html", _context(request, report, addendum_form=form), status=400)


@require_POST
@roles_required(Role.RADIOLOGIST)
def amend(request, pk: int):
    report = visible_report(request, pk)
    form = AmendForm(request.POST)
    sections = _posted_sections(request, report)
    amended = submit(
        request,
        form,
        lambda data: services.amend_report(
            report=report, actor=request.user, password=data["password"], sections=sections, reason=data["reason"]
        ),
    )
    if amended is not None:
        messages.success(request, "Report amended; the previous version is kept.")
        return redirect(report)
    return render(request, "reporting/report.html", _context(request, report, amend_form=form), status=400)


@roles_required(*REPORT_ROLES)
def version_detail(request, pk: int, number: int):
    report = visible_report(request, pk)
    version = get_object_or_404(report.versions.select_related("signer"), number=number)
    return render(request, "reporting/version.html", {"report": report, "version": version})


def pdf_response(request, report: Report) -> HttpResponse:
    if report.status not in VISIBLE_TO_REFERRER:
        raise Http404("This report has not been signed yet.")
    data = report_pdf(report)
    record_access(
        request=request,
        action=Action.EXPORT,
        obj=report,
        patient=report.order.patient_id,
        detail={"format": "pdf"},
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="report-{report.order.accession_number}.pdf"'
    return response


@roles_required(*REPORT_ROLES)
def pdf(request, pk: int):
    return pdf_response(request, visible_report(request, pk))


# --- dictation ---------------------------------------------------------------------------------------------------


@require_POST
@roles_required(Role.RADIOLOGIST)
def dictation_upload(request, pk: int):
    """The browser's MediaRecorder posts the recording here (multipart field ``audio``)."""
    report = visible_report(request, pk)
    upload = request.FILES.get("audio")
    if upload is None:
        return JsonResponse({"audio": ["Attach the recording as “audio”."]}, status=400)
    try:
        dictation = services.attach_dictation(report=report, actor=request.user, upload=upload)
    except ValidationError as exc:
        return JsonResponse(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}, status=400)
    return JsonResponse(
        {"id": dictation.pk, "size": dictation.size_bytes, "machine_transcript": dictation.machine_transcript},
        status=201,
    )


def _visible_dictation(request, pk: int) -> Dictation:
    dictation = get_object_or_404(Dictation.objects.select_related("report"), pk=pk)
    visible_report(request, dictation.report_id)  # scope check and access log
    return dictation


@roles_required(Role.RADIOLOGIST, Role.TRANSCRIPTIONIST, Role.ADMIN)
def dictation_audio(request, pk: int):
    dictation = _visible_dictation(request, pk)
    path = storage.absolute(dictation.path)
    if not path.exists():
        raise Http404("The recording is missing from storage.")
    return FileResponse(open(path, "rb"), content_type=dictation.content_type)  # noqa: SIM115 (FileResponse closes)


@require_POST
@roles_required(Role.RADIOLOGIST, Role.TRANSCRIPTIONIST)
def dictation_done(request, pk: int):
    dictation = _visible_dictation(request, pk)
    try:
        services.complete_transcription(dictation=dictation, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Dictation marked as typed.")
    if request.user.has_role(Role.TRANSCRIPTIONIST):
        return redirect("reporting:transcription")
    return redirect(dictation.report)


@roles_required(Role.TRANSCRIPTIONIST, Role.RADIOLOGIST, Role.ADMIN)
def transcription_queue(request):
    rows = (
        Dictation.objects.pending()
        .filter(report__status__in=list(EDITABLE))
        .select_related("report__order__patient", "report__order__procedure", "recorded_by")
        .order_by("recorded_at")
    )
    page = page_of(rows, request)
    record_search(request, "reporting.dictation", page.rows)
    context = {"page": page, "transcriber_available": get_transcriber().available}
    return render(request, "reporting/transcription.html", context)


# --- critical results --------------------------------------------------------------------------------------------


@roles_required(*DEPARTMENT_ROLES)
def critical_list(request):
    """The closed loop of every critical result: who was told, when, how, and when it was acknowledged."""
    rows = CriticalResult.objects.select_related(
        "report__order__patient", "radiologist", "recipient", "acknowledged_by"
    ).prefetch_related(Prefetch("notifications", queryset=CriticalNotification.objects.select_related("recipient")))
    if request.GET.get("open"):
        rows = rows.unacknowledged()
    if request.GET.get("format") == "csv":
        return _critical_csv(request, rows)
    page = page_of(rows, request)
    record_search(request, "reporting.criticalresult", page.rows)
    waiting = set(CriticalResult.objects.unacknowledged().waiting_for(request.user).values_list("pk", flat=True))
    return render(request, "reporting/critical_list.html", {"page": page, "waiting": waiting})


CSV_LIMIT = 50_000


def _critical_csv(request, rows) -> HttpResponse:
    """The closed loop as CSV for quality reporting: one line per notice (accession, no patient names)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="critical-results.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "critical_id",
            "accession",
            "severity",
            "flagged_at",
            "radiologist",
            "told",
            "channel",
            "kind",
            "told_at",
            "acknowledged_at",
            "acknowledged_by",
            "ack_seconds",
            "escalated_at",
        ]  # fmt: skip
    )
    shown = []
    for c in rows[:CSV_LIMIT]:
        shown.append(c.pk)
        for n in c.notifications.all() or [None]:
            writer.writerow(
                [
                    c.pk,
                    c.report.order.accession_number,
                    c.severity,
                    c.created_at.isoformat(),
                    c.radiologist.display_name,
                    (str(n.recipient) if n.recipient_id else n.recipient_text) if n else "",
                    n.channel if n else "",
                    n.kind if n else "",
                    n.at.isoformat() if n else "",
                    c.acknowledged_at.isoformat() if c.acknowledged_at else "",
                    str(c.acknowledged_by or ""),
                    c.ack_seconds if c.ack_seconds is not None else "",
                    c.escalated_at.isoformat() if c.escalated_at else "",
                ]
            )
    record_access(
        request=request,
        action=Action.EXPORT,
        object_type="reporting.criticalresult",
        detail={"format": "csv", "returned_ids": shown},
    )
    return response


@require_POST
@roles_required(Role.RADIOLOGIST, Role.ADMIN)
def critical_notify(request, pk: int):
    critical = get_object_or_404(CriticalResult, pk=pk)
    form = NotificationForm(request.POST)
    if form.is_valid():
        try:
            services.record_critical_notification(critical=critical, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Notification recorded.")
    else:
        messages.error(request, "Say who was told and how.")
    return redirect(critical.report)


# --- peer review -------------------------------------------------------------------------------------------------


@roles_required(Role.RADIOLOGIST)
def peer_review_list(request):
    rows = PeerReview.objects.filter(reviewer=request.user, completed_at__isnull=True).select_related(
        "report__order__procedure", "report__order__patient"
    )
    record_search(request, "reporting.peerreview", rows)
    return render(request, "reporting/peer_review_list.html", {"reviews": rows})


@roles_required(Role.RADIOLOGIST)
def peer_review(request, pk: int):
    review = get_object_or_404(PeerReview.objects.select_related("report"), pk=pk)
    if review.reviewer_id != request.user.pk:
        raise Http404("No such peer review.")
    report = visible_report(request, review.report_id)
    form = PeerReviewForm(request.POST or None)
    if submit(request, form, lambda data: services.submit_peer_review(review=review, actor=request.user, **data)):
        messages.success(request, "Peer review recorded.")
        return redirect("reporting:peer_reviews")
    return render(request, "reporting/peer_review.html", {"review": review, "report": report, "form": form})


@roles_required(Role.DEPARTMENT_LEAD)
def peer_review_scores(request):
    """RADPEER scores: the department lead's eyes only."""
    rows = PeerReview.objects.filter(completed_at__isnull=False).select_related(
        "report__signer", "reviewer", "report__order"
    )
    page = page_of(rows, request)
    record_search(request, "reporting.peerreview", page.rows)
    return render(request, "reporting/peer_review_scores.html", {"page": page})


# --- dashboard ---------------------------------------------------------------------------------------------------


@roles_required(*LEADS)
def dashboard_view(request):
    days = request.GET.get("days", "30")
    days = int(days) if days.isdigit() and 0 < int(days) <= 3650 else 30
    return render(request, "reporting/dashboard.html", {"figures": dashboard.figures(days=days), "days": days})
