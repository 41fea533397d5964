from rest_framework import serializers

from ris.orders.models import Order
from scheduling.models import Appointment, PerformedStep, Resource


class ResourceSerializer(serializers.ModelSerializer):
    station_ae_title = serializers.CharField(read_only=True)

    class Meta:
        model = Resource
        fields = ["id", "code", "name", "modality_type", "station_ae_title", "slot_minutes", "capacity", "active"]


class AppointmentSerializer(serializers.ModelSerializer):
    order = serializers.PrimaryKeyRelatedField(queryset=Order.objects.all())
    resource = serializers.PrimaryKeyRelatedField(queryset=Resource.objects.filter(active=True))
    minutes = serializers.IntegerField(required=False, allow_null=True, write_only=True, min_value=-10000)
    accession_number = serializers.CharField(source="order.accession_number", read_only=True)
    patient_name = serializers.CharField(source="order.patient.display_name", read_only=True)
    procedure = serializers.CharField(source="order.procedure.code", read_only=True)
    step_id = serializers.CharField(read_only=True)

    class Meta:
        model = Appointment
        fields = [
            "id",
            "step_id",
            "order",
            "accession_number",
            "patient_name",
            "procedure",
            "resource",
            "start",
            "end",
            "minutes",
            "status",
            "arrived_at",
            "notes",
            "status_reason",
        ]
        read_only_fields = ["end", "status", "arrived_at", "status_reason"]


class RescheduleSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    resource = serializers.PrimaryKeyRelatedField(queryset=Resource.objects.filter(active=True), required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class AppointmentReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class SlotSerializer(serializers.Serializer):
    resource = serializers.IntegerField(source="resource.pk")
    resource_name = serializers.CharField(source="resource.name")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class PerformedStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = PerformedStep
        fields = [
            "id",
            "sop_instance_uid",
            "status",
            "review",
            "problem",
            "order",
            "appointment",
            "station_ae_title",
            "started_at",
            "ended_at",
            "discontinuation_reason",
            "performed_series",
            "dose",
        ]
