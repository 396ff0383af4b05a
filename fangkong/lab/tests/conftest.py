"""Fixtures for the lab: testing's round, booth, tablet and tubes, reused as they are, and a
laboratory with its device token."""

import pytest

from devtools.fixtures import D
from fangkong.accounts.models import Role
from fangkong.accounts.services import create_device_token
from fangkong.lab.models import Lab
from fangkong.testing.tests import conftest as testing_fixtures

mass_round = testing_fixtures.mass_round
now = testing_fixtures.now
sample_item = testing_fixtures.sample_item
station = testing_fixtures.station
tablet = testing_fixtures.tablet
tubes = testing_fixtures.tubes


@pytest.fixture
def lab(commander):
    token, clear = create_device_token(
        name="金域检验", role=Role.LAB_TECHNICIAN, scope_code=D, created_by=commander
    )
    lab = Lab.objects.create(name="金域医学检验实验室")
    lab.devices.add(token)
    token.clear = clear
    lab.token = token
    return lab
