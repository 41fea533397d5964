"""Appointment filters shared by the board, the calendar and the API."""

import django_filters

from ris.equipment.choices import ModalityType
from scheduling.choices import AppointmentStatus
from scheduling.models import Appointment, PerformedStep, Resource
from scheduling.querysets import day_bounds


class AppointmentFilterSet(django_filters.FilterSet):
    date = django_filters.DateFilter(method="filter_date", label="Day")
    resource = django_filters.ModelChoiceFilter(queryset=Resource.objects.all())
    modality = django_filters.ChoiceFilter(field_name="resource__modality_type", choices=ModalityType.choices)
    status = django_filters.MultipleChoiceFilter(choices=AppointmentStatus.choices)
    order = django_filters.NumberFilter(field_name="order_id")
    start_after = django_filters.IsoDateTimeFilter(field_name="start", lookup_expr="gte")
    start_before = django_filters.IsoDateTimeFilter(field_name="start", lookup_expr="lt")

    class Meta:
        model = Appointment
        fields = ["date", "resource", "modality", "status", "order"]

    def filter_date(self, queryset, name, value):
        start, end = day_bounds(value)
        return queryset.filter(start__gte=start, start__lt=end)


class PerformedStepFilterSet(django_filters.FilterSet):
    class Meta:
        model = PerformedStep
        fields = ["status", "review", "station_ae_title"]
