"""Two transitions of one tube or one box never both win: each service locks the row it
changes and checks the state on the locked row.

On PostgreSQL a second thread (its own connection) runs a transition while this test holds
the row in an open transaction that has already moved it on; the second must wait for the
commit, then see the new state and be refused. SQLite cannot interleave two writers, so its
variant passes a copy read before the other transition: the service must not trust it.
"""

from __future__ import annotations

import pytest

from devtools.fixtures import postgresql_only
from devtools.races import interleaved as interleaved_race
from fangkong.core.errors import RuleViolation
from fangkong.lab.models import BoxState, CustodyEvent, TransportBox
from fangkong.lab.services.boxes import hand_box_to_courier, pack_box, receive_box
from fangkong.testing.models import Tube, TubeState
from fangkong.testing.services.registration import register_samples
from fangkong.testing.services.transport import seal_tube

interleaved = postgresql_only("SQLite has one writer at a time: two transitions cannot interleave")


@pytest.fixture
def filled(station, tubes, tablet, residents, sample_item, id_number):
    """Tube 0 open with one person in it."""
    items = [sample_item(tubes[0], id_number("410172", "19900101", 11))]
    assert register_samples(station=station, items=items, actor=tablet).rejected == 0
    return Tube.objects.get(pk=tubes[0].pk)


@pytest.fixture
def packed(filled, tablet, mass_round):
    seal_tube(barcode=filled.barcode, actor=tablet)
    return pack_box(
        code="BOX-R", round=mass_round, barcodes=[filled.barcode], actor=tablet, by="采样员"
    )


@interleaved
@pytest.mark.django_db(transaction=True)
def test_sealing_waits_for_packing_and_cannot_unpack_the_tube(filled, tablet, mass_round):
    def seal_and_pack():
        seal_tube(barcode=filled.barcode, actor=tablet)
        pack_box(
            code="BOX-R", round=mass_round, barcodes=[filled.barcode], actor=tablet, by="采样员"
        )

    racer = interleaved_race(seal_and_pack, lambda: seal_tube(barcode=filled.barcode, actor=tablet))
    assert racer.error is not None and racer.error.code == "illegal_transition"
    tube = Tube.objects.get(pk=filled.pk)
    assert (tube.state, tube.box.code) == (TubeState.BOXED, "BOX-R")


@interleaved
@pytest.mark.django_db(transaction=True)
def test_a_hand_over_waits_for_the_receipt_and_cannot_undo_it(packed, tablet, lab):
    stale = TransportBox.objects.get(pk=packed.pk)

    def hand_over_and_receive():
        hand_box_to_courier(box=packed, courier="转运员", actor=tablet)
        receive_box(box=packed, lab=lab, actor=lab.token, by="检验员")

    racer = interleaved_race(
        hand_over_and_receive,
        lambda: hand_box_to_courier(box=stale, courier="另一转运员", actor=tablet),
    )
    assert racer.error is not None and racer.error.code == "illegal_transition"
    box = TransportBox.objects.get(pk=packed.pk)
    assert (box.state, box.courier) == (BoxState.RECEIVED, "转运员")
    assert CustodyEvent.objects.filter(box=box).count() == 3
    assert Tube.objects.get(box=box).state == TubeState.RECEIVED


@interleaved
@pytest.mark.django_db(transaction=True)
def test_two_receipts_of_one_box_queue_and_the_second_is_refused(packed, tablet, lab):
    hand_box_to_courier(box=packed, courier="转运员", actor=tablet)
    stale = TransportBox.objects.get(pk=packed.pk)
    racer = interleaved_race(
        lambda: receive_box(box=packed, lab=lab, actor=lab.token, by="检验员甲"),
        lambda: receive_box(box=stale, lab=lab, actor=lab.token, by="检验员乙"),
    )
    assert racer.error is not None and racer.error.code == "illegal_transition"
    assert TransportBox.objects.get(pk=packed.pk).received_by == "检验员甲"
    assert CustodyEvent.objects.filter(box=packed, kind="received").count() == 1


# --- Sequential variants: both databases ------------------------------------------------------


def test_sealing_a_packed_tube_is_refused_and_leaves_it_in_its_box(packed, filled, tablet):
    with pytest.raises(RuleViolation) as exc:
        seal_tube(barcode=filled.barcode, actor=tablet)
    assert exc.value.code == "illegal_transition"
    tube = Tube.objects.get(pk=filled.pk)
    assert (tube.state, tube.box_id) == (TubeState.BOXED, packed.pk)


def test_a_copy_read_before_the_receipt_cannot_hand_the_box_over_again(packed, tablet, lab):
    stale = TransportBox.objects.get(pk=packed.pk)
    hand_box_to_courier(box=packed, courier="转运员", actor=tablet)
    receive_box(box=packed, lab=lab, actor=lab.token, by="检验员")
    with pytest.raises(RuleViolation) as exc:
        hand_box_to_courier(box=stale, courier="另一转运员", actor=tablet)
    assert exc.value.code == "illegal_transition"
    box = TransportBox.objects.get(pk=packed.pk)
    assert (box.state, box.courier) == (BoxState.RECEIVED, "转运员")
    assert CustodyEvent.objects.filter(box=box).count() == 3


def test_a_copy_read_before_the_receipt_cannot_receive_the_box_twice(packed, tablet, lab):
    hand_box_to_courier(box=packed, courier="转运员", actor=tablet)
    stale = TransportBox.objects.get(pk=packed.pk)
    receive_box(box=packed, lab=lab, actor=lab.token, by="检验员甲")
    with pytest.raises(RuleViolation) as exc:
        receive_box(box=stale, lab=lab, actor=lab.token, by="检验员乙")
    assert exc.value.code == "illegal_transition"
    assert TransportBox.objects.get(pk=packed.pk).received_by == "检验员甲"
    assert CustodyEvent.objects.filter(box=packed, kind="received").count() == 1
