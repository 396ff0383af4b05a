"""Fixtures for zones: the small district with its six residents, and a designation helper."""

import datetime as dt

import pytest
from django.utils import timezone

from devtools.fixtures import C11, G111, G112, G211, D

COMPOUND = f"{C11}-C01"  # 瓦屋李新居: buildings 1 and 2 of grid 111
B1111 = f"{G111}-001"  # 张伟, 王芳 (elderly, alone) and 李娜 live here
B1112 = f"{G111}-002"
B1121 = f"{G112}-001"  # 刘洋 and 陈静 (medical trips)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Users are made in almost every test here; argon2 would spend most of the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(residents):
    return {r.name: r for r in residents}


@pytest.fixture
def designate(commander):
    from fangkong.zones.services.designation import designate_zone

    def make(kind="sealed", members=(COMPOUND,), **extra):
        extra.setdefault("user", commander)
        return designate_zone(kind=kind, members=list(members), **extra)

    return make


@pytest.fixture
def days_ago():
    def at(days: float, hour: int = 8) -> dt.datetime:
        base = timezone.localtime() - dt.timedelta(days=days)
        return base.replace(hour=hour, minute=0, second=0, microsecond=0)

    return at


__all__ = ["G111", "G112", "G211", "D"]


@pytest.fixture
def lab(commander):
    from fangkong.accounts.models import Role
    from fangkong.accounts.services import create_device_token
    from fangkong.lab.models import Lab

    token, _clear = create_device_token(
        name="金域检验", role=Role.LAB_TECHNICIAN, scope_code=D, created_by=commander
    )
    lab = Lab.objects.create(name="金域医学检验实验室")
    lab.devices.add(token)
    lab.token = token
    return lab


@pytest.fixture
def run_round(commander, lab):
    """Sample people in a zone's scheduled round through the real testing services (device,
    tubes, seal, box, lab), at the round's own time, and post their results."""
    from fangkong.accounts.models import Role
    from fangkong.accounts.services import create_device_token
    from fangkong.lab.services.boxes import hand_box_to_courier, pack_box, receive_box
    from fangkong.lab.services.results import ResultIn, record_results
    from fangkong.people.sampling_codes import sampling_code_for
    from fangkong.testing.models import Tube, TubeState
    from fangkong.testing.services.registration import SampleItem, register_samples
    from fangkong.testing.services.rounds import create_tubes
    from fangkong.testing.services.transport import seal_tube

    counter = iter(range(10_000))

    def run(zone, day, persons, results="negative"):
        n = next(counter)
        round_ = zone.schedule.get(day=day).round
        station = round_.stations.first()
        token, _clear = create_device_token(
            name=f"采样平板{n}", role=Role.SAMPLER, scope_code=D, created_by=commander
        )
        station.devices.add(token)
        at = round_.starts_at + dt.timedelta(hours=1)
        tubes = create_tubes(round=round_, count=len(persons))
        items = [
            SampleItem(
                idempotency_key=f"z{n}-{p.pk}",
                tube_barcode=t.barcode,
                taken_at=at,
                sampling_code=sampling_code_for(p.pk),
            )
            for t, p in zip(tubes, persons, strict=True)
        ]
        batch = register_samples(station=station, items=items, actor=token, now=at)
        assert batch.accepted == len(persons), batch.items
        for t in Tube.objects.filter(pk__in=[t.pk for t in tubes], state=TubeState.OPEN):
            seal_tube(barcode=t.barcode, actor=token, now=at)  # single tubes seal when full
        box = pack_box(
            code=f"BOX-Z{n}",
            round=round_,
            barcodes=[t.barcode for t in tubes],
            actor=token,
            by="上门队",
            now=at,
        )
        hand_box_to_courier(box=box, courier="转运员", actor=token, now=at)
        receive_box(box=box, lab=lab, actor=lab.token, by="检验员", now=at)
        if results is None:
            return tubes
        if isinstance(results, str):
            results = [results] * len(persons)
        record_results(
            lab=lab,
            items=[ResultIn(t.barcode, r) for t, r in zip(tubes, results, strict=True)],
            actor=lab.token,
            now=at + dt.timedelta(hours=4),
        )
        return tubes

    return run
