from rest_framework import serializers

from ris.accounts.models import User
from ris.orders.choices import OrderStatus
from ris.orders.models import Order, OrderStatusChange, Procedure
from ris.patients.models import Patient


class ProcedureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Procedure
        fields = [
            "id",
            "code",
            "name",
            "modality_type",
            "cpt_code",
            "body_part",
            "default_duration",
            "preparation_instructions",
            "contrast",
            "active",
        ]


class StatusChangeSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()

    class Meta:
        model = OrderStatusChange
        fields = ["from_status", "to_status", "reason", "actor", "at"]


class OrderSerializer(serializers.ModelSerializer):
    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.all())
    procedure = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Procedure.objects.all(),
        help_text="Procedure code from the catalog.",
        error_messages={"does_not_exist": "No procedure has the code “{value}”."},
    )
    referring_physician = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )
    icd10_codes = serializers.ListField(child=serializers.CharField(max_length=10), required=False)
    procedure_name = serializers.CharField(source="procedure.name", read_only=True)
    modality = serializers.CharField(source="procedure.modality_type", read_only=True)
    patient_mrn = serializers.CharField(source="patient.mrn", read_only=True)
    patient_name = serializers.CharField(source="patient.display_name", read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "accession_number",
            "patient",
            "patient_mrn",
            "patient_name",
            "procedure",
            "procedure_name",
            "modality",
            "priority",
            "reason",
            "icd10_codes",
            "referring_physician",
            "notes",
            "placer_order_number",
            "status",
            "status_changed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["accession_number", "status", "status_changed_at", "created_at", "updated_at"]

    def validate(self, attrs):
        if self.instance is not None:
            for fixed in ("patient", "procedure", "placer_order_number"):
                if fixed in attrs and attrs[fixed] != getattr(self.instance, fixed):
                    raise serializers.ValidationError(
                        {fixed: "Cannot be changed on an existing order; cancel it and enter a new one."}
                    )
                attrs.pop(fixed, None)
        return attrs


class OrderDetailSerializer(OrderSerializer):
    history = StatusChangeSerializer(source="status_changes", many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "history"]


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
