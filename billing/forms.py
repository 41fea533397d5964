"""Billing forms: coding a charge (with its lines), payers and fees, claim moves, exports, date ranges."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from billing.choices import ClaimFormat, ClaimStatus, LineKind
from billing.models import FeeScheduleEntry, Payer
from ris.orders.forms import IcdCodesField


class ChargeForm(forms.Form):
    icd10_codes = IcdCodesField(label="ICD-10-CM codes", required=False, help_text="In order; the first is principal.")
    rendering_npi = forms.CharField(label="Rendering NPI", max_length=10, required=False)
    referring_npi = forms.CharField(label="Referring NPI", max_length=10, required=False)
    prior_auth_number = forms.CharField(label="Prior-authorisation number", max_length=50, required=False)
    place_of_service = forms.CharField(max_length=2, min_length=2)
    payer = forms.ModelChoiceField(queryset=Payer.objects.filter(active=True), required=False)


class SpaceListField(forms.CharField):
    def to_python(self, value):
        return [part for part in (super().to_python(value) or "").replace(",", " ").split() if part]

    def prepare_value(self, value):
        return " ".join(str(v) for v in value) if isinstance(value, list) else value

    def has_changed(self, initial, data):
        return self.prepare_value(initial or []) != " ".join((data or "").replace(",", " ").split())


class PointerListField(SpaceListField):
    def to_python(self, value):
        parts = super().to_python(value)
        try:
            return [int(p) for p in parts]
        except ValueError:
            raise forms.ValidationError("Diagnosis pointers are numbers, e.g. 1 2.") from None


class LineForm(forms.Form):
    code = forms.CharField(max_length=5, label="CPT / HCPCS")
    modifiers = SpaceListField(required=False, max_length=20)
    units = forms.IntegerField(min_value=1, max_value=999, initial=1)
    diagnosis_pointers = PointerListField(required=False, max_length=20, label="Dx pointers")
    kind = forms.ChoiceField(choices=LineKind.choices, initial=LineKind.PROCEDURE)


LineFormSet = forms.formset_factory(LineForm, extra=1, can_delete=True, max_num=50)


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300)


class ClaimMoveForm(forms.Form):
    status = forms.ChoiceField(choices=ClaimStatus.choices)
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class FollowUpForm(forms.Form):
    payer_claim_number = forms.CharField(max_length=50, required=False, label="Payer's claim number")
    reason = forms.CharField(max_length=300, required=False)


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=ClaimFormat.choices)


class PayerForm(forms.ModelForm):
    class Meta:
        model = Payer
        fields = ["name", "payer_id", "claim_format", "requires_prior_auth", "active"]


class FeeForm(forms.ModelForm):
    class Meta:
        model = FeeScheduleEntry
        fields = ["payer", "code", "modifier", "price", "effective_from", "effective_to"]
        widgets = {
            "effective_from": forms.DateInput(attrs={"type": "date"}),
            "effective_to": forms.DateInput(attrs={"type": "date"}),
        }

    def _post_clean(self):
        pass  # the service validates the model (full_clean) and puts its errors on the form


class RangeForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        data["end"] = data.get("end") or today
        data["start"] = data.get("start") or data["end"] - dt.timedelta(days=30)
        if data["start"] > data["end"]:
            raise forms.ValidationError("The range must start before it ends.")
        if (data["end"] - data["start"]).days > 3660:
            raise forms.ValidationError("Choose a range of at most ten years.")
        return data
