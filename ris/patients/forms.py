from django import forms

from ris.patients.models import Consent, Coverage, Patient, default_issuer


class DateInput(forms.DateInput):
    input_type = "date"


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = [
            "family_name",
            "given_name",
            "middle_name",
            "prefix",
            "suffix",
            "birth_date",
            "sex",
            "mrn",
            "issuer",
            "phone",
            "email",
            "address_line",
            "city",
            "state",
            "postal_code",
            "country",
        ]
        widgets = {"birth_date": DateInput()}
        help_texts = {"mrn": "Leave empty to have Lumen number the patient."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mrn"].required = False
        self.fields["issuer"].required = False
        if self.instance.pk:
            # Identity is fixed once registered: correct it by merging, not by typing over it.
            for name in ("mrn", "issuer"):
                self.fields[name].disabled = True

    def _post_clean(self):
        # Services validate the model (with the MRN generated when empty); keep form-level checks only.
        pass


class CoverageForm(forms.ModelForm):
    class Meta:
        model = Coverage
        fields = [
            "priority",
            "payer_name",
            "plan_name",
            "member_id",
            "group_number",
            "subscriber_name",
            "subscriber_relationship",
            "valid_from",
            "valid_to",
        ]
        widgets = {"valid_from": DateInput(), "valid_to": DateInput()}

    def _post_clean(self):
        pass


class ConsentForm(forms.ModelForm):
    class Meta:
        model = Consent
        fields = ["kind", "decision", "note"]

    def _post_clean(self):
        pass


class MergeLookupForm(forms.Form):
    """Step 1 of a merge: name the duplicate by its issuer and MRN (an MRN is unique only within its issuer)."""

    duplicate_mrn = forms.CharField(label="MRN of the duplicate record", max_length=64)
    duplicate_issuer = forms.CharField(label="Issuer of that MRN", max_length=64, initial=default_issuer)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        duplicate = (
            Patient.objects.active()
            .filter(issuer=data["duplicate_issuer"].strip(), mrn=data["duplicate_mrn"].strip())
            .first()
        )
        if duplicate is None:
            raise forms.ValidationError("No open patient record has this MRN from this issuer.")
        data["duplicate"] = duplicate
        return data


class MergeConfirmForm(forms.Form):
    """Step 2: the duplicate found in step 1 (carried as its id) and the user's confirmation."""

    source = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    confirm = forms.BooleanField(label="I have checked these are the same person", required=True)
