"""Filters for the reading worklist and the report list, shared by the pages and the API."""

import django_filters
from django.db.models import Exists, OuterRef

from pacs.models import Instance
from reporting.choices import EDITABLE, ReportStatus
from reporting.models import Report
from ris.equipment.choices import ModalityType
from ris.equipment.models import Modality
from ris.orders.choices import Priority
from ris.orders.models import Order


def _sites():
    # A modality without a room (a portable unit) has no site.
    rooms = (
        Modality.objects.filter(room__isnull=False).exclude(room__site="").values_list("room__site", flat=True)
    ).distinct()
    return [(site, site) for site in sorted(set(rooms))]


class WorklistFilterSet(django_filters.FilterSet):
    modality = django_filters.ChoiceFilter(field_name="procedure__modality_type", choices=ModalityType.choices)
    body_part = django_filters.CharFilter(field_name="procedure__body_part", lookup_expr="iexact")
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    site = django_filters.ChoiceFilter(choices=_sites, method="filter_site", label="Site")
    assigned = django_filters.ChoiceFilter(
        choices=[("mine", "Assigned to me"), ("unassigned", "Unassigned")], method="filter_assigned", label="Reader"
    )

    class Meta:
        model = Order
        fields = ["modality", "body_part", "priority", "site", "assigned"]

    def filter_site(self, queryset, name, value):
        """Exams whose images were sent by a modality at this site (the calling AE title stored per instance)."""
        ae_titles = list(Modality.objects.filter(room__site=value).values_list("ae_title", flat=True))
        return queryset.filter(
            Exists(Instance.objects.filter(series__study__order=OuterRef("pk"), received_from__in=ae_titles))
        )

    def filter_assigned(self, queryset, name, value):
        if value == "mine":
            return queryset.filter(report__claimed_by=self.request.user, report__status__in=EDITABLE)
        return queryset.filter(report__claimed_by__isnull=True) | queryset.filter(report__isnull=True)


class ReportFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ReportStatus.choices)
    order = django_filters.NumberFilter(field_name="order_id")
    critical = django_filters.BooleanFilter()

    class Meta:
        model = Report
        fields = ["status", "order", "critical"]
