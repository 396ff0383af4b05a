"""Labs, transport boxes, custody events and lab results move from testing to lab."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
        ("testing", "0009_sample_station_not_indexed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # The tables exist: they were created by testing's migrations when these models lived
    # there, and keep their names (Meta.db_table). Only Django's idea of who owns them moves.
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Lab",
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
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="created at"),
                        ),
                        (
                            "updated_at",
                            models.DateTimeField(auto_now=True, verbose_name="updated at"),
                        ),
                        (
                            "name",
                            models.CharField(max_length=100, unique=True, verbose_name="name"),
                        ),
                        (
                            "devices",
                            models.ManyToManyField(
                                blank=True,
                                db_table="testing_lab_devices",
                                related_name="labs",
                                to="accounts.devicetoken",
                                verbose_name="devices",
                            ),
                        ),
                        (
                            "members",
                            models.ManyToManyField(
                                blank=True,
                                db_table="testing_lab_members",
                                related_name="labs",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="staff",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "laboratory",
                        "verbose_name_plural": "laboratories",
                        "db_table": "testing_lab",
                    },
                ),
                migrations.CreateModel(
                    name="TransportBox",
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
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="created at"),
                        ),
                        (
                            "updated_at",
                            models.DateTimeField(auto_now=True, verbose_name="updated at"),
                        ),
                        (
                            "code",
                            models.CharField(max_length=32, unique=True, verbose_name="box code"),
                        ),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("packing", "Packing"),
                                    ("in_transit", "In transit"),
                                    ("received", "Received by the lab"),
                                ],
                                default="packing",
                                max_length=16,
                                verbose_name="state",
                            ),
                        ),
                        (
                            "area_code",
                            models.CharField(db_index=True, max_length=64, verbose_name="area"),
                        ),
                        (
                            "packed_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="packed at"),
                        ),
                        (
                            "handed_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="handed to courier at"
                            ),
                        ),
                        (
                            "courier",
                            models.CharField(blank=True, max_length=64, verbose_name="courier"),
                        ),
                        (
                            "received_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="received at"),
                        ),
                        (
                            "received_by",
                            models.CharField(blank=True, max_length=64, verbose_name="received by"),
                        ),
                        (
                            "lab",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="boxes",
                                to="lab.lab",
                            ),
                        ),
                        (
                            "round",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="boxes",
                                to="testing.testinground",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "transport box",
                        "verbose_name_plural": "transport boxes",
                        "db_table": "testing_transportbox",
                    },
                ),
                migrations.CreateModel(
                    name="CustodyEvent",
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
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("packed", "Packed"),
                                    ("handed", "Handed to courier"),
                                    ("received", "Received by the lab"),
                                ],
                                max_length=16,
                                verbose_name="kind",
                            ),
                        ),
                        ("at", models.DateTimeField(verbose_name="time")),
                        ("by", models.CharField(max_length=64, verbose_name="by")),
                        (
                            "box",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="custody",
                                to="lab.transportbox",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "custody event",
                        "db_table": "testing_custodyevent",
                        "ordering": ["at", "id"],
                    },
                ),
                migrations.CreateModel(
                    name="LabResult",
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
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="created at"),
                        ),
                        (
                            "updated_at",
                            models.DateTimeField(auto_now=True, verbose_name="updated at"),
                        ),
                        (
                            "result",
                            models.CharField(
                                choices=[
                                    ("negative", "Negative"),
                                    ("positive", "Positive"),
                                    ("presumptive_positive", "Presumptive positive"),
                                    ("invalid", "Invalid: re-sample"),
                                ],
                                max_length=24,
                                verbose_name="result",
                            ),
                        ),
                        (
                            "ct_orf1ab",
                            models.DecimalField(
                                blank=True,
                                decimal_places=1,
                                max_digits=4,
                                null=True,
                                verbose_name="Ct ORF1ab",
                            ),
                        ),
                        (
                            "ct_n",
                            models.DecimalField(
                                blank=True,
                                decimal_places=1,
                                max_digits=4,
                                null=True,
                                verbose_name="Ct N",
                            ),
                        ),
                        ("reported_at", models.DateTimeField(verbose_name="reported at")),
                        (
                            "source",
                            models.CharField(default="api", max_length=16, verbose_name="source"),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("accepted", "Accepted"),
                                    ("held", "Held for review: conflicts with an earlier result"),
                                    ("superseded", "Superseded after review"),
                                ],
                                default="accepted",
                                max_length=16,
                                verbose_name="status",
                            ),
                        ),
                        (
                            "reported_by",
                            models.CharField(
                                blank=True, max_length=150, verbose_name="reported by"
                            ),
                        ),
                        (
                            "lab",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="results",
                                to="lab.lab",
                            ),
                        ),
                        (
                            "tube",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="results",
                                to="testing.tube",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "lab result",
                        "verbose_name_plural": "lab results",
                        "db_table": "testing_labresult",
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("status", "accepted")),
                                fields=("tube",),
                                name="one_accepted_result_per_tube",
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
