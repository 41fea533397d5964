"""Order filters shared by the order list page and the API."""

import django_filters
from django import forms
from django.db.models import Q

from ris.equipment.choices import ModalityType
from ris.orders.choices import OrderStatus, Priority
from ris.orders.models import Order, Procedure
from ris.patients.models import Patient


class IdFilter(django_filters.Filter):
    """A record id: a whole number in the range of the database's keys."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=2**63 - 1, **kwargs)


class OrderFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Accession, MRN or patient name")
    status = django_filters.MultipleChoiceFilter(choices=OrderStatus.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    modality = django_filters.ChoiceFilter(field_name="procedure__modality_type", choices=ModalityType.choices)
    patient = IdFilter(field_name="patient_id")
    referring_physician = IdFilter(field_name="referring_physician_id")
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label="Ordered from")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label="Ordered to")

    class Meta:
        model = Order
        fields = ["q", "status", "priority", "modality", "patient", "referring_physician"]

    def filter_q(self, queryset, name, value):
        """An accession number finds its order; anything else searches the orders' patients."""
        value = value.strip()
        if not value:
            return queryset
        by_accession = queryset.filter(accession_number=value.upper())
        if by_accession.exists():
            return by_accession
        patients = Patient.objects.search(value).values_list("pk", flat=True)
        # A short list of patients lets the database walk the (patient, id) index instead of every order.
        few = list(patients[: self.PATIENT_LIST_LIMIT + 1])
        if len(few) <= self.PATIENT_LIST_LIMIT:
            return queryset.filter(patient_id__in=few)
        return queryset.filter(patient__in=patients)

    PATIENT_LIST_LIMIT = 1000


class ProcedureFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Code or name")
    modality = django_filters.ChoiceFilter(field_name="modality_type", choices=ModalityType.choices)

    class Meta:
        model = Procedure
        fields = ["q", "modality", "active", "contrast"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(code__iexact=value) | Q(name__icontains=value))
