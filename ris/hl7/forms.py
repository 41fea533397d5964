from django import forms

from ris.hl7.choices import OutboundType
from ris.hl7.models import Partner


class PartnerForm(forms.ModelForm):
    message_types = forms.MultipleChoiceField(
        choices=OutboundType.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Partner
        fields = ["name", "host", "port", "application", "facility", "message_types", "use_tls", "enabled"]
