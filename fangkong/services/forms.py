"""Forms of the services pages: raising a request, its progress, completing, cancelling."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fangkong.core.widgets import DateInput, DateTimeInput

from .kinds import request_catalogue
from .models import Channel, Priority, ProofKind, ShiftKind, Skill
from .services.requests import LineIn
from .services.resident_page import SELF_KINDS

LINE = re.compile(r"^\s*(?P<item>.+?)\s+(?P<quantity>\d+)\s*(?P<unit>\S{0,16})\s*$")


def kind_choices() -> list[tuple[str, str]]:
    return [(code, str(k.name)) for code, k in request_catalogue().kinds.items()]


class RaiseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=kind_choices)
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    channel = forms.ChoiceField(
        label=_("Raised by"),
        choices=[(c, Channel(c).label) for c in (Channel.GRID_WORKER, Channel.HOTLINE)],
        initial=Channel.GRID_WORKER,
    )
    household_code = forms.CharField(label=_("Household code"), max_length=64, required=False)
    resident = forms.IntegerField(widget=forms.HiddenInput, required=False)
    lines = forms.CharField(
        label=_("What is needed (one per line: item, quantity, unit)"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "大米 2 袋"}),
        required=False,
    )
    description = forms.CharField(
        label=_("Description"), max_length=1000, required=False, widget=forms.Textarea({"rows": 2})
    )
    needed_by = forms.DateTimeField(
        label=_("Needed by"),
        required=False,
        widget=DateTimeInput(),
    )

    def clean_lines(self) -> list[LineIn]:
        parsed = []
        for row in (self.cleaned_data.get("lines") or "").splitlines():
            if not row.strip():
                continue
            m = LINE.match(row)
            if m is None:
                raise ValidationError(_("Write each line as: item, quantity, unit."))
            parsed.append(LineIn(m["item"], int(m["quantity"]), m["unit"]))
        return parsed


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class OutcomeForm(forms.Form):
    outcome = forms.CharField(label=_("What was done"), max_length=500)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class FilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=lambda: [("", "—"), *kind_choices()]
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


WEEKDAYS = [
    ("0", _("Mon")),
    ("1", _("Tue")),
    ("2", _("Wed")),
    ("3", _("Thu")),
    ("4", _("Fri")),
    ("5", _("Sat")),
    ("6", _("Sun")),
]


class CareProfileForm(forms.Form):
    no_smartphone = forms.BooleanField(label=_("No smartphone"), required=False)
    dialysis_days = forms.MultipleChoiceField(
        label=_("Dialysis days"),
        choices=WEEKDAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    refill_days = forms.IntegerField(
        label=_("Medicine refill every (days)"), min_value=0, required=False
    )
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput())


class TripForm(forms.Form):
    escort = forms.CharField(label=_("Escort"), max_length=64, required=False)
    vehicle_plate = forms.CharField(label=_("Vehicle plate"), max_length=16, required=False)
    hospital = forms.CharField(
        label=_("Hospital (empty: the sub-district's designated one)"),
        max_length=100,
        required=False,
    )
    leaves_at = forms.DateTimeField(label=_("Leaves at"), widget=DateTimeInput())
    returns_by = forms.DateTimeField(label=_("Back by"), widget=DateTimeInput())


class HandOverForm(forms.Form):
    ambulance_ref = forms.CharField(label=_("120 call reference"), max_length=32)


class ReceiveForm(forms.Form):
    point = forms.ModelChoiceField(label=_("Stock point"), queryset=None)
    item = forms.ModelChoiceField(label=_("Item"), queryset=None)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("purchase", _("Purchase")), ("donation", _("Donation"))],
    )
    donor = forms.CharField(label=_("Donor"), max_length=100, required=False)
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=DateInput())

    def __init__(self, *args, points=None, items=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = points
        self.fields["item"].queryset = items


class IssueForm(forms.Form):
    """Stock out (出库) from a point, with the reason the ledger keeps."""

    point = forms.ModelChoiceField(label=_("Stock point"), queryset=None)
    item = forms.ModelChoiceField(label=_("Item"), queryset=None)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. delivery run, transfer, spoiled")}),
    )

    def __init__(self, *args, points=None, items=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = points
        self.fields["item"].queryset = items


class AllocateForm(forms.Form):
    zone = forms.TypedChoiceField(label=_("Zone"), coerce=int, choices=())
    name = forms.CharField(label=_("Package"), max_length=100)
    days = forms.IntegerField(label=_("Days covered"), min_value=1, max_value=14, initial=3)

    def __init__(self, *args, zones=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].choices = [(z.pk, z.name) for z in zones]


class HandoverForm(forms.Form):
    household_code = forms.CharField(label=_("Household code (scan)"), max_length=64)
    proof_kind = forms.ChoiceField(label=_("Proof"), choices=ProofKind.choices, initial="code")
    proof_ref = forms.CharField(
        label=_("Photo or signature reference"), max_length=200, required=False
    )
    received_kg = forms.DecimalField(
        label=_("Kg received (empty: all)"),
        required=False,
        min_value=0,
        max_digits=7,
        decimal_places=2,
    )
    returned = forms.BooleanField(label=_("Returned"), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class SignUpForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    phone = forms.CharField(label=_("Mobile number"), max_length=11)
    grid_code = forms.CharField(label=_("Your grid's code"), max_length=64)
    skills = forms.MultipleChoiceField(
        label=_("Skills"),
        choices=Skill.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    available_days = forms.MultipleChoiceField(
        label=_("Days you can serve"),
        choices=WEEKDAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    party_member = forms.BooleanField(label=_("Party member"), required=False)


class ShiftForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ShiftKind.choices)
    area_code = forms.CharField(label=_("Area code"), max_length=64)
    place = forms.CharField(label=_("Place"), max_length=100, required=False)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DateTimeInput())
    skill = forms.ChoiceField(
        label=_("Skill needed"), choices=[("", "—"), *Skill.choices], required=False
    )
    capacity = forms.IntegerField(label=_("People needed"), min_value=1, max_value=100, initial=1)


def own_kind_choices() -> list[tuple[str, str]]:
    catalogue = request_catalogue()
    return [(code, str(catalogue.kinds[code].name)) for code in SELF_KINDS]


class OwnRequestForm(forms.Form):
    """The resident's own request: a kind and a few words, nothing about who they are."""

    kind = forms.ChoiceField(label=_("What do you need?"), choices=own_kind_choices)
    description = forms.CharField(
        label=_("Tell us more"), max_length=500, widget=forms.Textarea({"rows": 3})
    )


class DutyForm(forms.Form):
    """A staff member on the unit's duty rota (值班) for a time."""

    staff = forms.ModelChoiceField(label=_("Staff"), queryset=None)
    post = forms.CharField(
        label=_("Post"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. duty leader, duty officer")}),
    )
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DateTimeInput())

    def __init__(self, *args, staff=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff
        self.fields["staff"].label_from_instance = lambda u: u.display_name or u.get_username()


class GroupLineForm(forms.Form):
    """A household's line in its building's group order (团购)."""

    household = forms.ModelChoiceField(label=_("Household"), queryset=None)
    item = forms.CharField(label=_("Item"), max_length=100)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1000)

    def __init__(self, *args, households=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = households
        self.fields["household"].label_from_instance = lambda h: h.label
