"""Roles of Lumen's users. Each role is a Django Group of the same name (created by a data migration)."""

from django.db import models


class Role(models.TextChoices):
    FRONT_DESK = "front_desk", "Front desk"
    TECHNOLOGIST = "technologist", "Technologist"
    RADIOLOGIST = "radiologist", "Radiologist"
    BILLING = "billing", "Billing"
    REFERRING_PHYSICIAN = "referring_physician", "Referring physician"
    ADMIN = "admin", "Administrator"
    TRANSCRIPTIONIST = "transcriptionist", "Transcriptionist"
    DEPARTMENT_LEAD = "department_lead", "Department lead"


# Staff who work inside the department and may see every patient.
# Transcriptionists are not: they see only the reports they have dictations to type.
DEPARTMENT_ROLES = frozenset(
    {Role.FRONT_DESK, Role.TECHNOLOGIST, Role.RADIOLOGIST, Role.BILLING, Role.ADMIN, Role.DEPARTMENT_LEAD}
)
ALL_ROLES = frozenset(Role)
