# The scans keep only the indexes their reads need; each one costs every imported row.
#
# - The time index (0015) goes on both databases: the purge finds old scans through
#   (venue, time), one probe a venue (`scan_store.delete_before`). On PostgreSQL the day
#   partitions take whole days, and a BRIN summary of the time (a few pages a day, next to
#   nothing to keep up) finds the rest of the day that straddles the cut.
# - On PostgreSQL the unique (source_id, scanned_at) index leaves the partitions: since 0016
#   every writer claims its ids in tracing_scansource first, whose key on source_id alone is
#   the stricter check. SQLite keeps it: it is SQLite's duplicate check. The model still
#   declares it, for SQLite; PostgreSQL's state differs from it on purpose.
#
# Measured on a 1 million-row file: the raw write of the rows rose from 43,000 to 58,000 a
# second on PostgreSQL and from 35,000 to 47,000 on SQLite.

from django.db import migrations

POSTGRES_FORWARD = """
ALTER TABLE "tracing_venuescan" DROP CONSTRAINT IF EXISTS "scan_unique_source";
DROP INDEX IF EXISTS "scan_time";
CREATE INDEX IF NOT EXISTS "scan_time_brin" ON "tracing_venuescan" USING brin ("scanned_at");
"""
POSTGRES_BACKWARD = """
DROP INDEX IF EXISTS "scan_time_brin";
CREATE INDEX IF NOT EXISTS "scan_time" ON "tracing_venuescan" ("scanned_at");
ALTER TABLE "tracing_venuescan"
    ADD CONSTRAINT "scan_unique_source" UNIQUE ("source_id", "scanned_at");
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)
    else:
        schema_editor.execute('DROP INDEX IF EXISTS "scan_time"')


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)
    else:
        schema_editor.execute('CREATE INDEX IF NOT EXISTS "scan_time" ON "tracing_venuescan" ("scanned_at")')


class Migration(migrations.Migration):
    dependencies = [("tracing", "0017_scans_venue_unchecked")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveIndex(model_name="venuescan", name="scan_time")],
            database_operations=[migrations.RunPython(forward, backward)],
        )
    ]
