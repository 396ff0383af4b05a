from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Residency, ResidentStatus, Tag


class ResidentFilterForm(forms.Form):
    area = forms.CharField(label=_("Area code"), required=False, max_length=64)
    q = forms.CharField(label=_("Name, ID or phone number"), required=False, max_length=64)
    tag = forms.ChoiceField(label=_("Tag"), required=False, choices=[("", _("Any")), *Tag.choices])
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *ResidentStatus.choices]
    )
    residency = forms.ChoiceField(
        label=_("Residency"), required=False, choices=[("", _("Any")), *Residency.choices]
    )
    min_age = forms.IntegerField(label=_("Age from"), required=False, min_value=0, max_value=130)
    max_age = forms.IntegerField(label=_("Age to"), required=False, min_value=0, max_value=130)

    def clean(self):
        data = super().clean()
        lo, hi = data.get("min_age"), data.get("max_age")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("max_age", _("'Age to' must not be below 'Age from'."))
        return data


class UnmaskForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, min_length=2)
