"""Back office: incidents and tasks editable; bulletins and notifications read-only records."""

from django.contrib import admin

from .models import Bulletin, Incident, IncidentRole, Notification, TimelineEntry


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    fields = ("at", "kind", "text", "author")
    readonly_fields = ("at", "kind", "text", "author")
    can_delete = False


class RoleInline(admin.TabularInline):
    model = IncidentRole
    extra = 0
    fields = ("role", "user", "assigned_at", "assigned_by")
    readonly_fields = ("assigned_at", "assigned_by")


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "status", "area_code", "opened_at", "closed_at", "commander")
    list_filter = ("status", "kind")
    search_fields = ("title", "area_code")
    readonly_fields = ("source_event", "opened_by")
    inlines = [RoleInline, TimelineInline]


@admin.register(Bulletin)
class BulletinAdmin(admin.ModelAdmin):
    """Archived as written: numbers never change and are never freed."""

    list_display = ("title_zh", "kind", "date", "incident", "created_by")
    list_filter = ("kind", "year")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "channel",
        "recipient_masked",
        "template_key",
        "status",
        "attempts",
    )
    list_filter = ("channel", "status", "template_key")
    exclude = ("recipient_index",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
