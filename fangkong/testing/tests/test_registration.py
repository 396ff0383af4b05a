import datetime as dt

import pytest
from django.db import connection

from fangkong.accounts.models import Role
from fangkong.core.crypto import decrypt
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.people.models import Residency, Resident
from fangkong.people.sampling_codes import sampling_code_for
from fangkong.testing.api import BatchOut, ReusedOut
from fangkong.testing.models import RoundStatus, Sample, Tube, TubeState
from fangkong.testing.services.registration import register_samples
from fangkong.testing.services.rounds import barcode_for, create_tubes, valid_barcode


def doc(resident, id_number_map):
    return id_number_map[resident.name]


@pytest.fixture
def ids(resident_documents):
    return resident_documents


def test_barcodes_carry_a_check_digit():
    code = barcode_for(1234)
    assert valid_barcode(code) and len(code) == 12
    assert not valid_barcode(code[:-1] + str((int(code[-1]) + 1) % 10))


def test_batch_is_registered_and_the_tube_counts(
    station, tubes, tablet, residents, ids, sample_item
):
    items = [sample_item(tubes[0], ids[n]) for n in ("张伟", "王芳", "刘洋")]
    result = register_samples(station=station, items=items, actor=tablet)
    assert (result.accepted, result.rejected) == (3, 0)
    assert [o.tube_samples for o in result.items] == [3, 3, 3]
    tube = Tube.objects.get(pk=tubes[0].pk)
    assert tube.sample_count == 3 and tube.station == station and tube.state == TubeState.OPEN
    assert Sample.objects.filter(tube=tube).count() == 3


def test_replayed_batch_writes_nothing(station, tubes, tablet, residents, ids, sample_item):
    items = [
        sample_item(tubes[0], ids["张伟"], key="a"),
        sample_item(tubes[0], ids["王芳"], key="b"),
    ]
    first = register_samples(station=station, items=items, actor=tablet)
    again = register_samples(station=station, items=items, actor=tablet)
    assert again.replayed == 2 and again.accepted == 0
    assert [o.sample_id for o in again.items] == [o.sample_id for o in first.items]
    assert Sample.objects.count() == 2 and Tube.objects.get(pk=tubes[0].pk).sample_count == 2


def test_key_reused_for_another_tube_is_refused(
    station, tubes, tablet, residents, ids, sample_item
):
    register_samples(
        station=station, items=[sample_item(tubes[0], ids["张伟"], key="a")], actor=tablet
    )
    result = register_samples(
        station=station, items=[sample_item(tubes[1], ids["张伟"], key="a")], actor=tablet
    )
    assert result.items[0].code == "reused"


@pytest.mark.parametrize(
    "change",
    [
        {"document_number": "王芳"},  # another person (resolved from the ids below)
        {"taken_at": dt.timedelta(minutes=-5)},
        {"sampling_code": "person"},
        {"name": "张小伟"},
    ],
    ids=["other_person", "other_time", "sampling_code_instead", "other_name"],
)
def test_key_reused_for_another_person_or_time_is_refused_not_replayed(
    station, tubes, tablet, residents, ids, sample_item, change
):
    """Regression: the same key with another person, document or time was answered as a
    replay of the first sample, so the second person was silently not sampled."""
    first = sample_item(tubes[0], ids["张伟"], key="a")
    assert register_samples(station=station, items=[first], actor=tablet).accepted == 1
    extra = {}
    number = ids["张伟"]
    if "document_number" in change:
        number = ids[change["document_number"]]
    if "taken_at" in change:
        extra["taken_at"] = first.taken_at + change["taken_at"]
    if "sampling_code" in change:
        number, extra["sampling_code"] = None, sampling_code_for(residents[0].pk)
    if "name" in change:
        extra["name"] = change["name"]
    second = register_samples(
        station=station, items=[sample_item(tubes[0], number, key="a", **extra)], actor=tablet
    )
    [item] = second.items
    assert (item.status, item.field, item.code, item.replayed) == (
        "rejected",
        "idempotency_key",
        "reused",
        False,
    )
    assert Sample.objects.count() == 1
    assert register_samples(station=station, items=[first], actor=tablet).replayed == 1


def test_api_answers_a_reused_key_409_and_every_item(
    client, station, tubes, tablet, residents, ids, now
):
    def item(key, person):
        return {
            "idempotency_key": key,
            "tube_barcode": tubes[0].barcode,
            "taken_at": now.isoformat(),
            "document_number": ids[person],
        }

    headers = {"Authorization": f"Bearer {tablet.clear}"}

    def post(*items):
        return client.post(
            "/api/v1/testing/samples",
            {"station": station.pk, "items": list(items)},
            content_type="application/json",
            headers=headers,
        )

    assert post(item("k1", "张伟")).status_code == 200
    answer = post(item("k2", "刘洋"), item("k1", "王芳"))
    assert answer.status_code == 409, answer.content
    data = answer.json()
    ReusedOut.model_validate(data)
    assert [(i["status"], i["code"]) for i in data["items"]] == [
        ("accepted", None),
        ("rejected", "reused"),
    ]
    assert [(e["field"], e["code"]) for e in data["errors"]] == [
        ("items.1.idempotency_key", "reused")
    ]
    assert Sample.objects.count() == 2  # the other item was stored
    replay = post(item("k2", "刘洋"))
    assert replay.status_code == 200 and replay.json()["replayed"] == 1


