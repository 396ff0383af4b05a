"""Tests' way to a result: people sampled into one tube of a round and the lab's answer, all
through testing's and the lab's services (a station with a tablet, the box's custody chain)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from django.utils import timezone

from fangkong.accounts.models import Role
from fangkong.accounts.services import create_device_token
from fangkong.geo.models import Place
from fangkong.lab.models import Lab
from fangkong.lab.services.boxes import hand_box_to_courier, pack_box, receive_box
from fangkong.lab.services.results import ResultIn, record_results
from fangkong.testing.models import TestingRound, Tube, TubeState
from fangkong.testing.services.registration import SampleItem, register_samples
from fangkong.testing.services.rounds import add_station, create_tubes
from fangkong.testing.services.transport import seal_tube

_keys = itertools.count()


class Sampler:
    """A tablet in `community` and a lab, made once by a user who may create device tokens."""

    def __init__(self, *, user, community: str, district: str) -> None:
        self.tablet, _clear = create_device_token(
            name="上门采样", role=Role.SAMPLER, scope_code=community, created_by=user
        )
        token, _clear = create_device_token(
            name="检验", role=Role.LAB_TECHNICIAN, scope_code=district, created_by=user
        )
        self.lab = Lab.objects.create(name=f"检验实验室 {next(_keys)}")
        self.lab.devices.add(token)
        self.lab_token = token
        self.place = Place.objects.get(code=f"{community}-P01")

    def test(self, round_id: int, documents: Sequence[str], result: str) -> Tube:
        """Sample the people into one new tube of the round and record the lab's `result`."""
        round_ = TestingRound.objects.get(pk=round_id)
        station = add_station(
            round=round_, place=self.place, name=f"台 {next(_keys)}", devices=[self.tablet]
        )
        (tube,) = create_tubes(round=round_, count=1)
        taken = min(round_.starts_at + dt.timedelta(hours=1), timezone.now())
        items = [
            SampleItem(
                idempotency_key=f"sampling-{next(_keys)}",
                tube_barcode=tube.barcode,
                taken_at=taken,
                document_type="resident_id",
                document_number=number,
            )
            for number in documents
        ]
        assert register_samples(station=station, items=items, actor=self.tablet).accepted == len(
            items
        )
        if Tube.objects.get(pk=tube.pk).state == TubeState.OPEN:
            seal_tube(barcode=tube.barcode, actor=self.tablet)
        box = pack_box(
            code=f"BOX-{next(_keys)}",
            round=round_,
            barcodes=[tube.barcode],
            actor=self.tablet,
            by="甲",
        )
        hand_box_to_courier(box=box, courier="乙", actor=self.tablet)
        receive_box(box=box, lab=self.lab, actor=self.lab_token, by="丙")
        record_results(lab=self.lab, items=[ResultIn(tube.barcode, result)], actor=self.lab_token)
        return tube
