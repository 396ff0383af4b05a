"""Load the shipped protocol presets (fangkong/protocols/*.yaml)."""

from django.db import migrations


def load(apps, schema_editor):
    from fangkong.zones.protocols import load_presets

    load_presets(model=apps.get_model("zones", "ProtocolPreset"))


class Migration(migrations.Migration):
    dependencies = [("zones", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
