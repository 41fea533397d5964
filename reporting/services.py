"""Business actions on reports: claim, write, sign, amend, addenda, dictation, critical results, peer review,
and sharing a study with a consulting physician. Views, the API, tasks and commands all call these."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import random
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from pacs import storage
from pacs.models import Instance, Study, StudyShare
from reporting.choices import (
    DEFAULT_SECTIONS,
    EDITABLE,
    RELEASED,
    RESULT_STATUS,
    CriticalSeverity,
    DictationStatus,
    NotificationChannel,
    NotificationKind,
    PeerScore,
    ReportStatus,
)
from reporting.models import (
    Addendum,
    CriticalNotification,
    CriticalResult,
    Dictation,
    InvalidReportTransition,
    PeerReview,
    Report,
    ReportTemplate,
    ReportVersion,
)
from reporting.querysets import reading_worklist
from reporting.transcription import get_transcriber
from ris.accounts.choices import Role
from ris.events import ReportEvent, ReportResultStatus, ReportSectionText, report_status_changed
from ris.orders.choices import OrderStatus
from ris.orders.models import Order
from ris.orders.services import change_order_status
from ris.patients.choices import ConsentDecision, ConsentKind

log = logging.getLogger(__name__)

MAX_SECTION_LENGTH = 20000
# Audio types MediaRecorder produces (Chromium: webm/opus; Firefox: ogg/opus; Safari: mp4) and plain WAV,
# each with the bytes its files start with.
AUDIO_TYPES = {
    "audio/webm": (b"\x1a\x45\xdf\xa3",),
    "audio/ogg": (b"OggS",),
    "audio/mp4": (b"ftyp",),  # at offset 4
    "audio/wav": (b"RIFF",),
    "audio/x-wav": (b"RIFF",),
}
AUDIO_SUFFIX = {"audio/webm": "webm", "audio/ogg": "ogg", "audio/mp4": "m4a", "audio/wav": "wav", "audio/x-wav": "wav"}


class StaleReport(Exception):
    """An autosave or sign carried an older ``version`` than the report's, or came after the report was signed.

    ``addendum`` is the draft addendum the late text was kept in (when the report was already signed)."""

    def __init__(self, message: str, *, report: Report, addendum: Addendum | None = None):
        super().__init__(message)
        self.message = message
        self.report = report
        self.addendum = addendum


# --- templates and claiming --------------------------------------------------------------------------------------


def template_for(order: Order) -> ReportTemplate | None:
    """The template for an order's procedure, else for its modality, else the generic one (no modality)."""
    active = ReportTemplate.objects.filter(active=True)
    return (
        active.filter(procedure=order.procedure_id).first()
        or active.filter(procedure__isnull=True, modality_type=order.procedure.modality_type).first()
        or active.filter(procedure__isnull=True, modality_type="").first()
    )


def _start_sections(order: Order, template: ReportTemplate | None) -> tuple[list[list[str]], dict[str, str]]:
    items = template.sections if template else [{"key": k, "title": t, "text": ""} for k, t in DEFAULT_SECTIONS]
    titles = [[item["key"], item["title"]] for item in items]
    texts = {item["key"]: item.get("text", "") for item in items}
    if "clinical_information" in texts and not texts["clinical_information"]:
        codes = ", ".join(order.icd10_codes)
        texts["clinical_information"] = order.reason + (f" ({codes})" if codes else "")
    return titles, texts


