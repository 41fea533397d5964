from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from reporting import services
from reporting.api.serializers import CriticalResultSerializer, ReportDetailSerializer, ReportSerializer, SignSerializer
from reporting.filtersets import ReportFilterSet
from reporting.models import CriticalResult, Report
from reporting.views import pdf_response
from ris.accounts.choices import DEPARTMENT_ROLES, Role
from ris.api import AccessLoggedMixin


class ReportViewSet(AccessLoggedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reports as each user may see them (referring physicians: signed reports of their orders only)."""

    serializer_class = ReportSerializer
    filterset_class = ReportFilterSet
    allowed_roles = (*DEPARTMENT_ROLES, Role.REFERRING_PHYSICIAN, Role.TRANSCRIPTIONIST)
    action_roles = {"sign": (Role.RADIOLOGIST,)}

    def get_queryset(self):
        return (
            Report.objects.for_user(self.request.user)
            .select_related("order", "signer", "author")
            .prefetch_related("versions__signer")
            .order_by("-id")
        )

    def get_serializer_class(self):
        return ReportDetailSerializer if self.action == "retrieve" else ReportSerializer

    def patient_of(self, obj):
        return obj.order.patient_id

    @extend_schema(responses={200: OpenApiResponse(description="application/pdf")})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        """The signed report as a PDF (logged as an export)."""
        return pdf_response(request, self.get_object())

    @extend_schema(request=SignSerializer, responses=ReportDetailSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """Sign as preliminary or final; the password is asked again. Refusals answer 400 with the reason."""
        report = self.get_object()
        body = SignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            report = services.sign_report(report=report, actor=request.user, **body.validated_data)
        except services.StaleReport as exc:
            return Response({"detail": exc.message, "version": exc.report.version}, status=status.HTTP_409_CONFLICT)
        return Response(ReportDetailSerializer(report).data)


class CriticalResultViewSet(
    AccessLoggedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Critical results and their notification loop; ``acknowledge`` closes it."""

    serializer_class = CriticalResultSerializer
    allowed_roles = (*DEPARTMENT_ROLES, Role.REFERRING_PHYSICIAN)

    def get_queryset(self):
        return (
            CriticalResult.objects.for_user(self.request.user)
            .select_related("report__order", "radiologist", "recipient", "acknowledged_by")
            .prefetch_related("notifications__recipient")
            .order_by("-created_at", "-id")
        )

    def patient_of(self, obj):
        return obj.report.order.patient_id

    @extend_schema(request=None, responses=CriticalResultSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        try:
            critical = services.acknowledge_critical_result(critical=self.get_object(), actor=request.user)
        except PermissionDenied as exc:
            raise Http404(str(exc)) from None
        return Response(CriticalResultSerializer(critical).data)
