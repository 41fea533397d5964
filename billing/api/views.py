from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from billing import export, services
from billing.api.serializers import (
    ChargeReasonSerializer,
    ChargeSerializer,
    ClaimMoveSerializer,
    ClaimSerializer,
    ExportBatchSerializer,
    ExportRequestSerializer,
    FeeSerializer,
    FollowUpSerializer,
    PayerSerializer,
)
from billing.filtersets import ChargeFilterSet, ClaimFilterSet, ExportBatchFilterSet, FeeFilterSet, PayerFilterSet
from billing.models import Charge, Claim, ExportBatch, FeeScheduleEntry, Payer
from billing.querysets import BILLING_ROLES
from ris.api import AccessLoggedMixin


class PayerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Payers claims go to (billing staff and administrators)."""

    queryset = Payer.objects.all()
    serializer_class = PayerSerializer
    filterset_class = PayerFilterSet
    allowed_roles = BILLING_ROLES

    def perform_create(self, serializer):
        serializer.instance = services.save_payer(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.save_payer(
            actor=self.request.user, payer=serializer.instance, **serializer.validated_data
        )


class FeeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Fee schedule entries: price per payer, code and modifier from a date."""

    queryset = FeeScheduleEntry.objects.select_related("payer")
    serializer_class = FeeSerializer
    filterset_class = FeeFilterSet
    allowed_roles = BILLING_ROLES

    def perform_create(self, serializer):
        serializer.instance = services.save_fee(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.save_fee(
            actor=self.request.user, fee=serializer.instance, **serializer.validated_data
        )


class ChargeViewSet(
    AccessLoggedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Captured charges: the work queue (``?attention=true``), coding, hold / release / reopen / void."""

    serializer_class = ChargeSerializer
    filterset_class = ChargeFilterSet
    allowed_roles = BILLING_ROLES

    def get_queryset(self):
        return (
            Charge.objects.for_user(self.request.user)
            .select_related("order", "patient")
            .prefetch_related("lines")
            .order_by("-id")
        )

    def patient_of(self, obj):
        return obj.patient_id

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        lines = data.pop("lines", None)
        serializer.instance = services.update_charge(
            charge=serializer.instance, actor=self.request.user, lines=lines, **data
        )

    def _answer(self, charge):
        return Response(ChargeSerializer(Charge.objects.prefetch_related("lines").get(pk=charge.pk)).data)

    @extend_schema(request=None, responses=ChargeSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """Release for claims; a charge with problems answers 400 listing them."""
        return self._answer(services.release_charge(charge=self.get_object(), actor=request.user))

    @extend_schema(request=None, responses=ChargeSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._answer(services.reopen_charge(charge=self.get_object(), actor=request.user))

    @extend_schema(request=ChargeReasonSerializer, responses=ChargeSerializer)
    @action(detail=True, methods=["post"])
    def hold(self, request, pk=None):
        body = ChargeReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(services.hold_charge(charge=self.get_object(), actor=request.user, **body.validated_data))

    @extend_schema(request=ChargeReasonSerializer, responses=ChargeSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        body = ChargeReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(services.void_charge(charge=self.get_object(), actor=request.user, **body.validated_data))


class ClaimViewSet(AccessLoggedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Claims: made from released charges (``build``), moved along their states, corrected (7) or voided (8)."""

    serializer_class = ClaimSerializer
    filterset_class = ClaimFilterSet
    allowed_roles = BILLING_ROLES

    def get_queryset(self):
        return (
            Claim.objects.for_user(self.request.user)
            .select_related("patient")
            .prefetch_related("charges", "events__actor")
            .order_by("-id")
        )

    def patient_of(self, obj):
        return obj.patient_id

    @extend_schema(request=None, responses=ClaimSerializer(many=True))
    @action(detail=False, methods=["post"])
    def build(self, request):
        """Group released charges into draft claims (per patient, payer, coverage and date of service)."""
        claims = services.build_claims(actor=request.user)
        return Response(
            ClaimSerializer(self.get_queryset().filter(pk__in=[c.pk for c in claims]), many=True).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ClaimMoveSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        body = ClaimMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        claim = services.change_claim_status(
            claim=self.get_object(),
            to=body.validated_data["status"],
            actor=request.user,
            note=body.validated_data["note"],
        )
        return Response(ClaimSerializer(self.get_queryset().get(pk=claim.pk)).data)

    @extend_schema(request=FollowUpSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        """A replacement claim (frequency 7) for a sent claim."""
        body = FollowUpSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        new = services.correct_claim(
            claim=self.get_object(),
            actor=request.user,
            payer_claim_number=body.validated_data["payer_claim_number"],
            note=body.validated_data["reason"],
        )
        return Response(ClaimSerializer(self.get_queryset().get(pk=new.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=FollowUpSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        """Cancel a draft or ready claim; a sent claim gets a void claim (frequency 8)."""
        body = FollowUpSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.void_claim(
            claim=self.get_object(),
            actor=request.user,
            reason=body.validated_data["reason"],
            payer_claim_number=body.validated_data["payer_claim_number"],
        )
        return Response(ClaimSerializer(self.get_queryset().get(pk=result.pk)).data)


class ExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Claim exports: POST exports the ready claims as one batch; ``download`` streams its file."""

    queryset = ExportBatch.objects.order_by("-id")
    serializer_class = ExportBatchSerializer
    filterset_class = ExportBatchFilterSet
    allowed_roles = BILLING_ROLES

    @extend_schema(request=ExportRequestSerializer, responses={201: ExportBatchSerializer})
    def create(self, request):
        body = ExportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = body.validated_data.get("claims")
        claims = Claim.objects.filter(pk__in=ids) if ids is not None else None
        try:
            batch = services.export_claims(
                actor=request.user,
                format=body.validated_data["format"],
                claims=claims,
                request=request,
                channel="api",
            )
        except services.NothingToExport as exc:
            return Response({"non_field_errors": exc.messages}, status=status.HTTP_409_CONFLICT)
        except ValidationError as exc:
            return Response({"claims": exc.message_dict}, status=status.HTTP_400_BAD_REQUEST)
        return Response(ExportBatchSerializer(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        batch = self.get_object()
        services.log_export(batch, actor=request.user, request=request, channel="api")
        return export.streaming_response(batch)
