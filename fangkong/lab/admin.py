from django.contrib import admin

from .models import Lab


@admin.register(Lab)
class LabAdmin(admin.ModelAdmin):
    """Labs and who reports for them: a device or a staff member bound here may post results."""

    list_display = ("name",)
    search_fields = ("name",)
    filter_horizontal = ("devices", "members")
