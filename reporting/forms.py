from django import forms
from django.contrib.auth import get_user_model

from reporting.choices import CriticalSeverity, NotificationChannel, PeerScore
from ris.accounts.choices import Role


class SignForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}), required=False)
    final = forms.TypedChoiceField(
        choices=[("1", "Final"), ("0", "Preliminary")], coerce=lambda v: v == "1", initial="1", label="Sign as"
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    critical = forms.BooleanField(required=False, label="Critical / urgent finding")
    severity = forms.ChoiceField(choices=CriticalSeverity.choices, initial=CriticalSeverity.CRITICAL)
    critical_finding = forms.CharField(max_length=500, required=False, label="Critical finding")


class AddendumForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=20000, label="Addendum")
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}), required=False)
    draft = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AmendForm(forms.Form):
    reason = forms.CharField(max_length=500, label="Reason for the amendment")
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}), required=False)


class NotificationForm(forms.Form):
    channel = forms.ChoiceField(choices=NotificationChannel.choices, initial=NotificationChannel.PHONE)
    recipient_text = forms.CharField(max_length=200, label="Who was told")
    note = forms.CharField(max_length=300, required=False)


class PeerReviewForm(forms.Form):
    score = forms.ChoiceField(choices=PeerScore.choices, widget=forms.RadioSelect)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000)


class ShareForm(forms.Form):
    with_user = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), label="Consulting physician", to_field_name="username"
    )
    days = forms.IntegerField(min_value=1, max_value=365, initial=7, label="Days")
    reason = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = get_user_model().objects.filter(groups__name=Role.REFERRING_PHYSICIAN, is_active=True).distinct()
        if user is not None:
            qs = qs.exclude(pk=user.pk)
        self.fields["with_user"].queryset = qs
