"""Forms of the case desk and the phone intake page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .kinds import case_catalogue
from .models import ClosureType, Satisfaction, Source, Stage, Unit


def kind_choices(*, source: str | None = None) -> list[tuple[str, str]]:
    return [
        (code, str(kind.name))
        for code, kind in case_catalogue().kinds.items()
        if source is None or source in kind.sources
    ]


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos from the phone's camera or gallery; checked and re-encoded by the
    service, which names this field when one is refused."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(d, initial) for d in data if d]
        return [one(data, initial)] if data else []


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("Number or title"), required=False, max_length=100)
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    source = forms.ChoiceField(label=_("Source"), required=False)
    area = forms.CharField(label=_("Area code"), required=False, max_length=64)
    open_only = forms.BooleanField(label=_("Open only"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["stage"].choices = everything + list(Stage.choices)
        self.fields["kind"].choices = everything + kind_choices()
        self.fields["source"].choices = everything + list(Source.choices)


class IntakeForm(forms.Form):
    """What a grid worker types on the phone: kind, a few words, where, and photos."""

    kind = forms.ChoiceField(label=_("Kind of matter"))
    title = forms.CharField(label=_("What is the matter?"), max_length=200)
    description = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    area_code = forms.CharField(label=_("Grid"), max_length=64)
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180
    )
    photos = PhotosField(label=_("Photos"))
    handled_on_spot = forms.BooleanField(label=_("Handled on the spot"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices(source=Source.GRID_PATROL)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)


class DispatchForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Handling unit"), queryset=Unit.objects.none())

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(pk__in=[u.pk for u in units])


class FeedbackForm(forms.Form):
    resolved = forms.TypedChoiceField(
        label=_("Is the matter resolved?"),
        choices=[("1", _("Resolved")), ("0", _("Not resolved"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)


class CheckForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("Check result"),
        choices=[("1", _("Passed")), ("0", _("Failed: send back"))],
        coerce=lambda v: v == "1",
    )
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)


class CloseForm(forms.Form):
    closure_type = forms.ChoiceField(
        label=_("Closure type"),
        choices=[(c.value, c.label) for c in ClosureType if c != ClosureType.OVERDUE],
    )
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)


class CallbackForm(forms.Form):
    satisfaction = forms.ChoiceField(label=_("Satisfaction"), choices=Satisfaction.choices)
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)


class TransferForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("New owner unit"), queryset=Unit.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=1000)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(pk__in=[u.pk for u in units])