@transaction.atomic
def claim_report(*, order: Order, actor) -> Report:
    """Take an order off the reading worklist: the actor becomes its reader (a draft report from the template).

    The order row is locked and a report is one per order (unique), so two radiologists cannot both claim it.
    A preliminary report may be taken over (an attending finalising a resident's read); a claimed draft may not.
    """
    order = Order.objects.select_for_update().select_related("procedure").get(pk=order.pk)
    report = Report.objects.select_for_update().filter(order=order).first()
    now = timezone.now()
    if report is None:
        if not reading_worklist().filter(pk=order.pk).exists():
            raise ValidationError(
                f"The exam is {order.get_status_display().lower()} and has no images yet; it can be claimed once "
                "its images arrive or it is completed."
            )
        template = template_for(order)
        titles, texts = _start_sections(order, template)
        try:
            with transaction.atomic():
                return Report.objects.create(
                    order=order,
                    template=template,
                    section_titles=titles,
                    sections=texts,
                    claimed_by=actor,
                    claimed_at=now,
                    author=actor,
                )
        except IntegrityError:
            raise ValidationError("Another radiologist has just claimed this study.") from None
    if report.status in RELEASED:
        raise ValidationError("This study already has a final report; add an addendum instead.")
    if report.claimed_by_id not in (None, actor.pk) and report.status == ReportStatus.DRAFT:
        raise ValidationError(f"{report.claimed_by.display_name} has already claimed this study.")
    report.claimed_by = actor
    report.claimed_at = now
    report.save(update_fields=["claimed_by", "claimed_at", "updated_at"])
    return report


@transaction.atomic
def release_claim(*, report: Report, actor) -> Report:
    """Give a claimed draft back to the worklist (its text stays)."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.claimed_by_id != actor.pk:
        raise ValidationError("Only the radiologist who claimed this study can release it.")
    report.claimed_by = None
    report.claimed_at = None
    report.save(update_fields=["claimed_by", "claimed_at", "updated_at"])
    return report


# --- writing -----------------------------------------------------------------------------------------------------


def _clean_sections(report: Report, sections: dict) -> dict[str, str]:
    if not isinstance(sections, dict):
        raise ValidationError({"sections": "Give the sections as an object of key: text."})
    keys = {key for key, _title in report.section_titles}
    unknown = sorted(set(sections) - keys)
    if unknown:
        raise ValidationError({"sections": f"This report has no section {', '.join(unknown)}."})
    cleaned = {}
    for key, text in sections.items():
        if not isinstance(text, str):
            raise ValidationError({"sections": f"Section {key} must be text."})
        if len(text) > MAX_SECTION_LENGTH:
            raise ValidationError({"sections": f"Section {key} is longer than {MAX_SECTION_LENGTH} characters."})
        cleaned[key] = text.replace("\x00", "")
    return cleaned


def may_edit(report: Report, user) -> bool:
    """The claiming radiologist edits the text; so does a transcriptionist typing a pending dictation."""
    if report.claimed_by_id == user.pk:
        return True
    return user.has_role(Role.TRANSCRIPTIONIST) and report.dictations.filter(status=DictationStatus.PENDING).exists()


def _late_text_as_addendum(report: Report, actor, sections: dict[str, str]) -> Addendum | None:
    """Text that arrived after signing and differs from the signed text, kept as the author's draft addendum."""
    changed = [
        (title, sections[key])
        for key, title in report.section_titles
        if key in sections and sections[key].strip() != report.sections.get(key, "").strip()
    ]
    if not changed:
        return None
    text = "\n\n".join(f"{title}: {body}" for title, body in changed)
    return Addendum.objects.create(report=report, text=text, author=actor)


def autosave_report(*, report: Report, actor, sections: dict, version: int) -> Report:
    """Save the editor's text if it was based on the current ``version``; the version then goes up by one.

    A stale save raises ``StaleReport`` and changes nothing in the report. If the report was signed meanwhile,
    the late text (where it differs) is first committed as a draft addendum of the author, so no text is lost.
    """
    report, stale, addendum = _autosave(report=report, actor=actor, sections=sections, version=version)
    if stale:
        raise StaleReport(stale, report=report, addendum=addendum)
    return report


@transaction.atomic
def _autosave(*, report: Report, actor, sections: dict, version: int) -> tuple[Report, str, Addendum | None]:
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not may_edit(report, actor):
        raise ValidationError("This report is claimed by another radiologist.")
    cleaned = _clean_sections(report, sections)
    if report.status not in EDITABLE:
        addendum = _late_text_as_addendum(report, actor, cleaned)
        message = "The report was signed before this text was saved."
        if addendum:
            message += " Your changes were kept as a draft addendum."
        return report, message, addendum
    if version != report.version:
        return report, f"The report changed in another window (version {report.version}, yours {version}).", None
    report.sections = {**report.sections, **cleaned}
    report.version += 1
    if report.author_id is None:
        report.author = actor
    report.save(update_fields=["sections", "version", "author", "updated_at"])
    return report, "", None


