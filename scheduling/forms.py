"""Forms of the front desk's calendar and the technologist's board."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from ris.accounts.models import User
from ris.orders.models import Order
from scheduling.choices import NoteKind
from scheduling.models import Resource


class LocalDateTimeField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"]


class BookingForm(forms.Form):
    order = forms.ModelChoiceField(queryset=Order.objects.awaiting_scheduling(), widget=forms.HiddenInput)
    resource = forms.ModelChoiceField(queryset=Resource.objects.filter(active=True))
    start = LocalDateTimeField()
    minutes = forms.IntegerField(required=False, min_value=-10000, max_value=600, help_text="Empty: the procedure's.")


class RescheduleForm(forms.Form):
    resource = forms.ModelChoiceField(queryset=Resource.objects.filter(active=True))
    start = LocalDateTimeField()
    reason = forms.CharField(max_length=300, required=False)


class ModifyForm(forms.Form):
    performing_physician = forms.ModelChoiceField(
        queryset=User.objects.filter(groups__name__in=["technologist", "radiologist"], is_active=True).distinct(),
        required=False,
        label="Performing physician / technologist",
    )
    notes = forms.CharField(max_length=500, required=False)


class NoteForm(forms.Form):
    kind = forms.ChoiceField(choices=NoteKind.choices)
    text = forms.CharField(max_length=1000, widget=forms.TextInput)
    reason = forms.CharField(max_length=300, required=False, help_text="Why, for repeats.")
    contrast_given = forms.NullBooleanField(required=False, widget=forms.NullBooleanSelect)
    addon_cpt_codes = forms.CharField(max_length=100, required=False, label="Add-on CPT codes")

    def clean_addon_cpt_codes(self) -> list[str]:
        return [c.strip() for c in self.cleaned_data["addon_cpt_codes"].replace(",", " ").split() if c.strip()]


class CalendarForm(forms.Form):
    resource = forms.ModelChoiceField(queryset=Resource.objects.filter(active=True), required=False)
    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    view = forms.ChoiceField(choices=[("day", "Day"), ("week", "Week")], required=False)
    order = forms.ModelChoiceField(
        queryset=Order.objects.awaiting_scheduling(), required=False, widget=forms.HiddenInput
    )

    def day(self) -> dt.date:
        return (self.cleaned_data.get("date") if self.is_valid() else None) or timezone.localdate()
