"""The image index: studies, series and instances, the stored files behind them, and the DICOM nodes Lumen knows.

Attributes C-FIND and QIDO-RS match on are columns (indexed where queries need them); each instance also keeps
its full header as DICOM JSON (PS3.18 F.2, bulk data left out) so metadata requests never re-read files.
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from guardian.managers import UserObjectPermissionManager
from guardian.models import UserObjectPermissionBase

from pacs.choices import MatchState, NodeService
from ris.equipment.models import validate_ae_title


class StudyQuerySet(models.QuerySet):
    def for_user(self, user) -> StudyQuerySet:
        """Department staff see every study; a referring physician the studies of orders they referred and the
        studies shared with them (an unexpired ``StudyShare``)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_department_staff:
            return self
        if user.has_role("referring_physician"):
            return self.filter(models.Q(order__referring_physician=user) | models.Q(pk__in=shared_study_ids(user)))
        return self.none()

    def awaiting_reconciliation(self) -> StudyQuerySet:
        return self.exclude(match_state=MatchState.MATCHED)


class Study(models.Model):
    """A DICOM study, linked to a Lumen patient and order when they are known."""

    study_instance_uid = models.CharField("Study Instance UID", max_length=64, unique=True)
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="studies"
    )
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="studies")
    match_state = models.CharField(max_length=20, choices=MatchState.choices, default=MatchState.UNMATCHED)
    match_note = models.CharField(max_length=300, blank=True)
    # Patient module, as the images carry it (C-FIND patient level reads these).
    dicom_patient_id = models.CharField("Patient ID", max_length=64, blank=True, db_index=True)
    issuer_of_patient_id = models.CharField(max_length=64, blank=True)
    patient_name = models.CharField(max_length=324, blank=True, db_index=True)
    patient_birth_date = models.CharField(max_length=8, blank=True)
    patient_sex = models.CharField(max_length=16, blank=True)
    # Study module.
    study_date = models.CharField(max_length=8, blank=True, db_index=True, help_text="DICOM DA: YYYYMMDD")
    study_time = models.CharField(max_length=16, blank=True, help_text="DICOM TM")
    accession_number = models.CharField(max_length=16, blank=True, db_index=True)
    study_id = models.CharField("Study ID", max_length=16, blank=True)
    study_description = models.CharField(max_length=64, blank=True)
    referring_physician_name = models.CharField(max_length=324, blank=True)
    modalities_in_study = models.CharField(max_length=200, blank=True, help_text="Backslash-separated.")
    number_of_series = models.PositiveIntegerField(default=0)
    number_of_instances = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StudyQuerySet.as_manager()

    class Meta:
        ordering = ["-study_date", "-id"]
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return f"{self.study_date} {self.study_description or self.study_instance_uid}"

    def get_absolute_url(self) -> str:
        return reverse("pacs:study", args=[self.pk])


class Series(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="series")
    series_instance_uid = models.CharField("Series Instance UID", max_length=64, unique=True)
    modality = models.CharField(max_length=16, blank=True, db_index=True)
    series_number = models.IntegerField(null=True, blank=True)
    series_description = models.CharField(max_length=64, blank=True)
    body_part_examined = models.CharField(max_length=16, blank=True)
    series_date = models.CharField(max_length=8, blank=True)
    series_time = models.CharField(max_length=16, blank=True)
    number_of_instances = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["series_number", "id"]
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return f"{self.modality} {self.series_number} {self.series_description}".strip()


