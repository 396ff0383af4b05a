# On PostgreSQL, the source ids of the stored scans in one table beside the day partitions.
#
# A partitioned table has no index across its partitions: checking a chunk of ids against the
# scans probed the source-id index of every day (15 probes an id). This table holds each id
# once with its scan's time (no personal data), so the check is one probe and, with ON
# CONFLICT, also the claim of the new ids. SQLite keeps one table and one index: it needs none.

from django.db import migrations

CREATE_SQL = """
CREATE TABLE "tracing_scansource" (
    "source_id" varchar(64) NOT NULL PRIMARY KEY,
    "scanned_at" timestamp with time zone NOT NULL
);
INSERT INTO "tracing_scansource" ("source_id", "scanned_at")
SELECT "source_id", min("scanned_at") FROM "tracing_venuescan" GROUP BY "source_id";
"""


def create_source_table(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_SQL)


def drop_source_table(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP TABLE "tracing_scansource"')


class Migration(migrations.Migration):
    dependencies = [("tracing", "0015_scan_time_index_for_the_purge")]

    operations = [migrations.RunPython(create_source_table, drop_source_table)]
