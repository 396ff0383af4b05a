from django.contrib import admin

from .models import Resident, ResidentTag


class ResidentTagInline(admin.TabularInline):
    model = ResidentTag
    extra = 0


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    """Back office shows only masked numbers; ciphertexts and indexes are never editable here
    (a changed number goes through the service, which validates and re-encrypts it)."""

    list_display = ("name", "document_masked", "phone_masked", "area_code", "residency", "status")
    list_filter = ("residency", "status", "sex")
    search_fields = ("name",)
    raw_id_fields = ("household",)
    exclude = ("document_cipher", "document_index", "phone_cipher", "phone_index")
    readonly_fields = (
        "document_type",
        "document_masked",
        "phone_masked",
        "document_converted",
        "area_code",
    )
    inlines = [ResidentTagInline]
