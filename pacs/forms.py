from django import forms

from pacs.models import DicomNode
from ris.orders.models import Order


class SendForm(forms.Form):
    node = forms.ModelChoiceField(
        queryset=DicomNode.objects.filter(active=True), label="Send to", empty_label="Choose a DICOM node"
    )


class ReconcileForm(forms.Form):
    accession_number = forms.CharField(label="Accession number of the right order", max_length=16)

    def clean_accession_number(self):
        accession = self.cleaned_data["accession_number"].strip().upper()
        order = Order.objects.select_related("patient", "procedure").filter(accession_number=accession).first()
        if order is None:
            raise forms.ValidationError("No order has this accession number.")
        self.order = order
        return accession
