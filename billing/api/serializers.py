from rest_framework import serializers

from billing.choices import ClaimFormat, ClaimStatus, LineKind
from billing.models import Charge, ChargeLine, Claim, ClaimEvent, ExportBatch, FeeScheduleEntry, Payer


class PayerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payer
        fields = ["id", "name", "payer_id", "claim_format", "requires_prior_auth", "active"]


class FeeSerializer(serializers.ModelSerializer):
    class Meta:
        model = FeeScheduleEntry
        fields = ["id", "payer", "code", "modifier", "price", "effective_from", "effective_to"]
        validators = []  # the service runs the model's own checks and answers 400 with field messages


class ChargeLineSerializer(serializers.ModelSerializer):
    code = serializers.CharField(max_length=5)
    modifiers = serializers.ListField(child=serializers.CharField(max_length=2), required=False, max_length=4)
    units = serializers.IntegerField(min_value=1, max_value=999, required=False, default=1)
    diagnosis_pointers = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=4)
    kind = serializers.ChoiceField(choices=LineKind.choices, required=False, default=LineKind.PROCEDURE)

    class Meta:
        model = ChargeLine
        fields = ["position", "kind", "code", "modifiers", "units", "diagnosis_pointers", "amount"]
        read_only_fields = ["position", "amount"]


class ChargeSerializer(serializers.ModelSerializer):
    lines = ChargeLineSerializer(many=True, required=False)
    icd10_codes = serializers.ListField(child=serializers.CharField(max_length=10), required=False)
    accession_number = serializers.CharField(source="order.accession_number", read_only=True)
    patient_mrn = serializers.CharField(source="patient.mrn", read_only=True)
    needs_attention = serializers.BooleanField(read_only=True)
    total = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    payer = serializers.PrimaryKeyRelatedField(queryset=Payer.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Charge
        fields = [
            "id",
            "order",
            "accession_number",
            "component",
            "status",
            "patient",
            "patient_mrn",
            "payer",
            "coverage",
            "date_of_service",
            "place_of_service",
            "icd10_codes",
            "rendering_npi",
            "referring_npi",
            "prior_auth_number",
            "hold_reason",
            "void_reason",
            "problems",
            "needs_attention",
            "lines",
            "total",
            "captured_at",
            "updated_at",
        ]
        read_only_fields = [
            "order",
            "component",
            "status",
            "patient",
            "coverage",
            "date_of_service",
            "hold_reason",
            "void_reason",
            "problems",
            "captured_at",
            "updated_at",
        ]


class ChargeReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class ClaimEventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()

    class Meta:
        model = ClaimEvent
        fields = ["from_status", "to_status", "note", "actor", "at"]


class ClaimSerializer(serializers.ModelSerializer):
    patient_mrn = serializers.CharField(source="patient.mrn", read_only=True)
    events = ClaimEventSerializer(many=True, read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "number",
            "patient",
            "patient_mrn",
            "payer",
            "coverage",
            "date_of_service",
            "status",
            "frequency",
            "original",
            "payer_claim_number",
            "charges",
            "total",
            "batch",
            "created_at",
            "status_changed_at",
            "events",
        ]
        read_only_fields = fields


class ClaimMoveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class FollowUpSerializer(serializers.Serializer):
    payer_claim_number = serializers.CharField(required=False, allow_blank=True, max_length=50, default="")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class ExportBatchSerializer(serializers.ModelSerializer):
    filename = serializers.CharField(read_only=True)

    class Meta:
        model = ExportBatch
        fields = ["id", "format", "control_number", "created_at", "claim_count", "total", "filename"]
        read_only_fields = fields


class ExportRequestSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=ClaimFormat.choices)
    claims = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, help_text="Only these ready claims (ids)."
    )
