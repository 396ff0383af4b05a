"""Forms of the zone pages: designation, lift/downgrade, checkpoints, passes, duty log."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import Role, User
from fangkong.core.areas import AreaCode, within_q
from fangkong.core.widgets import DateTimeInput
from fangkong.geo.models import Building, Compound, Grid, Place, PlaceKind

from .models import DutyKind, PassPurpose, PassSubject, ProtocolPreset, ZoneKind
from .protocols import default_preset_name, ensure_presets_loaded


def lang() -> str:
    """The key of a preset's bilingual texts for the active language."""
    return "en" if (get_language() or "").startswith("en") else "zh"


def area_choices(scope: str) -> dict[str, list[tuple[str, str]]]:
    """Grids, compounds and buildings the user may pick, labelled as staff say them."""
    grids = [
        (code, f"{community} {name}")
        for code, name, community in Grid.objects.filter(within_q(scope, "code"))
        .values_list("code", "name_zh", "community__name_zh")
        .order_by("code")
    ]
    compounds = [
        (code, f"{community} {name}")
        for code, name, community in Compound.objects.filter(
            Q(code__startswith=scope + "-") | Q(community__code=scope)
        )
        .values_list("code", "name_zh", "community__name_zh")
        .order_by("code")
    ]
    buildings = [
        (code, f"{compound or ''}{name} · {grid}")
        for code, name, compound, grid in Building.objects.filter(within_q(scope, "area_code"))
        .values_list("code", "name_zh", "compound__name_zh", "grid__name_zh")
        .order_by("code")
    ]
    return {"grids": grids, "compounds": compounds, "buildings": buildings}


def _preset_label(preset: ProtocolPreset) -> str:
    return preset.label


class DesignationForm(forms.Form):
    protocol = forms.ModelChoiceField(
        label=_("Protocol"), queryset=ProtocolPreset.objects.none(), empty_label=None
    )
    kind = forms.ChoiceField(label=_("Zone kind"), choices=ZoneKind.choices)
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to name it after its first member."),
    )
    grids = forms.MultipleChoiceField(label=_("Grids"), required=False)
    compounds = forms.MultipleChoiceField(label=_("Residential compounds"), required=False)
    buildings = forms.MultipleChoiceField(label=_("Buildings"), required=False)
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    issue_notice = forms.BooleanField(
        label=_("Issue the public notice now"), required=False, initial=True
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        ensure_presets_loaded()
        presets = ProtocolPreset.objects.order_by("name", "-version")
        self.fields["protocol"].queryset = presets
        self.fields["protocol"].label_from_instance = _preset_label
        default = presets.filter(name=default_preset_name()).first()
        if default is not None:
            self.fields["protocol"].initial = default.pk
        for key, choices in area_choices(user.scope_code).items():
            self.fields[key].choices = choices
            self.fields[key].widget.attrs.update({"size": min(max(len(choices), 4), 12)})

    def members(self) -> list[str]:
        d = self.cleaned_data
        return [*d["grids"], *d["compounds"], *d["buildings"]]

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.members():
            raise forms.ValidationError(_("Pick at least one grid, compound or building."))
        return cleaned


class EndZoneForm(forms.Form):
    """The commander's confirmation of a proposed lift or downgrade."""

    action = forms.ChoiceField(
        choices=[("lift", _("Lift")), ("downgrade", _("Downgrade"))], widget=forms.HiddenInput
    )
    to_kind = forms.ChoiceField(label=_("Downgrade to"), choices=(), required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    confirm_manual = forms.BooleanField(
        label=_("I have checked the items marked ? by hand"), required=False
    )
    issue_notice = forms.BooleanField(
        label=_("Issue the public notice now"), required=False, initial=True
    )

    def __init__(self, *args, lower_kinds=(), needs_manual=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_manual = needs_manual
        self.fields["to_kind"].choices = list(lower_kinds)
        if not needs_manual:
            del self.fields["confirm_manual"]

    def clean(self):
        cleaned = super().clean()
        if self.needs_manual and not cleaned.get("confirm_manual"):
            self.add_error("confirm_manual", _("Confirm the items that are checked by hand."))
        return cleaned


class CheckpointForm(forms.Form):
    place = forms.ModelChoiceField(
        label=_("Checkpoint place"),
        queryset=None,
        required=False,
        help_text=_("Or leave empty and name a new checkpoint on the zone's boundary."),
    )
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    guards = forms.ModelMultipleChoiceField(label=_("Guards"), queryset=None, required=False)

    def __init__(self, *args, zone, **kwargs):

        super().__init__(*args, **kwargs)
        communities = {AreaCode(m.area_code).community for m in zone.members.all()}
        self.fields["place"].queryset = Place.objects.filter(
            kind=PlaceKind.CHECKPOINT, community__code__in=communities
        ).order_by("code")
        district = AreaCode(zone.area_code).district
        self.fields["guards"].queryset = User.objects.filter(
            role=Role.CHECKPOINT_GUARD, is_active=True, scope_code__startswith=district
        ).order_by("username")


class PassForm(forms.Form):
    subject = forms.ChoiceField(label=_("For"), choices=())
    purpose = forms.ChoiceField(label=_("Purpose"), choices=())
    document_number = forms.CharField(
        label=_("Resident's ID number"),
        max_length=32,
        required=False,
        help_text=_("For a resident: the pass is linked to them (the code shows no name)."),
    )
    holder_name = forms.CharField(label=_("Or the holder's name"), max_length=64, required=False)
    plate = forms.CharField(label=_("Vehicle plate"), max_length=16, required=False)
    valid_from = forms.DateTimeField(label=_("Valid from"), widget=DateTimeInput())
    valid_until = forms.DateTimeField(label=_("Valid until"), widget=DateTimeInput())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = PassSubject.choices
        self.fields["purpose"].choices = PassPurpose.choices


class ScanForm(forms.Form):
    code = forms.CharField(label=_("Scan a pass or a document"), max_length=512)
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[("out", _("Out of the zone")), ("in", _("Into the zone"))],
        initial="out",
        widget=forms.RadioSelect,
    )


class DutyForm(forms.Form):
    kind = forms.ChoiceField(label=_("Entry"), choices=())
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    quantity = forms.IntegerField(label=_("Packages"), min_value=1, required=False)
    counterpart = forms.CharField(
        label=_("Handed to / received from"), max_length=100, required=False
    )

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = DutyKind.choices
