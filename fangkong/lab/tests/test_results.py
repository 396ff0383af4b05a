import pytest

from fangkong.command.models import Incident
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.events import deliver_pending
from fangkong.core.models import OutboxEvent
from fangkong.lab.models import LabResult, ResultStatus
from fangkong.lab.services.boxes import hand_box_to_courier, pack_box, receive_box
from fangkong.lab.services.results import ResultIn, record_results
from fangkong.people.models import HealthStatus, Resident
from fangkong.testing.models import (
    RetestOrder,
    RetestState,
    RoundKind,
    Tube,
    TubeState,
)
from fangkong.testing.services.registration import register_samples
from fangkong.testing.services.rounds import create_tubes
from fangkong.testing.services.transport import seal_tube


@pytest.fixture
def pooled(station, tubes, tablet, residents, sample_item, id_number, lab, mass_round):
    """Tube 0 with three people, sealed, boxed, carried and received by the lab."""
    numbers = [
        id_number("410172", "19900101", 11),
        id_number("410102", "19450302", 22),
        id_number("411302", "19851120", 33),
    ]
    register_samples(
        station=station, items=[sample_item(tubes[0], n) for n in numbers], actor=tablet
    )
    seal_tube(barcode=tubes[0].barcode, actor=tablet)
    box = pack_box(
        code="BOX-001", round=mass_round, barcodes=[tubes[0].barcode], actor=tablet, by="采样员甲"
    )
    hand_box_to_courier(box=box, courier="转运员乙", actor=tablet)
    receive_box(box=box, lab=lab, actor=lab.token, by="检验员丙")
    return Tube.objects.get(pk=tubes[0].pk)


def test_illegal_transitions_are_refused(station, tubes, tablet, mass_round):
    with pytest.raises(RuleViolation) as exc:
        seal_tube(barcode=tubes[1].barcode, actor=tablet)  # empty
    assert exc.value.code == "empty"
    with pytest.raises(RuleViolation) as exc:
        pack_box(code="B", round=mass_round, barcodes=[tubes[1].barcode], actor=tablet, by="x")
    assert exc.value.code == "illegal_transition"


def test_chain_of_custody_is_recorded(pooled):
    box = pooled.box
    assert [e.kind for e in box.custody.all()] == ["packed", "handed", "received"]
    assert pooled.state == TubeState.RECEIVED


