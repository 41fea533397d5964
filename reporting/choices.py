"""Report statuses (the report state machine), critical-result, dictation and peer-review choices."""

from django.db import models

from ris.events import ReportResultStatus


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PRELIMINARY = "preliminary", "Preliminary"
    FINAL = "final", "Final"
    AMENDED = "amended", "Amended"


R = ReportStatus
# The only moves a report's status may make. Anything else raises InvalidReportTransition.
# A final report is never edited: it is amended (a new signed version, the old one kept) or gets an addendum,
# which leaves the status as it is.
TRANSITIONS: dict[str, frozenset[str]] = {
    R.DRAFT: frozenset({R.PRELIMINARY, R.FINAL}),
    R.PRELIMINARY: frozenset({R.FINAL}),
    R.FINAL: frozenset({R.AMENDED}),
    R.AMENDED: frozenset({R.AMENDED}),
}
# Statuses whose text may still change (autosave, edits).
EDITABLE = frozenset({R.DRAFT, R.PRELIMINARY})
# Signed and released to the referring physician.
RELEASED = frozenset({R.FINAL, R.AMENDED})
# Statuses the referring physician may read (preliminary reads are released too, marked as such).
VISIBLE_TO_REFERRER = frozenset({R.PRELIMINARY, R.FINAL, R.AMENDED})
# HL7 result status each signed status is reported as (OBR-25).
RESULT_STATUS = {
    R.PRELIMINARY: ReportResultStatus.PRELIMINARY,
    R.FINAL: ReportResultStatus.FINAL,
    R.AMENDED: ReportResultStatus.CORRECTED,
}

# The sections every template starts from (IHE MRRT / RSNA RadReport order).
DEFAULT_SECTIONS = (
    ("clinical_information", "Clinical information"),
    ("technique", "Technique"),
    ("comparison", "Comparison"),
    ("findings", "Findings"),
    ("impression", "Impression"),
)


class CriticalSeverity(models.TextChoices):
    CRITICAL = "critical", "Critical (act now)"
    URGENT = "urgent", "Urgent (act today)"


class NotificationChannel(models.TextChoices):
    PORTAL = "portal", "Portal and home page"
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Telephone (recorded by the radiologist)"


class NotificationKind(models.TextChoices):
    INITIAL = "initial", "Initial notice"
    ESCALATION = "escalation", "Escalation"


class DictationStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be typed"
    TRANSCRIBED = "transcribed", "Typed"


class PeerScore(models.TextChoices):
    """RADPEER scoring (ACR): 1 agree; 2 discrepancy in a difficult diagnosis; 3 should be made most of the time.
    a = unlikely to be clinically significant, b = likely to be clinically significant."""

    AGREE = "1", "1 – Concur with interpretation"
    DIFFICULT_MINOR = "2a", "2a – Difficult diagnosis, not clinically significant"
    DIFFICULT_SIGNIFICANT = "2b", "2b – Difficult diagnosis, likely clinically significant"
    MISSED_MINOR = "3a", "3a – Should be made most of the time, not clinically significant"
    MISSED_SIGNIFICANT = "3b", "3b – Should be made most of the time, likely clinically significant"
