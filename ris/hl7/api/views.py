from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ris.accounts.choices import Role
from ris.api import AccessLoggedMixin
from ris.hl7 import services
from ris.hl7.api.serializers import MessageSerializer, PartnerSerializer
from ris.hl7.filtersets import MessageFilterSet
from ris.hl7.models import Message, Partner


class PartnerViewSet(viewsets.ModelViewSet):
    """HL7 interface partners (administrators)."""

    queryset = Partner.objects.all()
    serializer_class = PartnerSerializer
    allowed_roles = (Role.ADMIN,)
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.save_partner(form=_Form(serializer), actor=self.request.user)

    def perform_update(self, serializer):
        serializer.instance = services.save_partner(form=_Form(serializer), actor=self.request.user)


class _Form:
    """Lets the serializer stand where save_partner expects a ModelForm."""

    def __init__(self, serializer):
        self.serializer = serializer

    def save(self, commit=False):
        instance = self.serializer.instance or Partner()
        for name, value in self.serializer.validated_data.items():
            setattr(instance, name, value)
        return instance


class MessageViewSet(AccessLoggedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The HL7 message log (administrators); replay and resend as actions."""

    serializer_class = MessageSerializer
    filterset_class = MessageFilterSet
    allowed_roles = (Role.ADMIN,)

    def get_queryset(self):
        return Message.objects.for_user(self.request.user).order_by("-id")

    def patient_of(self, obj):
        return obj.patient_id

    @extend_schema(request=None, responses=MessageSerializer)
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        copy = services.replay(message=self.get_object(), actor=request.user)
        return Response(MessageSerializer(copy).data, status=201)

    @extend_schema(request=None, responses=MessageSerializer)
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        message = services.resend(message=self.get_object(), actor=request.user)
        return Response(MessageSerializer(message).data)
