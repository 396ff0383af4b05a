from django.db import migrations, models


def mark_typed_entries(apps, schema_editor):
    """Notes and closing summaries written before the flag existed were typed by a person."""
    TimelineEntry = apps.get_model("command", "TimelineEntry")
    TimelineEntry.objects.filter(kind__in=["note", "closed"], author__isnull=False).update(
        narrative=True
    )


class Migration(migrations.Migration):
    dependencies = [("command", "0005_task_moved_to_work")]

    operations = [
        migrations.AddField(
            model_name="timelineentry",
            name="narrative",
            field=models.BooleanField(default=False, verbose_name="typed by a person"),
        ),
        migrations.RunPython(mark_typed_entries, migrations.RunPython.noop),
    ]
