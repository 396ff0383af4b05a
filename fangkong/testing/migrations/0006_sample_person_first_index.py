"""Samples: one person-first index instead of (round, person) plus one on the person alone.

Every sample wrote a random page in each of the two; the new index serves both kinds of
lookup. It is built before the old ones go, so no lookup is ever left without one.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_resident_area_scope_index"),
        ("testing", "0005_hot_path_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="sample",
            index=models.Index(fields=["resident", "round"], name="sample_resident_round"),
        ),
        migrations.RemoveIndex(model_name="sample", name="sample_round_resident"),
        migrations.AlterField(
            model_name="sample",
            name="resident",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="samples",
                to="people.resident",
            ),
        ),
    ]
