from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import DeviceToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "role", "scope_code", "is_active", "locked_until")
    list_filter = ("role", "is_active", "is_staff")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            _("Fangkong"),
            {"fields": ("role", "scope_code", "display_name", "failed_logins", "locked_until")},
        ),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Fangkong"), {"fields": ("role", "scope_code", "display_name")}),
    )


@admin.register(DeviceToken)
class DeviceTokenAdmin(admin.ModelAdmin):
    """Tokens are created on the Device tokens page (the clear token is shown once there)."""

    list_display = (
        "name",
        "prefix",
        "role",
        "scope_code",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("role",)
    readonly_fields = ("prefix", "key_hash", "created_by", "last_used_at")

    def has_add_permission(self, request):
        return False
