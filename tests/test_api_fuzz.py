"""Schemathesis against the app: every operation of /api/openapi.json, generated requests, as
a commander's session, a commander's device token, a sampler's tablet and a lab's system.

Fails on any 5xx and on any status code the schema does not document for the operation.
Bounded and derandomised, so it runs the same requests every time in a couple of minutes.
"""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import status_code_conformance

from devtools.fixtures import C11, D
from fangkong.accounts.models import Role
from fangkong.accounts.services import create_device_token
from fangkong.geo.models import Place
from fangkong.lab.models import Lab
from fangkong.testing.services.rounds import add_station, create_round, create_tubes
from fangkong.wsgi import application

EXAMPLES_PER_OPERATION = 12
CHECKS = [not_a_server_error, status_code_conformance]


@pytest.fixture
def callers(transactional_db, commander, residents) -> dict[str, dict]:
    """Request headers and cookies for each kind of caller, over a round with a station."""
    round_ = create_round(
        name="筛查",
        scope_codes=[D],
        user=commander,
        starts_at=timezone.now() - dt.timedelta(hours=1),
    )
    create_tubes(round=round_, count=5)
    _, commander_token = create_device_token(
        name="指挥部", role=Role.DISTRICT_COMMANDER, scope_code=D, created_by=commander
    )
    tablet, tablet_token = create_device_token(
        name="1号台", role=Role.SAMPLER, scope_code=C11, created_by=commander
    )
    add_station(
        round=round_, place=Place.objects.get(code=f"{C11}-P01"), name="1号台", devices=[tablet]
    )
    lab_device, lab_token = create_device_token(
        name="金域检验", role=Role.LAB_TECHNICIAN, scope_code=D, created_by=commander
    )
    Lab.objects.create(name="金域医学检验实验室").devices.add(lab_device)
    browser = Client()
    browser.force_login(commander)
    session = browser.cookies["sessionid"].value
    return {
        "commander session": {"cookies": {"sessionid": session}},
        "commander token": {"headers": {"Authorization": f"Bearer {commander_token}"}},
        "sampler token": {"headers": {"Authorization": f"Bearer {tablet_token}"}},
        "lab token": {"headers": {"Authorization": f"Bearer {lab_token}"}},
    }


def _operations():
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    return [result.ok() for result in schema.get_all_operations()]


def test_no_operation_answers_5xx_or_an_undocumented_status(callers):
    failures: list[str] = []
    for operation in _operations():
        for who, auth in callers.items():
            failure = _fuzz(operation, auth)
            if failure:
                failures.append(f"{operation.label} as {who}: {failure}")
    assert not failures, "\n\n".join(failures)


def _fuzz(operation, auth: dict) -> str:
    """The first failing request's report for one operation and caller; '' when none fails."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        case.call_and_validate(checks=CHECKS, **auth)

    try:
        run()
    except (Exception, FailureGroup) as exc:  # every operation is reported, not only the first
        return str(exc)
    return ""
