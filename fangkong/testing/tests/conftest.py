"""Fixtures for mass testing: a round over the small district, a booth with a tablet token,
tubes. The lab's fixtures (a lab with its token) are in fangkong/lab/tests."""

import datetime as dt

import pytest
from django.utils import timezone

from devtools.fixtures import C11, G111, D
from fangkong.accounts.models import Role
from fangkong.accounts.services import create_device_token
from fangkong.geo.models import Place
from fangkong.testing.services.rounds import add_station, create_round, create_tubes


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def mass_round(district, commander):
    return create_round(
        name="6月13日区域核酸筛查",
        scope_codes=[D],
        user=commander,
        starts_at=timezone.now() - dt.timedelta(hours=1),
    )


@pytest.fixture
def tablet(commander):
    token, clear = create_device_token(
        name="瓦屋李采样小屋 1号台", role=Role.SAMPLER, scope_code=C11, created_by=commander
    )
    token.clear = clear
    return token


@pytest.fixture
def station(mass_round, tablet):
    place = Place.objects.get(code=f"{C11}-P01")
    return add_station(round=mass_round, place=place, name="1号台", devices=[tablet])


@pytest.fixture
def tubes(mass_round):
    return create_tubes(round=mass_round, count=5)


@pytest.fixture
def sample_item(now):
    counter = iter(range(100_000))

    def make(tube, document_number=None, **extra):
        from fangkong.testing.services.registration import SampleItem

        n = next(counter)
        return SampleItem(
            idempotency_key=extra.pop("key", f"k-{n}"),
            tube_barcode=tube.barcode if hasattr(tube, "barcode") else tube,
            taken_at=extra.pop("taken_at", now - dt.timedelta(minutes=1)),
            document_type=extra.pop("document_type", "resident_id" if document_number else None),
            document_number=document_number,
            **extra,
        )

    return make


__all__ = ["G111"]