def test_every_item_is_validated_and_only_valid_ones_written(
    station, tubes, tablet, residents, ids, sample_item, now, mass_round
):
    other = create_tubes(round=mass_round, count=1)[0]
    Tube.objects.filter(pk=other.pk).update(state=TubeState.SEALED)
    bad_id = ids["张伟"][:-1] + ("0" if ids["张伟"][-1] != "0" else "1")
    items = [
        sample_item(tubes[0], ids["张伟"]),
        sample_item(tubes[0], bad_id),  # typed wrong
        sample_item("999999999999", ids["王芳"]),  # unknown tube
        sample_item(other, ids["王芳"]),  # sealed tube
        sample_item(tubes[0], ids["刘洋"], taken_at=now + dt.timedelta(hours=2)),  # future
        sample_item(tubes[0], ids["张伟"]),  # twice in one tube
        sample_item(tubes[0], None),  # nothing to identify the person
    ]
    result = register_samples(station=station, items=items, actor=tablet, now=now)
    codes = [(o.status, o.field, o.code) for o in result.items]
    assert codes == [
        ("accepted", None, None),
        ("rejected", "document_number", "check_digit"),
        ("rejected", "tube_barcode", "unknown"),
        ("rejected", "tube_barcode", "not_open"),
        ("rejected", "taken_at", "future"),
        ("rejected", "document_number", "twice_in_tube"),
        ("rejected", "name", "required"),
    ]
    assert all(o.message for o in result.items[1:])
    assert Sample.objects.count() == 1


def test_tube_auto_seals_at_capacity_and_refuses_the_next(
    station, mass_round, tablet, residents, ids, sample_item
):
    tube = create_tubes(round=mass_round, count=1, capacity=2)[0]
    items = [sample_item(tube, ids[n]) for n in ("张伟", "王芳", "刘洋")]
    result = register_samples(station=station, items=items, actor=tablet)
    assert [o.status for o in result.items] == ["accepted", "accepted", "rejected"]
    assert result.items[2].code == "full" and result.items[1].tube_sealed
    assert Tube.objects.get(pk=tube.pk).state == TubeState.SEALED


def test_unknown_person_is_registered_as_visitor_not_refused(
    station, tubes, tablet, residents, id_number, sample_item
):
    number = id_number("340102", "19880808", 66)
    result = register_samples(
        station=station, items=[sample_item(tubes[0], number, name="外地游客")], actor=tablet
    )
    assert result.items[0].status == "accepted" and result.items[0].flags == ["visitor"]
    visitor = Resident.objects.get(name="外地游客")
    assert (
        visitor.residency == Residency.VISITOR
        and visitor.needs_follow_up
        and visitor.area_code == station.area_code
    )


def test_person_without_document_is_taken_with_guardian_and_flagged(
    station, tubes, tablet, residents, sample_item
):
    item = sample_item(tubes[0], None, name="王奶奶", guardian="王建国 13700000000")
    result = register_samples(station=station, items=[item], actor=tablet)
    assert result.items[0].flags == ["no_document", "visitor"]
    grandma = Resident.objects.get(name="王奶奶")
    assert grandma.needs_follow_up
    # Regression: the guardian went into the free-text note in clear.
    assert "王建国" not in grandma.note and "13700000000" not in grandma.note
    assert grandma.guardian_masked == "王*国 137****0000"
    assert "13700000000" not in grandma.guardian_cipher
    assert decrypt(grandma.guardian_cipher, context="resident.guardian") == "王建国 13700000000"


def test_name_disagreeing_with_registry_is_accepted_and_flagged(
    station, tubes, tablet, residents, ids, sample_item
):
    result = register_samples(
        station=station, items=[sample_item(tubes[0], ids["张伟"], name="张三")], actor=tablet
    )
    assert result.items[0].status == "accepted" and "name_mismatch" in result.items[0].flags


def test_sampling_code_registers_in_one_scan_and_a_forged_one_is_refused(
    station, tubes, tablet, residents, sample_item
):
    wang = Resident.objects.get(name="王芳")
    code = sampling_code_for(wang.pk)
    assert "王" not in code and wang.document_masked[-4:] not in code
    forged = sampling_code_for(wang.pk)[:-2] + "xx"
    result = register_samples(
        station=station,
        items=[
            sample_item(tubes[0], sampling_code=code),
            sample_item(tubes[0], sampling_code=forged),
        ],
        actor=tablet,
    )
    assert result.items[0].status == "accepted" and "sampling_code" in result.items[0].flags
    assert result.items[1].code == "signature"
    assert Sample.objects.get().resident == wang