class Instance(models.Model):
    """One stored SOP instance: where its file is, what it hashes to, and its header as DICOM JSON."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="instances")
    sop_instance_uid = models.CharField("SOP Instance UID", max_length=64, unique=True)
    sop_class_uid = models.CharField("SOP Class UID", max_length=64, db_index=True)
    instance_number = models.IntegerField(null=True, blank=True)
    transfer_syntax_uid = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(null=True, blank=True)
    columns = models.PositiveIntegerField(null=True, blank=True)
    number_of_frames = models.PositiveIntegerField(default=1)
    path = models.CharField(max_length=200, help_text="Relative to the storage root; derived from UID hashes.")
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    metadata = models.JSONField(help_text="DICOM JSON of the header, without pixel data and other bulk data.")
    received_from = models.CharField(max_length=16, blank=True, help_text="Calling AE title, or import/stow.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["instance_number", "id"]

    def __str__(self) -> str:
        return self.sop_instance_uid


class DicomNodeQuerySet(models.QuerySet):
    def by_ae_title(self, ae_title: str) -> DicomNodeQuerySet:
        return self.filter(ae_title=ae_title.strip(), active=True)


class DicomNode(models.Model):
    """A DICOM application Lumen talks to: a workstation, another archive, a viewer, a modality's store SCU.

    Calling AEs must be registered (AE title and host) to associate, and may use only the services listed.
    Acquisition modalities registered under equipment are recognised too (``pacs.dicom.access``).
    """

    ae_title = models.CharField("AE title", max_length=16, unique=True, validators=[validate_ae_title])
    host = models.CharField(max_length=253, help_text="Host name or IP address it calls from and listens on.")
    port = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(65535)], default=104)
    services = models.JSONField(default=list, blank=True, help_text=", ".join(NodeService.values))
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    objects = DicomNodeQuerySet.as_manager()

    class Meta:
        ordering = ["ae_title"]
        verbose_name = "DICOM node"

    def __str__(self) -> str:
        return f"{self.ae_title}@{self.host}:{self.port}"

    def clean(self) -> None:
        if not isinstance(self.services, list):
            raise ValidationError({"services": "List the allowed services."})
        unknown = sorted(set(self.services) - set(NodeService.values))
        if unknown:
            raise ValidationError({"services": f"Unknown services: {', '.join(unknown)}."})
        self.services = [s for s in NodeService.values if s in self.services]

    def may_use(self, service: str) -> bool:
        return self.active and service in self.services


class ActiveShareManager(UserObjectPermissionManager):
    """Only shares that have not expired: django-guardian's checks read through this manager, so a share ends
    exactly at ``expires_at`` without a clean-up job."""

    def get_queryset(self):
        return super().get_queryset().filter(expires_at__gt=timezone.now())


class StudyShare(UserObjectPermissionBase):
    """A time-limited grant of ``pacs.view_study`` on one study to one user (a consulting physician).

    django-guardian's direct per-object permission model for ``Study`` (faster than its generic one), with
    an expiry, who shared it and why. Create shares through ``reporting.services.share_study``, which checks the
    patient's sharing consent.
    """

    content_object = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="shares")
    expires_at = models.DateTimeField(db_index=True)
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActiveShareManager()
    all_shares = models.Manager()

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = "study share"
        base_manager_name = "all_shares"

    def __str__(self) -> str:
        return f"study {self.content_object_id} -> user {self.user_id} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def active(self) -> bool:
        return self.expires_at > timezone.now()


def consented_shares(user) -> models.QuerySet:
    """The unexpired shares to ``user`` whose patient's latest telemedicine sharing consent is still "granted":
    withdrawing the consent ends every share of the patient's studies at once."""
    consent_model = apps.get_model("patients", "Consent")
    latest = (
        consent_model.objects.filter(patient=models.OuterRef("shared_patient"), kind="telemedicine_sharing")
        .order_by("-recorded_at", "-id")
        .values("decision")[:1]
    )
    return (
        StudyShare.objects.filter(user=user)
        .annotate(shared_patient=Coalesce("content_object__patient_id", "content_object__order__patient_id"))
        .annotate(consent=models.Subquery(latest))
        .filter(consent="granted")
    )


def shared_study_ids(user) -> models.QuerySet:
    """Ids of the studies shared with ``user`` right now (a subquery; see ``consented_shares``)."""
    return consented_shares(user).filter(permission__codename="view_study").values("content_object_id")


auditlog.register(Study, exclude_fields=["updated_at", "number_of_series", "number_of_instances", "size_bytes"])
auditlog.register(DicomNode)
auditlog.register(StudyShare)
