"""One filter set per model, shared by the HTML lists and the API."""

import django_filters

from ris.patients.choices import Sex
from ris.patients.models import Patient


class PatientFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Name, MRN or date of birth")
    mrn = django_filters.CharFilter(field_name="mrn", lookup_expr="iexact", label="MRN")
    issuer = django_filters.CharFilter(field_name="issuer")
    birth_date = django_filters.DateFilter(field_name="birth_date", label="Date of birth")
    sex = django_filters.ChoiceFilter(choices=Sex.choices)
    include_merged = django_filters.BooleanFilter(method="filter_include_merged", label="Include merged records")

    class Meta:
        model = Patient
        fields = ["q", "mrn", "issuer", "birth_date", "sex"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_include_merged(self, queryset, name, value):
        return queryset

    @property
    def qs(self):
        queryset = super().qs
        if not self.form.cleaned_data.get("include_merged"):
            queryset = queryset.active()
        return queryset
