"""Filters shared by billing's HTML lists and its API."""

import django_filters
from django.db.models import Q

from billing.choices import ChargeStatus, ClaimStatus, Component, Frequency
from billing.models import Charge, Claim, ExportBatch, FeeScheduleEntry, Payer
from ris.equipment.choices import ModalityType
from ris.orders.filtersets import IdFilter


class AnyYesNo(django_filters.widgets.BooleanWidget):
    """Yes / No, or "Any" (django-filter's own says "Unknown")."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = (("", "Any"), ("true", "Yes"), ("false", "No"))


class ChargeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Accession or MRN")
    status = django_filters.MultipleChoiceFilter(choices=ChargeStatus.choices)
    attention = django_filters.BooleanFilter(method="filter_attention", label="Needs attention", widget=AnyYesNo)
    component = django_filters.ChoiceFilter(choices=Component.choices)
    payer = django_filters.ModelChoiceFilter(queryset=Payer.objects.all())
    modality = django_filters.ChoiceFilter(
        field_name="order__procedure__modality_type", choices=ModalityType.choices, label="Modality"
    )
    patient = IdFilter(field_name="patient_id")
    service_from = django_filters.DateFilter(field_name="date_of_service", lookup_expr="gte", label="Service from")
    service_to = django_filters.DateFilter(field_name="date_of_service", lookup_expr="lte", label="Service to")

    class Meta:
        model = Charge
        fields = ["q", "status", "attention", "component", "payer", "modality", "patient"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(order__accession_number=value.upper()) | Q(patient__mrn=value))

    def filter_attention(self, queryset, name, value):
        attention = queryset.needing_attention()
        return attention if value else queryset.exclude(pk__in=attention.values("pk"))


class ClaimFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Claim number or MRN")
    status = django_filters.MultipleChoiceFilter(choices=ClaimStatus.choices)
    frequency = django_filters.ChoiceFilter(choices=Frequency.choices)
    payer = django_filters.ModelChoiceFilter(queryset=Payer.objects.all())
    patient = IdFilter(field_name="patient_id")
    batch = IdFilter(field_name="batch_id")
    service_from = django_filters.DateFilter(field_name="date_of_service", lookup_expr="gte", label="Service from")
    service_to = django_filters.DateFilter(field_name="date_of_service", lookup_expr="lte", label="Service to")

    class Meta:
        model = Claim
        fields = ["q", "status", "frequency", "payer", "patient", "batch"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number=value.upper()) | Q(patient__mrn=value))


class PayerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name")

    class Meta:
        model = Payer
        fields = ["q", "active", "claim_format"]


class FeeFilterSet(django_filters.FilterSet):
    payer = django_filters.ModelChoiceFilter(queryset=Payer.objects.all())
    code = django_filters.CharFilter(lookup_expr="iexact")
    effective_on = django_filters.DateFilter(method="filter_effective_on", label="In effect on")

    class Meta:
        model = FeeScheduleEntry
        fields = ["payer", "code", "modifier"]

    def filter_effective_on(self, queryset, name, value):
        return queryset.effective_on(value)


class ExportBatchFilterSet(django_filters.FilterSet):
    class Meta:
        model = ExportBatch
        fields = ["format"]
