from django.contrib import admin

from .models import AuditEntry, IdempotencyKey


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = (
        "at",
        "username",
        "role",
        "action",
        "object_type",
        "object_id",
        "area_code",
        "reason",
    )
    list_filter = ("action", "role")
    search_fields = ("username", "object_id", "area_code")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ("scope", "key", "status_code", "created_at")
    search_fields = ("key",)

    def has_change_permission(self, request, obj=None):
        return False