MAX_KEY_IMAGES = 6


@transaction.atomic
def mark_key_images(*, report: Report, actor, sop_instance_uids: list[str]) -> Report:
    """Choose the key images printed with the report (instances of this order's studies, at most six)."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.claimed_by_id != actor.pk or report.status not in EDITABLE:
        raise ValidationError("Key images are marked by the reading radiologist before signing.")
    wanted = list(dict.fromkeys(sop_instance_uids))
    if len(wanted) > MAX_KEY_IMAGES:
        raise ValidationError({"key_images": f"Mark at most {MAX_KEY_IMAGES} key images."})
    found = set(
        Instance.objects.filter(series__study__order_id=report.order_id, sop_instance_uid__in=wanted).values_list(
            "sop_instance_uid", flat=True
        )
    )
    if missing := [uid for uid in wanted if uid not in found]:
        raise ValidationError({"key_images": f"Not images of this exam: {', '.join(missing)}."})
    report.key_images = wanted
    report.save(update_fields=["key_images", "updated_at"])
    return report


# --- signing -----------------------------------------------------------------------------------------------------


def _check_password(actor, password: str) -> None:
    if not password or not actor.check_password(password):
        raise ValidationError({"password": "Enter your password again to sign."})


def _event_status(report: Report) -> str:
    return RESULT_STATUS[report.status]


def _announce(report: Report, *, status: str) -> None:
    """Tell HL7 (ORU^R01) and billing (professional charge), inside the signing transaction."""
    addenda = tuple(report.addenda.filter(signed_at__isnull=False).values_list("text", flat=True))
    report_status_changed.send(
        sender=Report,
        event=ReportEvent(
            report_id=report.pk,
            order_id=report.order_id,
            status=status,
            sections=tuple(ReportSectionText(key=k, title=t, text=x) for k, t, x in report.section_list()),
            author_id=report.author_id,
            signer_id=report.signer_id,
            signed_at=report.signed_at,
            critical=report.critical,
            version=report.versions.count(),
            addenda=addenda,
        ),
    )


def _snapshot(report: Report, *, signer, at, reason: str = "") -> ReportVersion:
    number = report.versions.count() + 1
    return ReportVersion.objects.create(
        report=report,
        number=number,
        status=report.status,
        section_titles=report.section_titles,
        sections=report.sections,
        signer=signer,
        signed_at=at,
        reason=reason,
    )


def _move_order(report: Report, *, to: str, actor) -> None:
    order = report.order
    if order.status == to or (order.status == OrderStatus.FINAL and to == OrderStatus.PRELIMINARY):
        return
    if order.status not in (OrderStatus.COMPLETED, OrderStatus.PRELIMINARY):
        raise ValidationError(
            f"The exam is {order.get_status_display().lower()}; it can be reported once it is completed."
        )
    change_order_status(order=order, to=to, actor=actor, reason=f"Report {report.pk} signed")


@transaction.atomic
def sign_report(
    *,
    report: Report,
    actor,
    password: str,
    final: bool = True,
    sections: dict | None = None,
    version: int | None = None,
    critical: bool = False,
    critical_finding: str = "",
    severity: str = CriticalSeverity.CRITICAL,
) -> Report:
    """Sign a report as preliminary or final: check the password again, freeze the text, keep the version,
    move the order, announce the report (HL7, billing), open the critical-result loop, maybe offer peer review.
    """
    report = Report.objects.select_for_update().select_related("order__procedure").get(pk=report.pk)
    if not actor.has_role(Role.RADIOLOGIST):
        raise ValidationError("Only a radiologist can sign a report.")
    if report.claimed_by_id != actor.pk:
        raise ValidationError("This study is claimed by another radiologist; only they can sign it.")
    _check_password(actor, password)
    to = ReportStatus.FINAL if final else ReportStatus.PRELIMINARY
    if report.status not in EDITABLE or not report.can_transition(to):
        raise InvalidReportTransition(
            f"A {report.get_status_display().lower()} report cannot be signed as {ReportStatus(to).label.lower()}."
        )
    if version is not None and version != report.version:
        raise StaleReport(
            f"The report changed in another window (version {report.version}, yours {version}); reload it.",
            report=report,
        )
    if sections:
        report.sections = {**report.sections, **_clean_sections(report, sections)}
    if not report.sections.get("impression", "").strip() and "impression" in dict(report.section_titles):
        raise ValidationError({"sections": "Write the impression before signing."})
    if critical and not critical_finding.strip():
        raise ValidationError({"critical_finding": "Say what the critical finding is."})
    if critical and severity not in CriticalSeverity.values:
        raise ValidationError({"severity": "Choose critical or urgent."})
    now = timezone.now()
    report.status = to
    report.version += 1
    report.signer = actor
    report.signed_at = now
    report.author = report.author or actor
    report.critical = report.critical or critical
    order = report.order
    report.modality_type = order.procedure.modality_type
    report.priority = order.priority
    if to == ReportStatus.PRELIMINARY:
        report.preliminary_at = now
    else:
        report.final_at = now
        report.images_received_at = order.images_received_at or _first_study_at(order)
        if report.images_received_at:
            report.turnaround_seconds = max(0, int((now - report.images_received_at).total_seconds()))
    report.save()
    _snapshot(report, signer=actor, at=now)
    _move_order(report, to=OrderStatus.FINAL if final else OrderStatus.PRELIMINARY, actor=actor)
    _announce(report, status=_event_status(report))
    if critical and not hasattr(report, "critical_result"):
        _open_critical_result(report, actor=actor, finding=critical_finding.strip(), severity=severity, at=now)
    if final:
        _maybe_offer_peer_review(report)
    return report


def _first_study_at(order: Order) -> dt.datetime | None:
    study = Study.objects.filter(order=order).order_by("created_at").first()
    return study.created_at if study else None


@transaction.atomic
def amend_report(*, report: Report, actor, password: str, sections: dict, reason: str) -> Report:
    """Replace a final report's text with a new signed version (the old one is kept); status ``amended``."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not actor.has_role(Role.RADIOLOGIST):
        raise ValidationError("Only a radiologist can amend a report.")
    _check_password(actor, password)
    if not report.can_transition(ReportStatus.AMENDED):
        raise InvalidReportTransition("Only a final report can be amended; sign it first.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the report is amended."})
    report.sections = {**report.sections, **_clean_sections(report, sections)}
    now = timezone.now()
    report.status = ReportStatus.AMENDED
    report.version += 1
    report.signer = actor
    report.signed_at = now
    report.save()
    _snapshot(report, signer=actor, at=now, reason=reason.strip()[:500])
    _announce(report, status=ReportResultStatus.CORRECTED)
    return report


