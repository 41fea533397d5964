from django.db import models


class Sex(models.TextChoices):
    """Administrative sex, as HL7 table 0001 and DICOM (0010,0040) carry it."""

    FEMALE = "F", "Female"
    MALE = "M", "Male"
    OTHER = "O", "Other"
    UNKNOWN = "U", "Unknown"


class CoveragePriority(models.IntegerChoices):
    PRIMARY = 1, "Primary"
    SECONDARY = 2, "Secondary"
    TERTIARY = 3, "Tertiary"


class SubscriberRelationship(models.TextChoices):
    SELF = "self", "Self"
    SPOUSE = "spouse", "Spouse"
    CHILD = "child", "Child"
    OTHER = "other", "Other"


class ConsentKind(models.TextChoices):
    IMAGING_STORAGE = "imaging_storage", "Storage of images and reports"
    TELEMEDICINE_SHARING = "telemedicine_sharing", "Sharing with remote readers (telemedicine)"
    RESEARCH = "research", "Use in research"


class ConsentDecision(models.TextChoices):
    GRANTED = "granted", "Granted"
    REFUSED = "refused", "Refused"
    WITHDRAWN = "withdrawn", "Withdrawn"
