"""Forms of the tracing pages; the rules are the services'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.documents import DocumentType

from .models import ContactTier, Decision, VenueKind
from .models_cases import CaseKind, CaseSource


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


class ExposureSearchForm(forms.Form):
    document_type = forms.ChoiceField(
        label=_("Document type"), choices=DocumentType.choices, initial=DocumentType.RESIDENT_ID
    )
    document_number = forms.CharField(label=_("Document number"), max_length=64)
    start = forms.DateTimeField(label=_("From"))
    end = forms.DateTimeField(label=_("To"))
    window_minutes = forms.IntegerField(
        label=_("Window (minutes)"),
        required=False,
        min_value=1,
        max_value=1440,
        help_text=_("Leave empty for the protocol's minutes by kind of venue."),
    )


class DecisionForm(forms.Form):
    subject = forms.CharField(widget=forms.HiddenInput)
    source_id = forms.CharField(widget=forms.HiddenInput, max_length=64)
    decision = forms.ChoiceField(choices=Decision.choices)
    tier = forms.ChoiceField(choices=[("", "—"), *ContactTier.choices], required=False)
    reason = forms.CharField(max_length=200, required=False)


class OrderPlanForm(forms.Form):
    protocol = forms.ChoiceField(label=_("Protocol"), choices=())
    tier = forms.ChoiceField(label=_("Tier"), choices=ContactTier.choices)
    last_exposure = forms.DateField(label=_("Last exposure"))

    def __init__(self, *args, protocols: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["protocol"].choices = protocols


class IssueOrdersForm(forms.Form):
    decision = forms.IntegerField(widget=forms.HiddenInput)
    protocol = forms.CharField(max_length=80, required=False)
    last_exposure = forms.DateField(label=_("Last exposure"), required=False)
    site = forms.IntegerField(required=False)


class SiteForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    capacity = forms.IntegerField(label=_("Rooms"), min_value=1, max_value=100_000)
    area_code = forms.CharField(label=_("Area code"), max_length=64)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)


class CaseForm(forms.Form):
    document_type = forms.ChoiceField(
        label=_("Document type"), choices=DocumentType.choices, initial=DocumentType.RESIDENT_ID
    )
    document_number = forms.CharField(label=_("Document number"), max_length=64)
    person_name = forms.CharField(
        label=pgettext_lazy("person", "Name"), max_length=64, required=False
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=CaseKind.choices)
    source = forms.ChoiceField(label=_("Source"), choices=CaseSource.choices)
    onset_date = forms.DateField(label=_("Onset date"), required=False)
    sampling_date = forms.DateField(label=_("Sampling date"), required=False)
    team = forms.CharField(label=_("Investigator team"), max_length=100, required=False)
    area_code = forms.CharField(
        label=_("Area code"),
        max_length=64,
        required=False,
        help_text=_("Taken from the registry when the person lives here."),
    )


class StopForm(forms.Form):
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    venue_code = forms.CharField(label=_("Venue code"), max_length=64, required=False)
    arrived_at = forms.DateTimeField(label=_("Arrived at"))
    left_at = forms.DateTimeField(label=_("Left at"), required=False)
    companions = forms.CharField(label=_("Companions"), max_length=200, required=False)
    transport = forms.CharField(label=_("Transport"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class TransferForm(forms.Form):
    vehicle = forms.CharField(label=_("Vehicle"), max_length=100)
    departs_at = forms.DateTimeField(label=_("Departs at"))
    arrives_at = forms.DateTimeField(label=_("Arrives at"), required=False)
