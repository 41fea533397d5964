from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from ris.accounts.choices import Role
from ris.api import AccessLoggedMixin
from ris.orders.models import Order
from scheduling import availability, services
from scheduling.api.serializers import (
    AppointmentReasonSerializer,
    AppointmentSerializer,
    PerformedStepSerializer,
    RescheduleSerializer,
    ResourceSerializer,
    SlotSerializer,
)
from scheduling.filtersets import AppointmentFilterSet, PerformedStepFilterSet
from scheduling.models import Appointment, PerformedStep, Resource

STAFF = (Role.FRONT_DESK, Role.TECHNOLOGIST, Role.RADIOLOGIST, Role.ADMIN, Role.DEPARTMENT_LEAD)
BOOKING = (Role.FRONT_DESK, Role.ADMIN)
ARRIVAL = (Role.FRONT_DESK, Role.TECHNOLOGIST, Role.ADMIN)


class ResourceViewSet(viewsets.ReadOnlyModelViewSet):
    """Bookable resources; ``slots`` finds free times for an order across the suitable ones."""

    queryset = Resource.objects.filter(active=True).select_related("modality")
    serializer_class = ResourceSerializer
    allowed_roles = STAFF
    action_roles = {"slots": BOOKING}

    @extend_schema(
        parameters=[OpenApiParameter("order", int, required=True), OpenApiParameter("days", int)],
        responses=SlotSerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def slots(self, request):
        """Free slots for ``order`` over ``days`` days (default 14, at most 60), earliest first (200 at most)."""
        try:
            order = Order.objects.for_user(request.user).get(pk=int(request.query_params.get("order", "")))
            days = min(max(int(request.query_params.get("days", 14)), 1), 60)
        except (ValueError, Order.DoesNotExist):
            raise serializers.ValidationError(
                {"order": "Give an order id you may see, and days as a number."}
            ) from None
        found = availability.free_slots(procedure=order.procedure, first_day=timezone.localdate(), days=days, limit=200)
        return Response(SlotSerializer(found, many=True).data)


class AppointmentViewSet(
    AccessLoggedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Appointments. Creating one books the order; moves, cancels, arrival and no-show are actions."""

    serializer_class = AppointmentSerializer
    filterset_class = AppointmentFilterSet
    allowed_roles = STAFF
    write_roles = BOOKING
    action_roles = {"arrived": ARRIVAL, "no_show": ARRIVAL, "reschedule": BOOKING, "cancel": BOOKING}

    def get_queryset(self):
        return (
            Appointment.objects.for_user(self.request.user)
            .select_related("order__patient", "order__procedure", "resource")
            .order_by("start", "id")
        )

    def patient_of(self, obj):
        return obj.order.patient_id

    def perform_create(self, serializer):
        data = serializer.validated_data
        if not Order.objects.for_user(self.request.user).filter(pk=data["order"].pk).exists():
            raise PermissionDenied("You do not have access to this order.")
        serializer.instance = services.book_appointment(
            actor=self.request.user,
            order=data["order"],
            resource=data["resource"],
            start=data["start"],
            minutes=data.get("minutes"),
            notes=data.get("notes", ""),
        )

    @extend_schema(request=RescheduleSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        body = RescheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appointment = services.reschedule_appointment(
            actor=request.user, appointment=self.get_object(), **body.validated_data
        )
        return Response(AppointmentSerializer(appointment).data)

    @extend_schema(request=AppointmentReasonSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        body = AppointmentReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appointment = services.cancel_appointment(
            actor=request.user, appointment=self.get_object(), reason=body.validated_data["reason"]
        )
        return Response(AppointmentSerializer(appointment).data)

    @extend_schema(request=None, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def arrived(self, request, pk=None):
        appointment = services.mark_arrived(actor=request.user, appointment=self.get_object())
        return Response(AppointmentSerializer(appointment).data)

    @extend_schema(request=AppointmentReasonSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        body = AppointmentReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appointment = services.mark_no_show(
            actor=request.user, appointment=self.get_object(), reason=body.validated_data["reason"]
        )
        return Response(AppointmentSerializer(appointment).data)


class PerformedStepViewSet(AccessLoggedMixin, viewsets.ReadOnlyModelViewSet):
    """MPPS steps as received (filter ``review=needs_review`` for the ones kept for review)."""

    serializer_class = PerformedStepSerializer
    filterset_class = PerformedStepFilterSet
    allowed_roles = (Role.TECHNOLOGIST, Role.ADMIN, Role.DEPARTMENT_LEAD)
    queryset = PerformedStep.objects.select_related("order").order_by("-id")

    def patient_of(self, obj):
        return obj.order.patient_id if obj.order_id else None
