"""Back office: venues and quarantine sites to correct. Scans, cases, contacts and orders carry
personal data and are read through the scoped, masked pages only."""

from __future__ import annotations

from django.contrib import admin

from .models import QuarantineSite, Venue


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "area_code")
    list_filter = ("kind",)
    search_fields = ("name", "code", "area_code")


@admin.register(QuarantineSite)
class QuarantineSiteAdmin(admin.ModelAdmin):
    list_display = ("name", "capacity", "area_code")
    search_fields = ("name", "area_code")
