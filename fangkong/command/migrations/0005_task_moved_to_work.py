"""Step 2 of 2: the command centre forgets its Task model; the link points at work's."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("command", "0004_incidenttask"),
        ("work", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="incidenttask",
                    name="task",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="incident_link",
                        serialize=False,
                        to="work.task",
                    ),
                ),
                migrations.DeleteModel(name="Task"),
            ],
            database_operations=[],
        ),
    ]
