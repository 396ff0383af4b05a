"""Moving the lab's models out of testing loses no row: a database migrated on the old code
(labs, boxes, custody and results as testing's models) migrates forward, and the lab's models
read the same rows, through the same tables."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from fangkong.lab.models import CustodyEvent, Lab, LabResult, TransportBox
from fangkong.testing.models import Tube

BEFORE = [("testing", "0010_sample_request_digest"), ("lab", None)]


def migrate(targets):
    """Migrate to `targets`; the models as testing's last migration before the move saw them."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state([BEFORE[0]]).apps


def leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_read_by_the_lab_after_it(mass_round, tubes, commander):
    old = migrate(BEFORE)
    OldLab, OldBox = old.get_model("testing", "Lab"), old.get_model("testing", "TransportBox")
    OldCustody, OldResult = (
        old.get_model("testing", "CustodyEvent"),
        old.get_model("testing", "LabResult"),
    )
    OldTube = old.get_model("testing", "Tube")
    at = dt.datetime(2022, 6, 13, 3, 4, tzinfo=dt.UTC)
    lab = OldLab.objects.create(name="金域医学检验实验室")
    lab.members.add(commander.pk)
    box = OldBox.objects.create(
        code="OLD-001", round_id=mass_round.pk, area_code=mass_round.area_code, lab=lab
    )
    OldCustody.objects.create(box=box, kind="received", at=at, by="检验员")
    OldTube.objects.filter(pk=tubes[0].pk).update(box=box, state="resulted", result="negative")
    OldResult.objects.create(tube_id=tubes[0].pk, lab=lab, result="negative", reported_at=at)

    migrate(leaves())

    moved = TransportBox.objects.select_related("lab").get(code="OLD-001")
    assert moved.pk == box.pk and moved.lab.name == "金域医学检验实验室"
    assert list(commander.labs.all()) == [Lab.objects.get(pk=lab.pk)]
    assert CustodyEvent.objects.get(box=moved).by == "检验员"
    assert Tube.objects.get(pk=tubes[0].pk).box == moved
    assert LabResult.objects.get(tube_id=tubes[0].pk).lab_id == lab.pk
    # New rows go on from the old tables' sequences.
    assert (
        TransportBox.objects.create(
            code="NEW-001", round=mass_round, area_code=mass_round.area_code
        ).pk
        > box.pk
    )
