"""Report templates, reports with their signed versions and addenda, dictations, critical results, peer review."""

from __future__ import annotations

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from reporting.choices import (
    DEFAULT_SECTIONS,
    TRANSITIONS,
    CriticalSeverity,
    DictationStatus,
    NotificationChannel,
    NotificationKind,
    PeerScore,
    ReportStatus,
)
from reporting.querysets import CriticalResultQuerySet, DictationQuerySet, ReportQuerySet
from ris.equipment.choices import ModalityType


class InvalidReportTransition(ValidationError):
    """A report was asked to move to a status its current status does not lead to."""


def default_sections() -> list[dict]:
    return [{"key": key, "title": title, "text": "", "choices": []} for key, title in DEFAULT_SECTIONS]


def validate_sections(value) -> None:
    """Template sections: a list of {key, title, text, choices}; keys are unique identifiers."""
    if not isinstance(value, list) or not value:
        raise ValidationError("Give the sections as a non-empty list.")
    keys = set()
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not isinstance(item.get("title"), str):
            raise ValidationError("Each section needs a key and a title.")
        if not item["key"].isidentifier() or item["key"] in keys:
            raise ValidationError(f"Section key “{item['key']}” must be unique and made of letters, digits and _.")
        keys.add(item["key"])
        if not isinstance(item.get("text", ""), str):
            raise ValidationError(f"Section “{item['key']}”: the default text must be text.")
        choices = item.get("choices", [])
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise ValidationError(f"Section “{item['key']}”: the pick-list must be a list of phrases.")


def validate_macros(value) -> None:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValidationError("Give the macros as an object of name: text.")


class ReportTemplate(models.Model):
    """A structured report template (the IHE MRRT idea): ordered sections with default text and pick-lists, and
    macros (short names expanding to phrases). Chosen by procedure first, else by modality, else the generic one.
    """

    name = models.CharField(max_length=200, unique=True)
    procedure = models.ForeignKey(
        "orders.Procedure", null=True, blank=True, on_delete=models.SET_NULL, related_name="report_templates"
    )
    modality_type = models.CharField("modality", max_length=4, choices=ModalityType.choices, blank=True)
    sections = models.JSONField(default=default_sections, validators=[validate_sections])
    macros = models.JSONField(default=dict, blank=True, validators=[validate_macros])
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Report(models.Model):
    """The report of one order. Its current text is ``sections`` (key -> text, in the template's order); every
    signed state is also kept as a ``ReportVersion``. ``version`` counts saves (optimistic concurrency)."""

    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="report")
    template = models.ForeignKey(ReportTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    section_titles = models.JSONField(default=list, help_text="[[key, title], ...] in the order they are shown.")
    sections = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=ReportStatus.choices, default=ReportStatus.DRAFT, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="claimed_reports"
    )
    claimed_at = models.DateTimeField(null=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    preliminary_at = models.DateTimeField(null=True, blank=True)
    final_at = models.DateTimeField(null=True, blank=True, db_index=True)
    critical = models.BooleanField(default=False)
    key_images = models.JSONField(default=list, blank=True, help_text="SOP Instance UIDs marked as key images.")
    # Copied at finalisation so the dashboard aggregates one table (images received -> final).
    images_received_at = models.DateTimeField(null=True, blank=True)
    turnaround_seconds = models.PositiveIntegerField(null=True, blank=True)
    modality_type = models.CharField(max_length=4, blank=True)
    priority = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "-id"]),
            # Covers the dashboard's grouped aggregates (index-only scans over a date range).
            models.Index(
                fields=["final_at", "signer", "modality_type", "priority", "turnaround_seconds"],
                name="report_dashboard_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Report {self.pk} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("reporting:report", args=[self.pk])

    def can_transition(self, to: str) -> bool:
        return to in TRANSITIONS[self.status]

    def section_list(self) -> list[tuple[str, str, str]]:
        """(key, title, text) in template order."""
        return [(key, title, self.sections.get(key, "")) for key, title in self.section_titles]

    def signed_section_list(self) -> list[tuple[str, str, str]]:
        """(key, title, text) as last signed: what the referrer, the PDF and the API show. A preliminary report being
        edited towards final shows its signed preliminary text, never the unsigned edits; a draft its current text.
        """
        versions = list(self.versions.all())  # prefetched by lists
        latest = max(versions, key=lambda v: v.number, default=None)
        return latest.section_list() if latest is not None else self.section_list()

    @property
    def impression(self) -> str:
        return self.sections.get("impression", "")


class ReportVersion(models.Model):
    """A signed state of a report, kept forever (preliminary, final, each amendment)."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=ReportStatus.choices)
    section_titles = models.JSONField(default=list)
    sections = models.JSONField(default=dict)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True, help_text="Why it was amended.")

    class Meta:
        ordering = ["report", "number"]
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="report_version_unique")]

    def __str__(self) -> str:
        return f"Report {self.report_id} v{self.number}"

    def section_list(self) -> list[tuple[str, str, str]]:
        return [(key, title, self.sections.get(key, "")) for key, title in self.section_titles]


class Addendum(models.Model):
    """Text added to a signed report. ``signed_at`` empty: a draft (e.g. text saved after the report was signed)."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField(max_length=20000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "addenda"

    def __str__(self) -> str:
        return f"Addendum {self.pk} to report {self.report_id}"


class Dictation(models.Model):
    """Audio recorded for a report; the file lives under the storage root (never in the database)."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="dictations")
    path = models.CharField(max_length=200, help_text="Relative to the storage root.")
    content_type = models.CharField(max_length=50)
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=20, choices=DictationStatus.choices, default=DictationStatus.PENDING)
    machine_transcript = models.TextField(blank=True, help_text="From the speech-to-text engine, when there is one.")
    transcribed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    transcribed_at = models.DateTimeField(null=True, blank=True)

    objects = DictationQuerySet.as_manager()

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"Dictation {self.pk} for report {self.report_id}"


class CriticalResult(models.Model):
    """A critical or urgent finding flagged at signing: the closed loop from notice to acknowledgement."""

    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="critical_result")
    severity = models.CharField(max_length=10, choices=CriticalSeverity.choices, default=CriticalSeverity.CRITICAL)
    finding = models.CharField(max_length=500)
    radiologist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="critical_results"
    )
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ack_seconds = models.PositiveIntegerField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    objects = CriticalResultQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["acknowledged_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} result on report {self.report_id}"


class CriticalNotification(models.Model):
    """One notice of a critical result: who was told, when, how, and whether it was an escalation."""

    critical_result = models.ForeignKey(CriticalResult, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recipient_text = models.CharField(max_length=200, blank=True, help_text="Who, when not a Lumen user.")
    channel = models.CharField(max_length=10, choices=NotificationChannel.choices)
    kind = models.CharField(max_length=12, choices=NotificationKind.choices)
    at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.channel} at {self.at:%Y-%m-%d %H:%M}"


class PeerReview(models.Model):
    """A final report offered to a second radiologist for a RADPEER score."""

    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="peer_review")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="peer_reviews")
    score = models.CharField(max_length=2, choices=PeerScore.choices, blank=True)
    comment = models.TextField(max_length=4000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Peer review of report {self.report_id}"


auditlog.register(ReportTemplate)
auditlog.register(Report, exclude_fields=["updated_at", "sections", "version"])
auditlog.register(CriticalResult)
auditlog.register(PeerReview)
