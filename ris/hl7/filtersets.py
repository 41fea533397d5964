"""Message log filters, shared by the message log page and the API."""

import django_filters
from django.db.models import Q

from ris.hl7.choices import Direction, MessageStatus
from ris.hl7.models import Message, Partner
from ris.patients.models import Patient


class MessageFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Control ID, MRN or patient name")
    message_type = django_filters.CharFilter(method="filter_type", label="Type (e.g. ADT or ADT^A04)")
    direction = django_filters.ChoiceFilter(choices=Direction.choices)
    status = django_filters.MultipleChoiceFilter(choices=MessageStatus.choices)
    partner = django_filters.ModelChoiceFilter(queryset=Partner.objects.all())
    received_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label="From")
    received_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label="To")

    class Meta:
        model = Message
        fields = ["q", "message_type", "direction", "status", "partner"]

    def filter_type(self, queryset, name, value):
        value = value.strip().upper()
        if not value:
            return queryset
        return queryset.filter(message_type=value) if "^" in value else queryset.filter(message_type__startswith=value)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        patients = list(Patient.objects.search(value).values_list("pk", flat=True)[:1000])
        return queryset.filter(Q(control_id=value) | Q(patient_id__in=patients))
