"""Order filters shared by the order list page and the API."""

import django_filters
from django.db.models import Q

from ris.equipment.choices import ModalityType
from ris.orders.choices import OrderStatus, Priority
from ris.orders.models import Order, Procedure


class OrderFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Accession, MRN or patient name")
    status = django_filters.MultipleChoiceFilter(choices=OrderStatus.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    modality = django_filters.ChoiceFilter(field_name="procedure__modality_type", choices=ModalityType.choices)
    patient = django_filters.NumberFilter(field_name="patient_id")
    referring_physician = django_filters.NumberFilter(field_name="referring_physician_id")
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label="Ordered from")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label="Ordered to")

    class Meta:
        model = Order
        fields = ["q", "status", "priority", "modality", "patient", "referring_physician"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        from ris.patients.models import Patient

        patients = Patient.objects.search(value).values("pk")
        return queryset.filter(Q(accession_number__in={value, value.upper()}) | Q(patient__in=patients))


class ProcedureFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Code or name")
    modality = django_filters.ChoiceFilter(field_name="modality_type", choices=ModalityType.choices)

    class Meta:
        model = Procedure
        fields = ["q", "modality", "active", "contrast"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(code__iexact=value) | Q(name__icontains=value))