@transaction.atomic
def add_addendum(*, report: Report, actor, password: str, text: str, draft: Addendum | None = None) -> Addendum:
    """Sign an addendum to a final (or amended) report; the report's text itself never changes."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not actor.has_role(Role.RADIOLOGIST):
        raise ValidationError("Only a radiologist can add an addendum.")
    _check_password(actor, password)
    if report.status not in RELEASED:
        raise ValidationError("Addenda are for signed final reports; edit the draft instead.")
    text = text.strip().replace("\x00", "")
    if not text:
        raise ValidationError({"text": "Write the addendum."})
    if len(text) > MAX_SECTION_LENGTH:
        raise ValidationError({"text": f"An addendum is at most {MAX_SECTION_LENGTH} characters."})
    now = timezone.now()
    if (
        draft is not None
        and draft.report_id == report.pk
        and draft.signed_at is None
        and draft.author_id == actor.pk  # only the author signs their own late text
    ):
        draft.text, draft.signed_at, draft.author = text, now, actor
        draft.save(update_fields=["text", "signed_at", "author"])
        addendum = draft
    else:
        addendum = Addendum.objects.create(report=report, text=text, author=actor, signed_at=now)
    report.version += 1
    report.save(update_fields=["version", "updated_at"])
    _announce(report, status=ReportResultStatus.CORRECTED)
    return addendum


# --- dictation ---------------------------------------------------------------------------------------------------


def _audio_type(content_type: str, head: bytes) -> str:
    base = content_type.split(";")[0].strip().lower()
    if base not in AUDIO_TYPES:
        raise ValidationError({"audio": f"“{base or 'no type'}” is not a supported audio type."})
    magic = AUDIO_TYPES[base][0]
    found = head[4:8] == magic if base == "audio/mp4" else head.startswith(magic)
    if not found:
        raise ValidationError({"audio": "The file is not the audio its type claims."})
    return base


def attach_dictation(*, report: Report, actor, upload) -> Dictation:
    """Store a dictation recording under the storage root (hash-named, fsynced) and queue it for typing.

    Refuses types other than browser-recorded audio, content that does not match its type, and files over
    ``LUMEN_DICTATION_MAX_BYTES``; nothing is kept of a refused upload.
    """
    if report.claimed_by_id != actor.pk:
        raise ValidationError("Only the radiologist who claimed this study can dictate for it.")
    if report.status not in EDITABLE:
        raise ValidationError("The report is signed; dictate an addendum in writing instead.")
    limit = settings.LUMEN_DICTATION_MAX_BYTES
    if upload.size > limit:
        raise ValidationError({"audio": f"The recording is larger than {limit // 1024**2} MB."})
    if upload.size == 0:
        raise ValidationError({"audio": "The recording is empty."})
    head = upload.read(16)
    upload.seek(0)
    content_type = _audio_type(upload.content_type or "", head)
    name = uuid.uuid4().hex
    relative = f"dictation/{name[:2]}/{name}.{AUDIO_SUFFIX[content_type]}"
    target = storage.absolute(relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    temp = target.with_suffix(".part")
    with open(temp, "wb") as handle:
        for chunk in upload.chunks():
            digest.update(chunk)
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, target)
    try:
        with transaction.atomic():
            dictation = Dictation.objects.create(
                report=report,
                path=relative,
                content_type=content_type,
                size_bytes=upload.size,
                sha256=digest.hexdigest(),
                recorded_by=actor,
            )
    except Exception:
        target.unlink(missing_ok=True)
        raise
    try:
        text = get_transcriber().transcribe(target, content_type)
    except Exception:  # a recogniser failing must not lose the recording: it is typed by hand instead
        log.exception("speech-to-text failed for dictation %s", dictation.pk)
        text = None
    if text:
        Dictation.objects.filter(pk=dictation.pk).update(machine_transcript=text)
        dictation.machine_transcript = text
    return dictation


@transaction.atomic
def complete_transcription(*, dictation: Dictation, actor) -> Dictation:
    """Mark a dictation typed (the text went into the report through the editor)."""
    dictation = Dictation.objects.select_for_update().get(pk=dictation.pk)
    if dictation.status != DictationStatus.PENDING:
        raise ValidationError("This dictation has already been typed.")
    dictation.status = DictationStatus.TRANSCRIBED
    dictation.transcribed_by = actor
    dictation.transcribed_at = timezone.now()
    dictation.save(update_fields=["status", "transcribed_by", "transcribed_at"])
    return dictation


# --- critical results --------------------------------------------------------------------------------------------


def _notify(critical: CriticalResult, *, recipient, kind: str, at, recorded_by=None) -> None:
    """A portal notice always; an e-mail too when the recipient has an address (sent after commit)."""
    CriticalNotification.objects.create(
        critical_result=critical,
        recipient=recipient,
        channel=NotificationChannel.PORTAL,
        kind=kind,
        at=at,
        recorded_by=recorded_by,
    )
    if recipient is not None and recipient.email:
        CriticalNotification.objects.create(
            critical_result=critical,
            recipient=recipient,
            channel=NotificationChannel.EMAIL,
            kind=kind,
            at=at,
            recorded_by=recorded_by,
        )
        subject = f"[{settings.LUMEN_SITE_NAME}] {critical.get_severity_display()} result to acknowledge"
        body = "A report with a critical result is waiting for your acknowledgement in the portal."
        address = recipient.email
        # No patient data in the e-mail: the portal shows it after sign-in.
        transaction.on_commit(lambda: send_mail(subject, body, None, [address], fail_silently=True))


def _open_critical_result(report: Report, *, actor, finding: str, severity: str, at) -> CriticalResult:
    critical = CriticalResult.objects.create(
        report=report,
        severity=severity,
        finding=finding[:500],
        radiologist=actor,
        recipient=report.order.referring_physician,
        created_at=at,
    )
    _notify(critical, recipient=critical.recipient, kind=NotificationKind.INITIAL, at=at, recorded_by=actor)
    return critical


@transaction.atomic
def record_critical_notification(
    *, critical: CriticalResult, actor, channel: str, recipient_text: str, note: str = ""
) -> CriticalNotification:
    """Record a notice given outside Lumen (a telephone call): who was told, how, when."""
    if channel not in NotificationChannel.values:
        raise ValidationError({"channel": "Choose how the result was communicated."})
    if not recipient_text.strip():
        raise ValidationError({"recipient_text": "Say who was told."})
    return CriticalNotification.objects.create(
        critical_result=critical,
        recipient_text=recipient_text.strip()[:200],
        channel=channel,
        kind=NotificationKind.INITIAL,
        at=timezone.now(),
        recorded_by=actor,
        note=note.strip()[:300],
    )


@transaction.atomic
def acknowledge_critical_result(*, critical: CriticalResult, actor) -> CriticalResult:
    """The referring physician (or whoever it was escalated to) confirms they received the critical result.

    Only they may: anyone else gets ``PermissionDenied`` (which the pages and the API answer as 404)."""
    if not CriticalResult.objects.waiting_for(actor).filter(pk=critical.pk).exists():
        raise PermissionDenied("Only the physician it was sent or escalated to acknowledges a critical result.")
    critical = CriticalResult.objects.select_for_update().get(pk=critical.pk)
    if critical.acknowledged_at is not None:
        raise ValidationError("This critical result has already been acknowledged.")
    now = timezone.now()
    critical.acknowledged_at = now
    critical.acknowledged_by = actor
    critical.ack_seconds = max(0, int((now - critical.created_at).total_seconds()))
    critical.save(update_fields=["acknowledged_at", "acknowledged_by", "ack_seconds"])
    return critical


def second_contacts() -> list:
    user_model = get_user_model()
    names = settings.LUMEN_CRITICAL_SECOND_CONTACTS
    if names:
        return list(user_model.objects.filter(username__in=names, is_active=True))
    return list(user_model.objects.filter(groups__name=Role.DEPARTMENT_LEAD, is_active=True).distinct())


@transaction.atomic
def escalate_critical_results(*, now: dt.datetime | None = None) -> int:
    """Escalate every critical result not acknowledged within ``LUMEN_CRITICAL_ACK_MINUTES``: notify the second
    contacts and the radiologist, once per result. Returns how many were escalated. Safe to run concurrently
    (rows are locked and skipped when another run holds them)."""
    now = now or timezone.now()
    due = now - dt.timedelta(minutes=settings.LUMEN_CRITICAL_ACK_MINUTES)
    overdue = (
        CriticalResult.objects.select_for_update(skip_locked=True)
        .filter(acknowledged_at__isnull=True, escalated_at__isnull=True, created_at__lte=due)
        .select_related("radiologist")
    )
    contacts = second_contacts()
    count = 0
    for critical in overdue:
        for person in [*contacts, critical.radiologist]:
            _notify(critical, recipient=person, kind=NotificationKind.ESCALATION, at=now)
        critical.escalated_at = now
        critical.save(update_fields=["escalated_at"])
        count += 1
    return count


# --- peer review -------------------------------------------------------------------------------------------------


def _maybe_offer_peer_review(report: Report) -> PeerReview | None:
    percent = settings.LUMEN_PEER_REVIEW_PERCENT
    if percent <= 0 or hasattr(report, "peer_review") or random.randrange(100) >= percent:  # noqa: S311
        return None
    reviewers = list(
        get_user_model()
        .objects.filter(groups__name=Role.RADIOLOGIST, is_active=True)
        .exclude(pk=report.signer_id)
        .values_list("pk", flat=True)
    )
    if not reviewers:
        return None
    return PeerReview.objects.create(report=report, reviewer_id=random.choice(reviewers))  # noqa: S311


@transaction.atomic
def submit_peer_review(*, review: PeerReview, actor, score: str, comment: str = "") -> PeerReview:
    review = PeerReview.objects.select_for_update().get(pk=review.pk)
    if review.reviewer_id != actor.pk:
        raise ValidationError("This peer review is assigned to another radiologist.")
    if review.completed_at is not None:
        raise ValidationError("This peer review has already been scored.")
    if score not in PeerScore.values:
        raise ValidationError({"score": "Choose a RADPEER score: 1, 2a, 2b, 3a or 3b."})
    if score != PeerScore.AGREE and not comment.strip():
        raise ValidationError({"comment": "Describe the discrepancy."})
    review.score = score
    review.comment = comment.strip()
    review.completed_at = timezone.now()
    review.save(update_fields=["score", "comment", "completed_at"])
    return review


# --- sharing a study with a consulting physician -----------------------------------------------------------------


def sharing_consent_granted(patient) -> bool:
    consent = patient.current_consents().get(ConsentKind.TELEMEDICINE_SHARING)
    return consent is not None and consent.decision == ConsentDecision.GRANTED


@transaction.atomic
def share_study(*, study: Study, actor, with_user, expires_at: dt.datetime, reason: str = "") -> StudyShare:
    """Grant ``with_user`` (a referring physician) ``pacs.view_study`` on ``study`` until ``expires_at``
    (a django-guardian direct object permission). Requires the patient's telemedicine sharing consent."""
    patient = study.patient or (study.order.patient if study.order_id else None)
    if patient is None:
        raise ValidationError("This study is not linked to a patient yet; reconcile it before sharing.")
    if not sharing_consent_granted(patient):
        raise ValidationError(
            "The patient has not consented to sharing with remote physicians (telemedicine sharing); "
            "record their consent before sharing this study."
        )
    if not with_user.is_active or not with_user.has_role(Role.REFERRING_PHYSICIAN):
        raise ValidationError({"with_user": "Studies are shared with referring or consulting physicians only."})
    if with_user.pk == actor.pk:
        raise ValidationError({"with_user": "Choose another physician to share with."})
    now = timezone.now()
    if expires_at <= now:
        raise ValidationError({"expires_at": "The share must end in the future."})
    if expires_at > now + dt.timedelta(days=settings.LUMEN_SHARE_MAX_DAYS):
        raise ValidationError({"expires_at": f"A share lasts at most {settings.LUMEN_SHARE_MAX_DAYS} days."})
    permission = Permission.objects.get(content_type__app_label="pacs", codename="view_study")
    share = StudyShare.all_shares.filter(content_object=study, user=with_user, permission=permission).first()
    if share is None:
        share = StudyShare(content_object=study, user=with_user, permission=permission)
    share.expires_at = expires_at
    share.shared_by = actor
    share.reason = reason.strip()[:300]
    share.save()
    return share


@transaction.atomic
def revoke_share(*, share: StudyShare, actor) -> None:
    """End a share now; the row stays (with its new end time) as the record that it existed."""
    share = StudyShare.all_shares.select_for_update().get(pk=share.pk)
    share.expires_at = min(share.expires_at, timezone.now())
    share.save(update_fields=["expires_at"])
