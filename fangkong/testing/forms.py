"""Forms of the testing pages: a new round over areas of the user's scope, and the pooling
advisor's inputs.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from fangkong.core.areas import AreaCode
from fangkong.core.widgets import DateTimeInput
from fangkong.geo.models import Community, Grid, Subdistrict
from fangkong.geo.selectors import get_node

from .models import PoolGroup, RoundKind
from .planning import MAX_POOL


class RoundForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    areas = forms.MultipleChoiceField(
        label=_("Areas"), help_text=_("Hold Ctrl (or ⌘) to pick several.")
    )
    pool_group = forms.ChoiceField(
        label=_("Group"), choices=PoolGroup.choices, initial=PoolGroup.GENERAL
    )
    pool_size = forms.IntegerField(
        label=_("Pool size (override)"),
        required=False,
        min_value=1,
        max_value=MAX_POOL,
        help_text=_("Leave empty to use the group's pool size."),
    )

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(k, RoundKind(k).label) for k in (RoundKind.MASS, RoundKind.TARGETED)],
        initial=RoundKind.MASS,
        required=False,
    )
    starts_at = forms.DateTimeField(
        label=_("Sampling starts"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Leave empty to start now; a later start makes the round scheduled."),
    )
    due_at = forms.DateTimeField(
        label=_("Sampling closes"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Leave empty for the national completion target after the start."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].choices = area_choices(user.scope_code)


def area_choices(scope: str) -> list[tuple[str, str]]:
    """The user's node and every sub-district, community and grid under it, in tree order."""
    english = (get_language() or "").startswith("en")
    top = AreaCode(scope).depth
    node = get_node(scope)
    rows = [(scope, f"{node} ({scope})" if node else scope)]
    for model in (Subdistrict, Community, Grid):
        for code, name_zh, name_en in (
            model.objects.filter(code__startswith=scope + "-")
            .values_list("code", "name_zh", "name_en")
            .order_by("code")
        ):
            indent = "\u00a0\u00a0\u00a0" * (AreaCode(code).depth - top)
            rows.append((code, f"{indent}{(name_en if english else '') or name_zh} ({code})"))
    return sorted(rows)


class PoolingForm(forms.Form):
    prevalence = forms.FloatField(
        label=_("Expected prevalence (0–1)"),
        min_value=0,
        max_value=1,
        initial=0.01,
        help_text=_("Share of people expected positive, e.g. 0.001 for one in a thousand."),
    )
    max_pool = forms.IntegerField(
        label=_("Largest pool"), min_value=1, max_value=MAX_POOL, initial=MAX_POOL
    )
    population = forms.IntegerField(label=_("People to test"), required=False, min_value=0)
    environment_points = forms.IntegerField(
        label=_("Environmental swab points"), required=False, min_value=0
    )


class RosterForm(forms.Form):
    place = forms.ChoiceField(label=_("Institution"))
    file = forms.FileField(
        label=_("Roster file"),
        help_text=_(
            "Excel (.xlsx) or CSV with the columns 姓名, 证件号码 and optionally 证件类型, "
            "联系电话 and 班级/部门. It replaces the institution's roster."
        ),
    )

    def __init__(self, *args, places, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [(p.pk, f"{p} ({p.code})") for p in places]


class TubesForm(forms.Form):
    """Register a sheet of new tubes for a round (their labels are printed next)."""

    count = forms.IntegerField(label=_("Number of tubes"), min_value=1, max_value=10_000)
    capacity = forms.IntegerField(label=_("People per tube"), min_value=1, max_value=20)
