import django_filters

from ris.audit.choices import Action, Outcome
from ris.audit.models import AccessLog


class AccessLogFilterSet(django_filters.FilterSet):
    username = django_filters.CharFilter(field_name="username", lookup_expr="iexact", label="User")
    action = django_filters.ChoiceFilter(choices=Action.choices)
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices)
    patient_mrn = django_filters.CharFilter(field_name="patient__mrn", lookup_expr="iexact", label="Patient MRN")
    object_type = django_filters.CharFilter(field_name="object_type", label="Record type")
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte", label="From")
    until = django_filters.DateFilter(field_name="at", lookup_expr="date__lte", label="To")

    class Meta:
        model = AccessLog
        fields = ["username", "action", "outcome", "patient_mrn", "object_type"]
