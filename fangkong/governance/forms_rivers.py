"""The river chief's phone page: a patrol log and a hazard found on it."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.core.widgets import DateInput, DateTimeInput

from .forms import PhotosField
from .models import HazardCategory, RiverChief, Unit

DATETIME = DateTimeInput()


class PatrolForm(forms.Form):
    chief = forms.ModelChoiceField(label=_("Segment"), queryset=RiverChief.objects.none())
    started_at = forms.DateTimeField(label=_("Started at"), widget=DATETIME)
    ended_at = forms.DateTimeField(label=_("Ended at"), widget=DATETIME)
    track = forms.CharField(label=_("Track"), required=False, widget=forms.HiddenInput)
    photos = PhotosField(label=_("Photos"))
    problems = forms.CharField(
        label=_("Problems found"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    category = forms.ChoiceField(
        label=_("Report a hazard of category"),
        required=False,
        choices=[("", "—"), *HazardCategory.choices],
    )

    def __init__(self, *args, posts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chief"].queryset = RiverChief.objects.filter(pk__in=[p.pk for p in posts])
        self.fields["chief"].label_from_instance = lambda c: (
            f"{c.segment} · {c.get_level_display()}"
        )

    def clean_track(self) -> list:
        text = self.cleaned_data["track"] or "[]"
        try:
            return json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(_("The track is not readable.")) from exc


class AssignForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Responsible unit"), queryset=Unit.objects.none())
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput())

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(pk__in=[u.pk for u in units])
