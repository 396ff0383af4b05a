# Venues and their scans; the scans table is partitioned by day on PostgreSQL.

import django.db.models.deletion
from django.db import migrations, models

# PostgreSQL before 17 allows no identity column on a partitioned table: a sequence owned by
# the column gives the same ids. Every unique index holds the partition key (scanned_at).
PARTITIONED_SQL = """
CREATE SEQUENCE "tracing_venuescan_id_seq" AS bigint;
CREATE TABLE "tracing_venuescan" (
    "id" bigint NOT NULL DEFAULT nextval('tracing_venuescan_id_seq'),
    "scanned_at" timestamp with time zone NOT NULL,
    "source_id" varchar(64) NOT NULL,
    "document_type" varchar(20) NOT NULL,
    "document_cipher" text NOT NULL,
    "document_index" varchar(40) NOT NULL,
    "document_masked" varchar(32) NOT NULL,
    "venue_id" bigint NOT NULL
        REFERENCES "tracing_venue" ("id") DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY ("id", "scanned_at"),
    CONSTRAINT "scan_unique_source" UNIQUE ("source_id", "scanned_at")
) PARTITION BY RANGE ("scanned_at");
ALTER SEQUENCE "tracing_venuescan_id_seq" OWNED BY "tracing_venuescan"."id";
CREATE INDEX "scan_venue_time" ON "tracing_venuescan" ("venue_id", "scanned_at");
CREATE INDEX "scan_person_time" ON "tracing_venuescan" ("document_index", "scanned_at");
"""


def create_scans_table(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PARTITIONED_SQL)
    else:
        schema_editor.create_model(apps.get_model("tracing", "VenueScan"))


def drop_scans_table(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP TABLE "tracing_venuescan" CASCADE')
    else:
        schema_editor.delete_model(apps.get_model("tracing", "VenueScan"))


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Venue",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                ("code", models.CharField(max_length=64, unique=True, verbose_name="venue code")),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("supermarket", "Supermarket"),
                            ("restaurant", "Restaurant"),
                            ("pharmacy", "Pharmacy"),
                            ("market", "Market"),
                            ("office", "Office"),
                            ("metro_station", "Metro station"),
                            ("bus_station", "Bus station"),
                            ("hospital", "Hospital"),
                            ("school", "School"),
                            ("hotel", "Hotel"),
                            ("gym", "Gym"),
                            ("entertainment", "Entertainment venue"),
                            ("other", "Other"),
                        ],
                        max_length=16,
                        verbose_name="kind",
                    ),
                ),
                (
                    "area_code",
                    models.CharField(db_index=True, max_length=64, verbose_name="area code"),
                ),
                ("address", models.CharField(blank=True, max_length=200, verbose_name="address")),
            ],
            options={
                "verbose_name": "venue",
                "verbose_name_plural": "venues",
                "ordering": ["area_code", "name", "id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            (
                                "kind__in",
                                [
                                    "supermarket",
                                    "restaurant",
                                    "pharmacy",
                                    "market",
                                    "office",
                                    "metro_station",
                                    "bus_station",
                                    "hospital",
                                    "school",
                                    "hotel",
                                    "gym",
                                    "entertainment",
                                    "other",
                                ],
                            )
                        ),
                        name="venue_kind_known",
                    )
                ],
            },
        ),
        # The scans table: partitioned by day on PostgreSQL (a purge drops whole days),
        # a plain table elsewhere. Django's state is the same model either way.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="VenueScan",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("scanned_at", models.DateTimeField(verbose_name="entered at")),
                        ("source_id", models.CharField(max_length=64, verbose_name="source id")),
                        (
                            "document_type",
                            models.CharField(
                                choices=[
                                    ("resident_id", "Resident identity card"),
                                    ("passport", "Passport"),
                                    (
                                        "hk_macao_permit",
                                        "Mainland travel permit for Hong Kong and Macao residents",
                                    ),
                                    (
                                        "taiwan_permit",
                                        "Mainland travel permit for Taiwan residents",
                                    ),
                                    ("foreign_pr_id", "Foreign permanent resident ID card"),
                                ],
                                max_length=20,
                                verbose_name="document type",
                            ),
                        ),
                        ("document_cipher", models.TextField(verbose_name="document (encrypted)")),
                        (
                            "document_index",
                            models.CharField(max_length=40, verbose_name="document blind index"),
                        ),
                        (
                            "document_masked",
                            models.CharField(max_length=32, verbose_name="document"),
                        ),
                        (
                            "venue",
                            models.ForeignKey(
                                db_index=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="scans",
                                to="tracing.venue",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "venue scan",
                        "verbose_name_plural": "venue scans",
                        "ordering": ["scanned_at", "id"],
                        "indexes": [
                            models.Index(fields=["venue", "scanned_at"], name="scan_venue_time"),
                            models.Index(
                                fields=["document_index", "scanned_at"], name="scan_person_time"
                            ),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("source_id", "scanned_at"), name="scan_unique_source"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(create_scans_table, drop_scans_table),
    ]
