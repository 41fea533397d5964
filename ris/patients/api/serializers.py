from rest_framework import serializers

from ris.patients.models import Consent, Coverage, Patient


class PatientSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True)
    merged_into = serializers.PrimaryKeyRelatedField(read_only=True)
    mrn = serializers.CharField(max_length=64, required=False, allow_blank=True)
    issuer = serializers.CharField(max_length=64, required=False, allow_blank=True)

    class Meta:
        model = Patient
        fields = [
            "id",
            "mrn",
            "issuer",
            "display_name",
            "family_name",
            "given_name",
            "middle_name",
            "prefix",
            "suffix",
            "birth_date",
            "sex",
            "phone",
            "email",
            "address_line",
            "city",
            "state",
            "postal_code",
            "country",
            "merged_into",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness is checked by the service (one place for the rule, one message).
        validators: list = []

    def validate(self, attrs):
        if self.instance is not None:
            for fixed in ("mrn", "issuer"):
                if fixed in attrs and attrs.pop(fixed) != getattr(self.instance, fixed):
                    raise serializers.ValidationError(
                        {fixed: "An MRN cannot be changed; merge duplicate records instead."}
                    )
        return attrs


class CoverageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Coverage
        fields = [
            "id",
            "priority",
            "payer_name",
            "plan_name",
            "member_id",
            "group_number",
            "subscriber_name",
            "subscriber_relationship",
            "valid_from",
            "valid_to",
            "active",
            "created_at",
        ]
        read_only_fields = ["active", "created_at"]


class ConsentSerializer(serializers.ModelSerializer):
    recorded_by = serializers.StringRelatedField()

    class Meta:
        model = Consent
        fields = ["id", "kind", "decision", "note", "recorded_by", "recorded_at"]
        read_only_fields = ["recorded_by", "recorded_at"]


class MergeSerializer(serializers.Serializer):
    source = serializers.PrimaryKeyRelatedField(
        queryset=Patient.objects.all(), help_text="The duplicate patient whose records move to this one."
    )
