"""Patients, their insurance coverage and consent records."""

from __future__ import annotations

import datetime as dt

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from ris.patients import names
from ris.patients.choices import ConsentDecision, ConsentKind, CoveragePriority, Sex, SubscriberRelationship
from ris.patients.querysets import PatientQuerySet

# DICOM LO (64 chars, no backslash or control characters) carries the MRN into images and worklists.
identifier_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$",
    "Use letters, digits and . _ - / only, starting with a letter or digit.",
)


def validate_not_future(value: dt.date) -> None:
    if value > timezone.localdate():
        raise ValidationError("The date of birth cannot be in the future.", code="future_birth_date")


def default_issuer() -> str:
    return settings.LUMEN_MRN_ISSUER


class Patient(models.Model):
    """A person Lumen holds images and orders for, identified by MRN within an issuer (assigning authority).

    A patient merged into another keeps their row (``merged_into`` set) so old references and the audit trail
    still resolve; everything clinical moves to the surviving record.
    """

    mrn = models.CharField("MRN", max_length=64, validators=[identifier_validator])
    issuer = models.CharField(
        "MRN issuer",
        max_length=64,
        default=default_issuer,
        validators=[identifier_validator],
        help_text="Assigning authority of the MRN (HL7 PID-3.4, DICOM Issuer of Patient ID).",
    )
    family_name = models.CharField(max_length=100)
    given_name = models.CharField(max_length=100, blank=True)
    middle_name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=30, blank=True)
    suffix = models.CharField(max_length=30, blank=True)
    birth_date = models.DateField("date of birth", validators=[validate_not_future])
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address_line = models.CharField("address", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 two-letter code.")
    # Not indexed: nearly every row is NULL, and an index on it lures query planners into full scans.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_patients",
        editable=False,
        db_index=False,
    )
    merged_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name", "birth_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "mrn"],
                name="patient_mrn_unique_per_issuer",
                violation_error_message="Another patient already has this MRN from this issuer.",
            )
        ]
        indexes = [models.Index(fields=["birth_date"]), models.Index(fields=["mrn"])]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.mrn})"

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        super().save(*args, **kwargs)
        if update_fields is None or SEARCHED_FIELDS & set(update_fields):
            self.index_search_words()

    def search_words(self) -> set[str]:
        """What search matches this patient by: the folded words of the name, and the MRN."""
        return {*names.name_words(self.family_name, self.given_name, self.middle_name), names.fold(self.mrn)}

    def index_search_words(self) -> None:
        """Refresh this patient's rows in the search index (``PatientSearchWord``)."""
        words = self.search_words()
        self.search_index.exclude(word__in=words).delete()
        existing = set(self.search_index.values_list("word", flat=True))
        PatientSearchWord.objects.bulk_create(PatientSearchWord(patient=self, word=w) for w in words - existing)

    def get_absolute_url(self) -> str:
        return reverse("patients:detail", args=[self.pk])

    @property
    def display_name(self) -> str:
        given = " ".join(p for p in (self.given_name, self.middle_name) if p)
        return f"{self.family_name.upper()}, {given}" if given else self.family_name.upper()

    @property
    def dicom_name(self) -> str:
        """Person Name (PN) in DICOM order: family^given^middle^prefix^suffix, trailing empties dropped."""
        parts = [self.family_name, self.given_name, self.middle_name, self.prefix, self.suffix]
        return "^".join(parts).rstrip("^")

    @property
    def age(self) -> int:
        today = timezone.localdate()
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    def current_consents(self) -> dict[str, Consent]:
        """The latest decision for each kind of consent."""
        latest: dict[str, Consent] = {}
        for consent in self.consents.select_related("recorded_by").order_by("recorded_at", "id"):
            latest[consent.kind] = consent
        return latest


SEARCHED_FIELDS = frozenset({"family_name", "given_name", "middle_name", "mrn"})


class PatientSearchWord(models.Model):
    """One folded word a patient is found by: a word of the name ('Müller' -> 'muller') or the MRN.

    A typed word matches patients having a search word that starts with it; a B-tree index on ``word`` answers
    that as one range scan on SQLite and PostgreSQL alike, so search stays fast at hundreds of thousands of
    patients, with no trigram or full-text extension.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="search_index")
    word = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["word", "patient"], name="patient_search_word_unique")]

    def __str__(self) -> str:
        return self.word


class Coverage(models.Model):
    """An insurance coverage of a patient (payer, plan, member ID), in priority order."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverages")
    priority = models.PositiveSmallIntegerField(choices=CoveragePriority.choices, default=CoveragePriority.PRIMARY)
    payer_name = models.CharField(max_length=200)
    plan_name = models.CharField(max_length=200, blank=True)
    member_id = models.CharField("member ID", max_length=64)
    group_number = models.CharField(max_length=64, blank=True)
    subscriber_name = models.CharField(max_length=200, blank=True, help_text="Leave empty when the patient is.")
    subscriber_relationship = models.CharField(
        max_length=10, choices=SubscriberRelationship.choices, default=SubscriberRelationship.SELF
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-active", "priority", "-created_at"]

    def __str__(self) -> str:
        return f"{self.payer_name} {self.member_id}"

    def clean(self) -> None:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "The coverage cannot end before it starts."})
        if self.subscriber_relationship != SubscriberRelationship.SELF and not self.subscriber_name:
            raise ValidationError({"subscriber_name": "Name the subscriber when it is not the patient."})


class Consent(models.Model):
    """One recorded consent decision. Decisions are never edited: a new one supersedes the last of its kind."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    kind = models.CharField(max_length=30, choices=ConsentKind.choices)
    decision = models.CharField(max_length=10, choices=ConsentDecision.choices)
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_decision_display()}"


auditlog.register(Patient, exclude_fields=["updated_at"])
auditlog.register(Coverage)
auditlog.register(Consent)
