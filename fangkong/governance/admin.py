from django.contrib import admin

from .models import (
    BlacklistEntry,
    CaseEvent,
    Company,
    GovCase,
    Project,
    River,
    RiverChief,
    RiverSegment,
    Unit,
)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "area_code")
    search_fields = ("code", "name", "area_code")


@admin.register(GovCase)
class GovCaseAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "title", "stage", "area_code", "owner_unit", "due_at")
    list_filter = ("stage", "kind", "source")
    # Stages change through the services only, so the history and the clocks stay true.
    readonly_fields = [f.name for f in GovCase._meta.fields]
    exclude = ("reporter_phone",)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ("case", "at", "action", "from_stage", "to_stage", "actor")
    readonly_fields = [f.name for f in CaseEvent._meta.fields]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "credit_code", "area_code")
    search_fields = ("name", "credit_code")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "area_code", "builder", "general_contractor", "contract_value")
    search_fields = ("name",)


@admin.register(BlacklistEntry)
class BlacklistEntryAdmin(admin.ModelAdmin):
    list_display = ("company", "listed_on", "ends_on", "removed_on")
    # Listing and early exit go through the services, which check the rules.
    readonly_fields = [f.name for f in BlacklistEntry._meta.fields]


@admin.register(River)
class RiverAdmin(admin.ModelAdmin):
    list_display = ("name", "code")


@admin.register(RiverSegment)
class RiverSegmentAdmin(admin.ModelAdmin):
    list_display = ("river", "name", "area_code")
    list_filter = ("river",)


@admin.register(RiverChief)
class RiverChiefAdmin(admin.ModelAdmin):
    list_display = ("segment", "level", "user")
    list_filter = ("level",)
