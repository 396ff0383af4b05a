"""Back office for the catalogue-like tables: designated hospitals, supply items, stock points."""

from django.contrib import admin

from .models import DesignatedHospital, StockPoint, SupplyItem


@admin.register(DesignatedHospital)
class DesignatedHospitalAdmin(admin.ModelAdmin):
    list_display = ("area_code", "name", "hotline")
    search_fields = ("area_code", "name")


@admin.register(SupplyItem)
class SupplyItemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "unit")
    search_fields = ("code", "name")


@admin.register(StockPoint)
class StockPointAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "area_code")
    list_filter = ("kind",)
