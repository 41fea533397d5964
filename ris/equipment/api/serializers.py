from rest_framework import serializers

from ris.equipment.choices import DicomService
from ris.equipment.models import Modality, Room


class RoomSerializer(serializers.ModelSerializer):
    class Meta:
        model = Room
        fields = ["id", "name", "site", "description", "active"]


class ModalitySerializer(serializers.ModelSerializer):
    services = serializers.ListField(child=serializers.ChoiceField(choices=DicomService.choices), required=False)

    class Meta:
        model = Modality
        fields = [
            "id",
            "name",
            "modality_type",
            "room",
            "ae_title",
            "host",
            "port",
            "services",
            "manufacturer",
            "model_name",
            "serial_number",
            "active",
        ]
