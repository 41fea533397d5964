from rest_framework import serializers

from reporting.choices import CriticalSeverity
from reporting.models import Addendum, CriticalNotification, CriticalResult, Report, ReportVersion


class SectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    text = serializers.CharField()


class AddendumSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField()

    class Meta:
        model = Addendum
        fields = ["id", "text", "author", "signed_at"]


class VersionSerializer(serializers.ModelSerializer):
    signer = serializers.StringRelatedField()

    class Meta:
        model = ReportVersion
        fields = ["number", "status", "signer", "signed_at", "reason"]


class ReportSerializer(serializers.ModelSerializer):
    accession_number = serializers.CharField(source="order.accession_number", read_only=True)
    patient = serializers.IntegerField(source="order.patient_id", read_only=True)
    sections = serializers.SerializerMethodField()
    signer = serializers.StringRelatedField()
    author = serializers.StringRelatedField()

    class Meta:
        model = Report
        fields = [
            "id",
            "order",
            "accession_number",
            "patient",
            "status",
            "version",
            "sections",
            "author",
            "signer",
            "signed_at",
            "critical",
            "final_at",
            "turnaround_seconds",
        ]

    def get_sections(self, obj) -> list[dict]:
        return [{"key": k, "title": t, "text": x} for k, t, x in obj.signed_section_list()]


class ReportDetailSerializer(ReportSerializer):
    addenda = serializers.SerializerMethodField()
    versions = VersionSerializer(many=True, read_only=True)

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "addenda", "versions"]

    def get_addenda(self, obj) -> list[dict]:
        return AddendumSerializer(obj.addenda.filter(signed_at__isnull=False), many=True).data


class SignSerializer(serializers.Serializer):
    password = serializers.CharField(allow_blank=True, default="", write_only=True)
    final = serializers.BooleanField(default=True)
    version = serializers.IntegerField(required=False)
    sections = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    critical = serializers.BooleanField(default=False)
    critical_finding = serializers.CharField(allow_blank=True, default="", max_length=500)
    severity = serializers.ChoiceField(choices=CriticalSeverity.choices, default=CriticalSeverity.CRITICAL)


class NotificationSerializer(serializers.ModelSerializer):
    recipient = serializers.StringRelatedField()

    class Meta:
        model = CriticalNotification
        fields = ["recipient", "recipient_text", "channel", "kind", "at"]


class CriticalResultSerializer(serializers.ModelSerializer):
    notifications = NotificationSerializer(many=True, read_only=True)
    radiologist = serializers.StringRelatedField()
    recipient = serializers.StringRelatedField()
    acknowledged_by = serializers.StringRelatedField()

    class Meta:
        model = CriticalResult
        fields = [
            "id",
            "report",
            "severity",
            "finding",
            "radiologist",
            "recipient",
            "created_at",
            "acknowledged_at",
            "acknowledged_by",
            "ack_seconds",
            "escalated_at",
            "notifications",
        ]
