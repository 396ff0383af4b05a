"""Samples: the round's index without the grid.

(round, grid) put a batch's samples on as many index pages as the batch had grids, each a
page written per commit; nothing reads samples by round and grid (coverage reads tallies).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("testing", "0006_sample_person_first_index")]

    operations = [
        migrations.AddIndex(
            model_name="sample",
            index=models.Index(fields=["round"], name="sample_round"),
        ),
        migrations.RemoveIndex(model_name="sample", name="sample_round_area"),
    ]
