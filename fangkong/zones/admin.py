"""Back office: presets (copy for the district, edit the copy while no zone uses it); zones,
checkpoints, passes, passages and notices to read."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from fangkong.core.areas import AreaCode

from .models import Checkpoint, Notice, Pass, Passage, ProtocolPreset, RiskZone, ZoneMember
from .protocol_schema import PresetError
from .protocols import (
    checksum,
    copy_preset,
    parse_preset_yaml,
    preset_in_use,
    preset_yaml,
)


class PresetForm(forms.ModelForm):
    rules = forms.CharField(
        label=_("Rules (YAML)"),
        widget=forms.Textarea(attrs={"rows": 40, "cols": 110, "spellcheck": "false"}),
        help_text=_(
            "Checked against the preset schema when saved; name and version are the row's."
        ),
    )

    class Meta:
        model = ProtocolPreset
        fields = ["name", "version", "district_code"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["rules"].initial = preset_yaml(self.instance.data)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            cleaned["data"] = parse_preset_yaml(
                cleaned["rules"], name=cleaned["name"], version=cleaned["version"]
            )
        except PresetError as exc:
            raise forms.ValidationError(str(exc)) from None
        return cleaned

    def save(self, commit=True):
        preset = super().save(commit=False)
        data = self.cleaned_data["data"]
        preset.data, preset.checksum, preset.title = data, checksum(data), data["title"]["zh"]
        if not preset.loaded_from:
            preset.loaded_from = "back office"
        if commit:
            preset.save()
        return preset


@admin.register(ProtocolPreset)
class ProtocolPresetAdmin(admin.ModelAdmin):
    form = PresetForm
    list_display = ["name", "version", "title", "district_code", "loaded_from", "in_use"]
    list_filter = ["name"]
    actions = ["copy_for_district"]

    @admin.display(boolean=True, description=_("in use"))
    def in_use(self, obj) -> bool:
        return preset_in_use(obj)

    def has_change_permission(self, request, obj=None):
        # Shipped presets change only through their files; a version in use never changes.
        if obj is not None and (not obj.district_code or preset_in_use(obj)):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and preset_in_use(obj):
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("Copy for my district (a new editable version)"))
    def copy_for_district(self, request, queryset):
        district = AreaCode(getattr(request.user, "scope_code", "") or "").district
        if not district:
            self.message_user(request, _("Your account has no district."), messages.ERROR)
            return
        for preset in queryset:
            copy = copy_preset(preset, district_code=district, user=request.user)
            self.message_user(
                request,
                _("Created %(copy)s: edit it before designating zones under it.") % {"copy": copy},
                messages.SUCCESS,
            )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Zones change through their services (which check the rules and publish events); the
    back office shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ZoneMemberInline(admin.TabularInline):
    model = ZoneMember
    extra = 0
    can_delete = False
    fields = ["node_type", "code", "name"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RiskZone)
class RiskZoneAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "status", "residents", "designated_at", "protocol"]
    list_filter = ["kind", "status", "protocol"]
    search_fields = ["name", "members__code"]
    inlines = [ZoneMemberInline]


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ["name", "zone", "area_code"]


@admin.register(Pass)
class PassAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "zone",
        "purpose",
        "subject",
        "valid_from",
        "valid_until",
        "revoked_at",
    ]
    list_filter = ["purpose", "subject"]


@admin.register(Passage)
class PassageAdmin(ReadOnlyAdmin):
    list_display = ["at", "checkpoint", "direction", "decision", "rule", "subject", "by_name"]
    list_filter = ["decision", "direction", "rule"]


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["number_label", "title_zh", "kind", "effective_at", "issued_by_name"]
    exclude = ["pdf_zh"]
