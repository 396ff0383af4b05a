"""Labs, transport boxes, custody events and lab results now belong to the lab app."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("lab", "0001_lab_models_from_testing"),
        ("testing", "0010_sample_request_digest"),
    ]

    # State only: the tables stay as they are (lab's models name them in Meta.db_table), and
    # the tube's box column keeps its foreign key to the same table.
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name="custodyevent",
                    name="box",
                ),
                migrations.RemoveField(
                    model_name="lab",
                    name="devices",
                ),
                migrations.RemoveField(
                    model_name="lab",
                    name="members",
                ),
                migrations.RemoveField(
                    model_name="transportbox",
                    name="lab",
                ),
                migrations.RemoveConstraint(
                    model_name="labresult",
                    name="one_accepted_result_per_tube",
                ),
                migrations.RemoveField(
                    model_name="transportbox",
                    name="round",
                ),
                migrations.AlterField(
                    model_name="tube",
                    name="box",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tubes",
                        to="lab.transportbox",
                    ),
                ),
                migrations.DeleteModel(
                    name="CustodyEvent",
                ),
                migrations.RemoveField(
                    model_name="labresult",
                    name="lab",
                ),
                migrations.RemoveField(
                    model_name="labresult",
                    name="tube",
                ),
                migrations.DeleteModel(
                    name="TransportBox",
                ),
                migrations.DeleteModel(
                    name="Lab",
                ),
                migrations.DeleteModel(
                    name="LabResult",
                ),
            ],
        ),
    ]
