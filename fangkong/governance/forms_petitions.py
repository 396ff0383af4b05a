"""Forms of petition registration and the petition panel of a case."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.core.widgets import DateInput

from .models import MAX_REPRESENTATIVES, PetitionClass, ReplyOutcome, ReviewLevel

DATE = DateInput()


class PetitionForm(forms.Form):
    petitioner_id = forms.CharField(label=_("Petitioner's ID number"), max_length=18)
    subject = forms.CharField(label=_("Subject"), max_length=100)
    petition_class = forms.ChoiceField(label=_("Class"), choices=PetitionClass.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    area_code = forms.CharField(label=_("Area code"), max_length=64)
    description = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    representatives = forms.IntegerField(
        label=_("Representatives"), min_value=1, max_value=MAX_REPRESENTATIVES, initial=1
    )


class DayForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DATE)


class ObjectionForm(DayForm):
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class ReplyForm(DayForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ReplyOutcome.choices)
    text = forms.CharField(label=_("Reply"), max_length=2000)


class ReviewForm(DayForm):
    level = forms.ChoiceField(label=_("Level"), choices=ReviewLevel.choices)


class AnswerForm(DayForm):
    level = forms.ChoiceField(label=_("Level"), choices=ReviewLevel.choices)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ReplyOutcome.choices)
