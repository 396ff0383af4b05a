"""`fangkong scenario` on a database without the demo district."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from fangkong.core.errors import RuleViolation
from fangkong.geo.models import District
from fangkong.people.models import Resident
from fangkong.scenarios.june13 import run_june13


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_a_fresh_database_gets_the_district_at_the_storys_scale_then_the_replay(db):
    out, err = io.StringIO(), io.StringIO()
    call_command("scenario", "run", "june13", "--scale", "0.04", "--json", stdout=out, stderr=err)
    assert Resident.objects.filter(residency__in=["registered", "floating"]).count() == 2_000
    assert "2,000" in err.getvalue()  # progress goes to stderr: stdout is the JSON alone
    assert json.loads(out.getvalue())["incident"]["opened_at"] == "2022-06-13T03:04:00+08:00"


def test_the_cli_names_its_scenarios_and_refuses_others(db):
    out = io.StringIO()
    call_command("scenario", "list", stdout=out)
    assert out.getvalue().split() == ["june13"]
    with pytest.raises(CommandError):
        call_command("scenario", "run", "june14", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError):
        call_command("scenario", "run", "june13", "--scale", "0", stdout=io.StringIO())
    assert not District.objects.exists()


def test_the_replay_needs_the_demo_district(commander):
    with pytest.raises(RuleViolation) as refused:
        run_june13(user=commander)
    assert refused.value.code == "no_demo_district"


def test_the_demo_replays_the_scenario_before_serving(db):
    out = io.StringIO()
    call_command(
        "demo",
        "--scenario",
        "june13",
        "--scale",
        "0.05",
        "--residents",
        "2000",
        "--quiet",
        "--no-serve",
        stdout=out,
        stderr=io.StringIO(),
    )
    text = out.getvalue()
    assert "06-13 03:04" in text and "06-13 16:54" in text
    assert "高新防控演练通报〔2022〕1号" in text
