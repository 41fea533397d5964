from django import forms

from ris.accounts.choices import Role
from ris.accounts.models import User
from ris.orders.choices import OrderStatus
from ris.orders.models import Order, Procedure


class IcdCodesField(forms.CharField):
    """ICD-10 codes typed as a comma- or space-separated list."""

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [code for code in text.replace(",", " ").split() if code]

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value


def referring_physicians():
    return User.objects.filter(groups__name=Role.REFERRING_PHYSICIAN, is_active=True).order_by("last_name")


class OrderForm(forms.ModelForm):
    icd10_codes = IcdCodesField(label="ICD-10 codes", required=False, help_text="For example R07.9, I10")

    class Meta:
        model = Order
        fields = ["procedure", "priority", "reason", "icd10_codes", "referring_physician", "notes"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 3}), "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].queryset = Procedure.objects.filter(active=True)
        self.fields["referring_physician"].queryset = referring_physicians()
        if self.instance.pk:
            self.fields["procedure"].disabled = True

    def _post_clean(self):
        pass


class TransitionForm(forms.Form):
    status = forms.ChoiceField(choices=OrderStatus.choices)
    reason = forms.CharField(required=False, max_length=500)
