"""Interface partners and the HL7 message log (inbound messages and the outbound queue in one table)."""

from __future__ import annotations

from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from ris.hl7.choices import TRANSITIONS, Direction, MessageStatus, OutboundType
from ris.hl7.querysets import MessageQuerySet


class InvalidTransition(ValidationError):
    """A message was asked to move to a status its current status does not lead to."""


class Partner(models.Model):
    """A system Lumen exchanges HL7 with (an EHR, a HIS, a billing system).

    ``application`` / ``facility`` are the partner's own names: MSH-3/4 of what it sends, MSH-5/6 of what Lumen
    sends it. Outbound messages of the subscribed ``message_types`` go to ``host:port`` over MLLP.
    """

    name = models.CharField(max_length=100, unique=True)
    host = models.CharField(max_length=255, help_text="Where the partner's MLLP receiver listens.")
    port = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(65535)])
    application = models.CharField(max_length=180, help_text="The partner's application name (HD, MSH-3 / MSH-5).")
    facility = models.CharField(max_length=180, blank=True, help_text="The partner's facility (MSH-4 / MSH-6).")
    message_types = models.JSONField(
        default=list, blank=True, help_text=f"Outbound messages it receives: {', '.join(OutboundType.values)}."
    )
    use_tls = models.BooleanField("use TLS", default=False)
    enabled = models.BooleanField(default=True)
    delivering_until = models.DateTimeField(null=True, blank=True, editable=False)  # delivery lease (one sender)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.message_types, list) or not set(self.message_types) <= set(OutboundType.values):
            raise ValidationError({"message_types": f"Choose among {', '.join(OutboundType.values)}."})

    def get_absolute_url(self) -> str:
        return reverse("hl7:partner", args=[self.pk])


class Message(models.Model):
    """One HL7 message received or to be sent, kept raw for tracing and replay.

    Inbound messages are written here before anything else is done with them (committed on their own), so a
    crash loses nothing; ``dedup_key`` (sender + control ID) is set on the first copy only, and makes a
    resent message a DUPLICATE that gets the first one's ACK again. Outbound messages wait here as PENDING
    until their partner acknowledges them; after the retry budget they are DEAD (the dead-letter list).
    """

    direction = models.CharField(max_length=3, choices=Direction.choices)
    status = models.CharField(max_length=12, choices=MessageStatus.choices)
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="messages")
    sender = models.CharField(max_length=200, blank=True, help_text="MSH-3^MSH-4 of the sending system.")
    peer = models.CharField(max_length=100, blank=True, help_text="Network address it came from.")
    control_id = models.CharField("control ID", max_length=199, blank=True, db_index=True)
    message_type = models.CharField(max_length=20, blank=True, help_text="MSH-9, e.g. ADT^A04.")
    version = models.CharField(max_length=10, blank=True)
    raw = models.TextField(help_text="As received or sent; segments separated by carriage returns.")
    dedup_key = models.CharField(max_length=400, unique=True, null=True, blank=True, editable=False)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replays")
    reason = models.TextField(blank=True, help_text="Why it was refused, or the last delivery error.")
    ack_code = models.CharField(max_length=2, blank=True)
    ack = models.TextField(blank=True, help_text="The acknowledgement sent (inbound) or received (outbound).")
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True, help_text="Processed (inbound) or delivered (outbound).")

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["direction", "status", "-id"]),
            models.Index(fields=["patient", "-id"]),
            models.Index(fields=["partner", "status", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.message_type or '?'} {self.control_id or '-'}"

    def get_absolute_url(self) -> str:
        return reverse("hl7:message", args=[self.pk])

    def can_transition(self, to: str) -> bool:
        return to in TRANSITIONS[self.status]

    def check_transition(self, to: str) -> None:
        if not self.can_transition(to):
            raise InvalidTransition(
                f"A message that is {self.get_status_display().lower()} cannot become "
                f"{MessageStatus(to).label.lower()}."
            )

    @property
    def segments(self) -> list[str]:
        return [s for s in self.raw.replace("\n", "\r").split("\r") if s]


auditlog.register(Partner, exclude_fields=["delivering_until"])
