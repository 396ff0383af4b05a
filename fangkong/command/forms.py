"""Forms of the command pages: input only; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import User
from fangkong.accounts.permissions import MATRIX
from fangkong.core.widgets import DateInput, DateTimeInput
from fangkong.geo.models import Community, Grid, Subdistrict
from fangkong.geo.selectors import get_node
from fangkong.work.models import TASK_KIND_LABELS

from .models import IncidentKind, IncidentRoleKind
from .scope import meets_q, within_q
from .services.tasks import MANUAL_TASK_KINDS


def area_choices(scope: str) -> list[tuple[str, str]]:
    """The user's node and the sub-districts, communities and grids under it."""
    out: list[tuple[str, str]] = []
    for model in (Subdistrict, Community, Grid):
        for code, name in (
            model.objects.filter(within_q(scope, "code"))
            .values_list("code", "name_zh")
            .order_by("code")
        ):
            out.append((code, f"{code} {name}"))
    if scope not in {c for c, _ in out}:
        node = get_node(scope)
        out.append((scope, f"{scope} {node.name_zh}" if node else scope))
    return sorted(out)


def people_for(area_code: str, *, incident_roles_only: bool = True):
    """Active users whose node meets the area; with `incident_roles_only`, those who may work
    on incidents."""
    qs = User.objects.filter(meets_q(area_code, "scope_code"), is_active=True).order_by(
        "scope_code", "username"
    )
    if incident_roles_only:
        qs = qs.filter(role__in=[r for r, actions in MATRIX.items() if "view_incidents" in actions])
    return qs


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj} · {obj.get_role_display()} · {obj.scope_code}"


class IncidentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=IncidentKind.choices, initial=IncidentKind.OTHER
    )
    area_code = forms.ChoiceField(label=_("Area"))
    commander = UserChoiceField(label=_("Commander"), queryset=User.objects.none(), required=False)
    opened_at = forms.DateTimeField(
        label=_("Opened at"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Leave empty for now."),
    )
    description = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area_code"].choices = area_choices(user.scope_code)
        self.fields["area_code"].initial = user.scope_code
        self.fields["commander"].queryset = people_for(user.scope_code)
        self.fields["commander"].initial = user.pk


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )


class RoleForm(forms.Form):
    member = UserChoiceField(label=_("Person"), queryset=User.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=IncidentRoleKind.choices)

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = people_for(incident.area_code)


class CommanderForm(forms.Form):
    commander = UserChoiceField(label=_("Commander"), queryset=User.objects.none())

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commander"].queryset = people_for(incident.area_code)


class CloseForm(forms.Form):
    summary = forms.CharField(
        label=_("Summary (Chinese)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("How it ended, as the bulletin will print it."),
    )
    summary_en = forms.CharField(
        label=_("Summary (English)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=())
    area_code = forms.ChoiceField(label=_("Area"), required=False)
    assignee = UserChoiceField(label=_("Assignee"), queryset=User.objects.none(), required=False)
    due_at = forms.DateTimeField(label=_("Due"), required=False, widget=DateTimeInput())

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, TASK_KIND_LABELS[k]) for k in MANUAL_TASK_KINDS]
        self.fields["area_code"].choices = [("", "—"), *area_choices(incident.area_code)]
        self.fields["assignee"].queryset = people_for(incident.area_code, incident_roles_only=False)


class DailyBulletinForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=DateInput())
    scope_code = forms.ChoiceField(label=_("Area"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope_code"].choices = area_choices(user.scope_code)
        self.fields["scope_code"].initial = user.scope_code
        self.fields["day"].initial = timezone.localdate()
