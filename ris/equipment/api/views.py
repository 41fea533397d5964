import django_filters
from rest_framework import viewsets

from ris.accounts.choices import Role
from ris.equipment.api.serializers import ModalitySerializer, RoomSerializer
from ris.equipment.choices import ModalityType
from ris.equipment.models import Modality, Room

READERS = (Role.FRONT_DESK, Role.TECHNOLOGIST, Role.RADIOLOGIST, Role.ADMIN)


class ModalityFilterSet(django_filters.FilterSet):
    modality_type = django_filters.ChoiceFilter(choices=ModalityType.choices)

    class Meta:
        model = Modality
        fields = ["modality_type", "ae_title", "room", "active"]


class ModalityViewSet(viewsets.ModelViewSet):
    """Modalities and their DICOM identity. Department staff read; admins maintain."""

    queryset = Modality.objects.select_related("room")
    serializer_class = ModalitySerializer
    filterset_class = ModalityFilterSet
    allowed_roles = READERS
    write_roles = (Role.ADMIN,)
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, serializer):
        instance = Modality(**serializer.validated_data)
        instance.full_clean()
        instance.save()
        serializer.instance = instance

    def perform_update(self, serializer):
        instance = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(instance, name, value)
        instance.full_clean()
        instance.save()


class RoomViewSet(viewsets.ModelViewSet):
    queryset = Room.objects.all()
    serializer_class = RoomSerializer
    allowed_roles = READERS
    write_roles = (Role.ADMIN,)
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
