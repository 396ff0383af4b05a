"""Forms of the tracing pages; the rules are the services'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import VenueKind


class VenueForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=VenueKind.choices)
    area_code = forms.CharField(label=_("Area code"), max_length=64)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    code = forms.CharField(
        label=_("Venue code"),
        max_length=64,
        required=False,
        help_text=_("The venue-code platform's code; leave empty to make one."),
    )
