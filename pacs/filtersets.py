import django_filters
from django.db.models import Q

from pacs.choices import MatchState
from pacs.models import Study


class StudyFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Patient name or ID, accession")
    modality = django_filters.CharFilter(method="filter_modality", label="Modality")
    date_from = django_filters.DateFilter(method="filter_from", label="Study date from")
    date_to = django_filters.DateFilter(method="filter_to", label="Study date to")
    match_state = django_filters.ChoiceFilter(choices=MatchState.choices, label="Link to order")

    class Meta:
        model = Study
        fields = ["q", "modality", "date_from", "date_to", "match_state"]

    def filter_q(self, queryset, name, value):
        value = value.strip()[:64]
        if not value:
            return queryset
        return queryset.filter(
            Q(accession_number=value)
            | Q(dicom_patient_id=value)
            | Q(patient_name__istartswith=value.replace(" ", "^").replace(",", "^"))
            | Q(patient__mrn=value)
        )

    def filter_modality(self, queryset, name, value):
        code = value.strip().upper()[:16]
        return (
            queryset.filter(modalities_in_study__regex=r"(^|\\)" + "".join(c for c in code if c.isalnum()) + r"(\\|$)")
            if code
            else queryset
        )

    def filter_from(self, queryset, name, value):
        return queryset.filter(study_date__gte=value.strftime("%Y%m%d"))

    def filter_to(self, queryset, name, value):
        return queryset.filter(study_date__lte=value.strftime("%Y%m%d"))
