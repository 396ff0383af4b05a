"""Load the presets' version 2 (their tracing section) into a database that holds version 1.

A database migrated before the tracing section existed has version 1 of each preset, perhaps
with zones designated under it; `zones.0002` only loads into an empty table. Without this
step tracing finds no clocks or windows until someone runs `fangkong protocol load`.
"""

from django.db import migrations


def load(apps, schema_editor):
    from fangkong.zones.protocols import load_presets

    load_presets(model=apps.get_model("zones", "ProtocolPreset"))


class Migration(migrations.Migration):
    dependencies = [
        ("tracing", "0011_local_measures"),
        ("zones", "0003_risk_zones"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