def test_fast_tablet_clock_is_tolerated_and_flagged(
    station, tubes, tablet, residents, ids, sample_item, now
):
    item = sample_item(tubes[0], ids["张伟"], taken_at=now + dt.timedelta(minutes=4))
    result = register_samples(station=station, items=[item], actor=tablet, now=now)
    assert result.items[0].status == "accepted" and "clock_skew" in result.items[0].flags
    assert Sample.objects.get().taken_at == now


def test_second_tube_in_the_round_is_flagged_not_refused(
    station, tubes, tablet, residents, ids, sample_item
):
    register_samples(station=station, items=[sample_item(tubes[0], ids["张伟"])], actor=tablet)
    result = register_samples(
        station=station, items=[sample_item(tubes[1], ids["张伟"])], actor=tablet
    )
    assert "repeat_in_round" in result.items[0].flags


def test_token_of_another_station_is_refused_and_audited(
    station, tubes, commander, residents, ids, sample_item
):
    from fangkong.accounts.services import create_device_token

    stranger, _clear = create_device_token(
        name="other booth", role=Role.SAMPLER, scope_code="410172-001-001", created_by=commander
    )
    with pytest.raises(PermissionDeniedError):
        register_samples(
            station=station, items=[sample_item(tubes[0], ids["张伟"])], actor=stranger
        )
    assert AuditEntry.objects.filter(
        action=AuditAction.PERMISSION_DENIED, object_type="station"
    ).exists()
    assert not Sample.objects.exists()


def test_closed_round_refuses_new_samples_and_still_answers_replays(
    station, tubes, tablet, residents, ids, sample_item, mass_round
):
    first = sample_item(tubes[0], ids["张伟"], key="before")
    register_samples(station=station, items=[first], actor=tablet)
    # Closed from elsewhere (the station object here still says "active", as a cached one would).
    type(mass_round).objects.filter(pk=mass_round.pk).update(status=RoundStatus.CLOSED)
    result = register_samples(
        station=station, items=[first, sample_item(tubes[0], ids["王芳"])], actor=tablet
    )
    assert result.items[0].replayed and result.items[0].status == "accepted"
    assert (result.items[1].status, result.items[1].field, result.items[1].code) == (
        "rejected",
        "station",
        "round_closed",
    )
    assert Sample.objects.count() == 1


def test_a_binding_added_after_a_refusal_works_at_once(
    station, tubes, commander, residents, ids, sample_item
):
    from fangkong.accounts.services import create_device_token

    spare, _clear = create_device_token(
        name="spare tablet", role=Role.SAMPLER, scope_code=station.area_code, created_by=commander
    )
    with pytest.raises(PermissionDeniedError):
        register_samples(station=station, items=[sample_item(tubes[0], ids["张伟"])], actor=spare)
    station.devices.add(spare)  # refusals are never cached
    result = register_samples(
        station=station, items=[sample_item(tubes[0], ids["张伟"])], actor=spare
    )
    assert result.accepted == 1


def test_batch_limits(station, tubes, tablet, sample_item):
    with pytest.raises(RuleViolation):
        register_samples(station=station, items=[], actor=tablet)


def test_api_answers_each_item(client, station, tubes, tablet, residents, ids, now):
    body = {
        "station": station.pk,
        "items": [
            {
                "idempotency_key": "x1",
                "tube_barcode": tubes[0].barcode,
                "taken_at": now.isoformat(),
                "document_number": ids["张伟"],
            },
            {
                "idempotency_key": "x2",
                "tube_barcode": tubes[0].barcode,
                "taken_at": now.isoformat(),
                "document_number": "123",
            },
        ],
    }
    headers = {"Authorization": f"Bearer {tablet.clear}"}
    response = client.post(
        "/api/v1/testing/samples", body, content_type="application/json", headers=headers
    )
    assert response.status_code == 200, response.content
    data = response.json()
    BatchOut.model_validate(data)  # the answer is written by hand: it must keep the schema
    assert (data["accepted"], data["rejected"]) == (1, 1)
    assert data["items"][1]["field"] == "document_number"
    again = client.post(
        "/api/v1/testing/samples", body, content_type="application/json", headers=headers
    ).json()
    assert again["replayed"] == 1 and Sample.objects.count() == 1
    bad = client.post(
        "/api/v1/testing/samples",
        {"station": station.pk, "items": []},
        content_type="application/json",
        headers=headers,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("batch")


def test_registration_query_count_is_pinned(
    station, tubes, tablet, residents, ids, sample_item, django_assert_max_num_queries
):
    items = [sample_item(tubes[0], ids[n]) for n in ids]
    with django_assert_max_num_queries(14):
        result = register_samples(station=station, items=items, actor=tablet)
    assert result.accepted == 6
    assert connection.vendor in ("sqlite", "postgresql")
