from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from ris.accounts.choices import ALL_ROLES, Role
from ris.api import AccessLoggedMixin
from ris.orders import services
from ris.orders.api.serializers import (
    OrderDetailSerializer,
    OrderSerializer,
    ProcedureSerializer,
    TransitionSerializer,
)
from ris.orders.choices import TRANSITION_ROLES
from ris.orders.filtersets import OrderFilterSet, ProcedureFilterSet
from ris.orders.models import Order, Procedure
from ris.patients.models import Patient


class ProcedureViewSet(viewsets.ModelViewSet):
    """The procedure catalog: readable by every role, maintained by admins."""

    queryset = Procedure.objects.all()
    serializer_class = ProcedureSerializer
    filterset_class = ProcedureFilterSet
    allowed_roles = tuple(ALL_ROLES)
    write_roles = (Role.ADMIN,)
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class OrderViewSet(
    AccessLoggedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Imaging orders. Front desk and admins enter and edit them; status moves go through ``transition``."""

    serializer_class = OrderSerializer
    filterset_class = OrderFilterSet
    allowed_roles = tuple(ALL_ROLES)
    write_roles = (Role.FRONT_DESK, Role.ADMIN)
    action_roles = {"transition": (Role.FRONT_DESK, Role.TECHNOLOGIST, Role.RADIOLOGIST, Role.ADMIN)}

    def get_queryset(self):
        queryset = Order.objects.for_user(self.request.user).select_related(
            "patient", "procedure", "referring_physician"
        )
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("status_changes__actor")
        return queryset.order_by("-id")

    def get_serializer_class(self):
        return OrderDetailSerializer if self.action == "retrieve" else OrderSerializer

    def patient_of(self, obj):
        return obj.patient_id

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        patient = data.pop("patient")
        if not Patient.objects.for_user(self.request.user).filter(pk=patient.pk).exists():
            raise PermissionDenied("You do not have access to this patient.")
        serializer.instance = services.create_order(actor=self.request.user, patient=patient, **data)

    def perform_update(self, serializer):
        serializer.instance = services.update_order(
            order=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    @extend_schema(request=TransitionSerializer, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the order to another status; illegal moves answer 400 naming the allowed ones."""
        order = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        target = body.validated_data["status"]
        if not request.user.role_names & TRANSITION_ROLES[target]:
            raise PermissionDenied("Your role cannot move an order to this status.")
        order = services.change_order_status(
            order=order, to=target, actor=request.user, reason=body.validated_data["reason"]
        )
        return Response(OrderDetailSerializer(order).data)
