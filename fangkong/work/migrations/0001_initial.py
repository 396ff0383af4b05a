"""Tasks, moved here from the command centre: the model changes app, the table stays."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("command", "0004_incidenttask"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Task",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                        ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                        ("key", models.CharField(max_length=200, unique=True)),
                        ("kind", models.CharField(db_index=True, max_length=32, verbose_name="kind")),
                        ("title", models.CharField(max_length=200, verbose_name="title")),
                        ("detail", models.JSONField(blank=True, default=dict, verbose_name="detail")),
                        ("area_code", models.CharField(db_index=True, max_length=64, verbose_name="area")),
                        ("state", models.CharField(choices=[("open", "Open"), ("done", "Done"), ("cancelled", "Cancelled")], db_index=True, default="open", max_length=16, verbose_name="state")),
                        ("due_at", models.DateTimeField(blank=True, null=True, verbose_name="due at")),
                        ("done_at", models.DateTimeField(blank=True, null=True, verbose_name="done at")),
                        ("assignee", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="tasks", to=settings.AUTH_USER_MODEL, verbose_name="assignee")),
                    ],
                    options={
                        "verbose_name": "task",
                        "verbose_name_plural": "tasks",
                        "ordering": ["state", "due_at", "id"],
                        "db_table": "command_task",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
