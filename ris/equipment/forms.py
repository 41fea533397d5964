from django import forms

from ris.equipment.models import MaintenanceLogEntry, MaintenanceWindow


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class MaintenanceWindowForm(forms.ModelForm):
    class Meta:
        model = MaintenanceWindow
        fields = ["starts_at", "ends_at", "reason"]
        widgets = {"starts_at": DateTimeInput(), "ends_at": DateTimeInput()}

    def _post_clean(self):
        pass


class MaintenanceLogForm(forms.ModelForm):
    class Meta:
        model = MaintenanceLogEntry
        fields = ["performed_on", "kind", "description", "performed_by", "downtime_minutes"]
        widgets = {
            "performed_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def _post_clean(self):
        pass
