"""Tasks move to the `work` app (below the domain apps); an incident keeps its tasks by a link.

Step 1 of 2: link each incident task to its incident here, copy the existing links, and drop
the task's own incident column. No task row is touched otherwise.
"""

import django.db.models.deletion
from django.db import migrations, models


def copy_links(apps, schema_editor):
    Task = apps.get_model("command", "Task")
    IncidentTask = apps.get_model("command", "IncidentTask")
    IncidentTask.objects.bulk_create(
        IncidentTask(task_id=task_id, incident_id=incident_id)
        for task_id, incident_id in Task.objects.filter(incident__isnull=False).values_list(
            "id", "incident_id"
        )
    )


def restore_links(apps, schema_editor):
    Task = apps.get_model("command", "Task")
    IncidentTask = apps.get_model("command", "IncidentTask")
    for link in IncidentTask.objects.all():
        Task.objects.filter(pk=link.task_id).update(incident_id=link.incident_id)


class Migration(migrations.Migration):
    dependencies = [
        ("command", "0003_roles_bulletins_notifications"),
    ]

    operations = [
        migrations.CreateModel(
            name="IncidentTask",
            fields=[
                (
                    "task",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="incident_link",
                        serialize=False,
                        to="command.task",
                    ),
                ),
                (
                    "incident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="task_links",
                        to="command.incident",
                        verbose_name="incident",
                    ),
                ),
            ],
            options={
                "verbose_name": "incident task",
                "verbose_name_plural": "incident tasks",
            },
        ),
        migrations.RunPython(copy_links, restore_links),
        migrations.RemoveField(model_name="task", name="incident"),
    ]
