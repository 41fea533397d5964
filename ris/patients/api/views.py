from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ris.accounts.choices import ALL_ROLES, Role
from ris.api import AccessLoggedMixin
from ris.audit.choices import Action
from ris.audit.services import record_access
from ris.patients import services
from ris.patients.api.serializers import ConsentSerializer, CoverageSerializer, MergeSerializer, PatientSerializer
from ris.patients.filtersets import PatientFilterSet
from ris.patients.models import Patient

REGISTRARS = (Role.FRONT_DESK, Role.ADMIN)


class PatientViewSet(
    AccessLoggedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Patients. Everyone reads what their role may see; front desk and admins register and edit."""

    queryset = Patient.objects.all()
    serializer_class = PatientSerializer
    filterset_class = PatientFilterSet
    allowed_roles = tuple(ALL_ROLES)
    write_roles = REGISTRARS
    action_roles = {"coverages": (Role.FRONT_DESK, Role.BILLING, Role.ADMIN)}

    def get_queryset(self):
        return Patient.objects.for_user(self.request.user).order_by("family_name", "given_name", "id")

    def patient_of(self, obj):
        return obj

    def perform_create(self, serializer):
        serializer.instance = services.register_patient(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_patient(
            patient=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    @extend_schema(request=MergeSerializer, responses=PatientSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge the patient named in ``source`` into this one (every order and study follows)."""
        target = self.get_object()
        body = MergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.merge_patients(
            source=body.validated_data["source"], target=target, actor=request.user, request=request
        )
        target.refresh_from_db()
        return Response(PatientSerializer(target).data)

    @extend_schema(request=CoverageSerializer, responses=CoverageSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def coverages(self, request, pk=None):
        """The patient's insurance coverages; POST adds one."""
        patient = self.get_object()
        return self._patient_records(
            request, patient, CoverageSerializer, patient.coverages.all(), services.add_coverage
        )

    @extend_schema(request=ConsentSerializer, responses=ConsentSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def consents(self, request, pk=None):
        """The patient's consent decisions, newest first; POST records one."""
        patient = self.get_object()
        records = patient.consents.select_related("recorded_by")
        return self._patient_records(request, patient, ConsentSerializer, records, services.record_consent)

    def _patient_records(self, request, patient, serializer_class, records, add):
        """GET lists ``records`` (and logs the read); POST validates the body and calls the ``add`` service."""
        if request.method == "POST":
            body = serializer_class(data=request.data)
            body.is_valid(raise_exception=True)
            record = add(patient=patient, actor=request.user, **body.validated_data)
            return Response(serializer_class(record).data, status=status.HTTP_201_CREATED)
        record_access(
            request=request,
            action=Action.VIEW,
            object_type=records.model._meta.label_lower,
            patient=patient,
            channel="api",
        )
        return Response(serializer_class(records, many=True).data)