def test_negative_pool_closes_its_members(pooled, lab, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        batch = record_results(
            lab=lab, items=[ResultIn(pooled.barcode, "negative", 38.1, 37.5)], actor=lab.token
        )
    assert batch.accepted == 1
    tube = Tube.objects.get(pk=pooled.pk)
    assert (tube.state, tube.result) == (TubeState.RESULTED, "negative")
    assert not RetestOrder.objects.exists() and not Incident.objects.exists()


def test_presumptive_positive_pool_starts_the_response(
    pooled, lab, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch = record_results(
            lab=lab,
            items=[ResultIn(pooled.barcode, "presumptive_positive", 34.2, 35.0)],
            actor=lab.token,
        )
    assert batch.items[0].retest_orders == 3
    orders = RetestOrder.objects.select_related("retest_round", "station")
    assert {o.retest_round.kind for o in orders} == {RoundKind.RETEST}
    assert {o.station.kind for o in orders} == {"door_to_door"}
    assert set(
        Resident.objects.filter(health_status=HealthStatus.AWAITING_RETEST).values_list(
            "name", flat=True
        )
    ) == {"张伟", "王芳", "刘洋"}
    incident = Incident.objects.get()
    assert incident.area_code == "410172-001-001"
    entry = incident.timeline.get()
    assert pooled.barcode in entry.text and "3" in entry.text
    assert OutboxEvent.objects.get().processed_at is not None


def test_retests_close_the_loop(
    pooled, lab, tablet, sample_item, id_number, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record_results(
            lab=lab, items=[ResultIn(pooled.barcode, "positive", 30, 31)], actor=lab.token
        )
    order = RetestOrder.objects.first()
    team, retest_round = order.station, order.retest_round
    singles = create_tubes(round=retest_round, count=3)
    numbers = [
        id_number("410172", "19900101", 11),
        id_number("410102", "19450302", 22),
        id_number("411302", "19851120", 33),
    ]
    register_samples(
        station=team,
        items=[sample_item(t, n) for t, n in zip(singles, numbers, strict=True)],
        actor=tablet,
    )
    assert set(RetestOrder.objects.values_list("state", flat=True)) == {RetestState.SAMPLED}
    box = pack_box(
        code="BOX-R1",
        round=retest_round,
        barcodes=[t.barcode for t in singles],
        actor=tablet,
        by="上门队",
    )
    hand_box_to_courier(box=box, courier="转运员", actor=tablet)
    receive_box(box=box, lab=lab, actor=lab.token, by="检验员")
    with django_capture_on_commit_callbacks(execute=True):
        record_results(
            lab=lab,
            items=[
                ResultIn(singles[0].barcode, "positive", 28, 29),
                ResultIn(singles[1].barcode, "negative"),
                ResultIn(singles[2].barcode, "negative"),
            ],
            actor=lab.token,
        )
    assert Resident.objects.get(name="张伟").health_status == HealthStatus.CASE_TO_INVESTIGATE
    assert Resident.objects.get(name="王芳").health_status == HealthStatus.NORMAL
    kinds = list(Incident.objects.get().timeline.values_list("kind", flat=True))
    # The positive retest opens 张伟's case in tracing, which the command centre records too.
    assert kinds == ["pool_positive", "person_positive", "case_opened"]


def test_all_negative_retests_clear_the_pool(
    pooled, lab, tablet, sample_item, id_number, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record_results(
            lab=lab, items=[ResultIn(pooled.barcode, "presumptive_positive")], actor=lab.token
        )
    retest_round = RetestOrder.objects.first().retest_round
    team = RetestOrder.objects.first().station
    singles = create_tubes(round=retest_round, count=3)
    numbers = [
        id_number("410172", "19900101", 11),
        id_number("410102", "19450302", 22),
        id_number("411302", "19851120", 33),
    ]
    register_samples(
        station=team,
        items=[sample_item(t, n) for t, n in zip(singles, numbers, strict=True)],
        actor=tablet,
    )
    box = pack_box(
        code="BOX-R2",
        round=retest_round,
        barcodes=[t.barcode for t in singles],
        actor=tablet,
        by="上门队",
    )
    hand_box_to_courier(box=box, courier="转运员", actor=tablet)
    receive_box(box=box, lab=lab, actor=lab.token, by="检验员")
    with django_capture_on_commit_callbacks(execute=True):
        record_results(
            lab=lab, items=[ResultIn(t.barcode, "negative") for t in singles], actor=lab.token
        )
    assert not Resident.objects.exclude(health_status=HealthStatus.NORMAL).exists()
    assert Incident.objects.get().timeline.last().kind == "pool_cleared"


def test_conflicting_second_result_is_held_not_overwritten(pooled, lab):
    record_results(lab=lab, items=[ResultIn(pooled.barcode, "negative")], actor=lab.token)
    same = record_results(lab=lab, items=[ResultIn(pooled.barcode, "negative")], actor=lab.token)
    assert same.items[0].status == "unchanged"
    other = record_results(
        lab=lab, items=[ResultIn(pooled.barcode, "positive", 30, 30)], actor=lab.token
    )
    assert other.items[0].status == "held_for_review"
    assert Tube.objects.get(pk=pooled.pk).result == "negative"
    assert list(LabResult.objects.order_by("id").values_list("status", flat=True)) == [
        ResultStatus.ACCEPTED,
        ResultStatus.HELD,
    ]


def test_results_for_unknown_or_unreceived_tubes_are_refused(pooled, tubes, lab):
    batch = record_results(
        lab=lab,
        items=[
            ResultIn("000000000000", "negative"),
            ResultIn(tubes[1].barcode, "negative"),
            ResultIn(pooled.barcode, "maybe"),
            ResultIn(pooled.barcode, "negative", "abc"),
        ],
        actor=lab.token,
    )
    assert [(o.field, o.code) for o in batch.items] == [
        ("tube_barcode", "unknown"),
        ("tube_barcode", "not_received"),
        ("result", "choice"),
        ("ct_orf1ab", "format"),
    ]
    assert not LabResult.objects.exists()


def test_another_lab_cannot_post_results_for_a_box_it_did_not_receive(pooled, commander):
    from fangkong.accounts.models import Role
    from fangkong.accounts.services import create_device_token
    from fangkong.lab.models import Lab

    other = Lab.objects.create(name="另一个实验室")
    token, _clear = create_device_token(
        name="other lab", role=Role.LAB_TECHNICIAN, scope_code="410172", created_by=commander
    )
    other.devices.add(token)
    batch = record_results(lab=other, items=[ResultIn(pooled.barcode, "negative")], actor=token)
    assert batch.items[0].code == "not_received"
    with pytest.raises(PermissionDeniedError):
        record_results(lab=other, items=[ResultIn(pooled.barcode, "negative")], actor=commander)


def test_failing_handler_loses_no_event_and_the_worker_replays_it(
    pooled, lab, django_capture_on_commit_callbacks
):
    from fangkong.command import handlers

    original = handlers.Incident.objects.create

    def broken(**kwargs):
        raise RuntimeError("command centre database hiccup")

    handlers.Incident.objects.create = broken
    try:
        with django_capture_on_commit_callbacks(execute=True):
            record_results(
                lab=lab, items=[ResultIn(pooled.barcode, "positive", 30, 30)], actor=lab.token
            )
    finally:
        handlers.Incident.objects.create = original
    event = OutboxEvent.objects.get()
    assert event.processed_at is None and "hiccup" in event.last_error
    assert RetestOrder.objects.count() == 3  # the result itself stands
    assert deliver_pending() == (1, 0)
    assert Incident.objects.count() == 1
    assert deliver_pending() == (0, 0)  # nothing delivered twice


def test_a_later_positive_pool_elsewhere_joins_the_retest_round(
    pooled, lab, tablet, station, tubes, sample_item, mass_round
):
    from devtools.fixtures import G211
    from fangkong.core.areas import is_within
    from fangkong.people.sampling_codes import sampling_code_for

    far = Resident.objects.filter(area_code=G211).first()
    item = sample_item(tubes[1], None, sampling_code=sampling_code_for(far.pk), name=None)
    assert register_samples(station=station, items=[item], actor=tablet).accepted == 1
    seal_tube(barcode=tubes[1].barcode, actor=tablet)
    box = pack_box(
        code="BOX-002", round=mass_round, barcodes=[tubes[1].barcode], actor=tablet, by="甲"
    )
    hand_box_to_courier(box=box, courier="乙", actor=tablet)
    receive_box(box=box, lab=lab, actor=lab.token, by="丙")
    for barcode in (pooled.barcode, tubes[1].barcode):
        record_results(lab=lab, items=[ResultIn(barcode, "positive", 30, 31)], actor=lab.token)
    retest = RetestOrder.objects.get(resident=far).retest_round
    assert RetestOrder.objects.values("retest_round").distinct().count() == 1
    assert any(is_within(G211, code) for code in retest.scope_codes)
    assert retest.area_code == "410172"  # both sub-districts: the district is their common area
