from django.contrib import admin

from .models import Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "state", "area_code", "assignee", "due_at")
    list_filter = ("state", "kind")
    search_fields = ("title", "key", "area_code")
