from django.contrib import admin

from .models import Building, Community, Compound, District, Grid, Household, Place, Subdistrict


class AreaAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en")
    search_fields = ("code", "name_zh", "name_en")
    ordering = ("code",)


admin.site.register(District, AreaAdmin)


@admin.register(Subdistrict)
class SubdistrictAdmin(AreaAdmin):
    list_select_related = ("district",)


@admin.register(Community)
class CommunityAdmin(AreaAdmin):
    list_display = ("code", "name_zh", "name_en", "kind")
    list_filter = ("kind",)


@admin.register(Grid)
class GridAdmin(AreaAdmin):
    raw_id_fields = ("community",)


@admin.register(Compound)
class CompoundAdmin(AreaAdmin):
    raw_id_fields = ("community",)


@admin.register(Building)
class BuildingAdmin(AreaAdmin):
    list_display = ("code", "name_zh", "compound", "floors", "entrances")
    raw_id_fields = ("grid", "compound")


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ("code", "entrance", "room", "area_code")
    search_fields = ("code",)
    raw_id_fields = ("building",)


@admin.register(Place)
class PlaceAdmin(AreaAdmin):
    list_display = ("code", "name_zh", "kind", "area_code")
    list_filter = ("kind",)
    raw_id_fields = ("community", "grid")
