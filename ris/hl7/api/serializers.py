from rest_framework import serializers

from ris.hl7.models import Message, Partner


class PartnerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Partner
        fields = ["id", "name", "host", "port", "application", "facility", "message_types", "use_tls", "enabled"]


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = [
            "id",
            "direction",
            "status",
            "partner",
            "sender",
            "peer",
            "control_id",
            "message_type",
            "version",
            "raw",
            "reason",
            "ack_code",
            "ack",
            "patient",
            "order",
            "attempts",
            "next_attempt_at",
            "created_at",
            "processed_at",
            "duplicate_of",
            "replay_of",
        ]
        read_only_fields = fields
