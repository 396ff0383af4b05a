"""The 13 June replay through the real stack, at a reduced size: a live server on loopback,
station clients posting samples over HTTP, the lab's results through the lab API; the JSON's
shape, its figures equal to the rows, and the system share's parts."""

from collections import Counter

import pytest

from fangkong.accounts.models import User
from fangkong.command.models import TimelineEntry
from fangkong.demo.accounts import ensure_demo_accounts
from fangkong.demo.seed import seed_demo
from fangkong.scenarios.june13_cast import PAPER_PEOPLE, PAPER_TUBES
from fangkong.scenarios.june13_stack import run_june13_stack
from fangkong.testing.models import Sample, Tube, TubeKind
from fangkong.work.models import Task, TaskState
from fangkong.zones.models import Notice

SCALE = 0.05
SHARE_PARTS = {
    "positive_to_households_told_s",
    "zone_designated_s",
    "notice_drafted_s",
    "door_knocking_tasks_s",
}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def stack_replay(transactional_db, live_server):
    seed_demo(residents=2_000, seed=613, progress=False)
    ensure_demo_accounts()
    user = User.objects.get(username="commander")
    return run_june13_stack(user=user, base_url=live_server.url, scale=SCALE)


def test_the_stack_replay_registers_the_days_people_over_http_and_counts_them(stack_replay):
    data = stack_replay.as_json()
    assert {"incident", "bulletin", "rounds", "orders", "figures", "system_share", "stack"} <= set(
        data
    )
    figures, stack = data["figures"], data["stack"]
    unit_rounds = stack_replay.round_ids
    people = Sample.objects.filter(round_id__in=unit_rounds, tube__kind=TubeKind.PEOPLE)
    assert figures["people"] == people.count() == round(PAPER_PEOPLE * SCALE)
    tubes = Tube.objects.filter(round_id__in=unit_rounds, kind=TubeKind.PEOPLE).exclude(
        sample_count=0
    )
    # As in the small replay: the paper's tubes at the scale, or one more per unit whose
    # people do not fill whole tubes.
    by_round = Counter(tubes.values_list("round_id", flat=True))
    assert figures["tubes"] == tubes.count() == sum(by_round.values())
    assert round(PAPER_TUBES * SCALE) <= figures["tubes"] <= round(PAPER_TUBES * SCALE) + 5
    assert all(t.sample_count <= 20 for t in tubes)
    assert figures["pool_size"] == 20
    assert (figures["environment_tubes"], figures["environment_points"]) == (1, 10)
    assert 0 < figures["community_tests_by_noon"] <= figures["people"]
    # Every station's tablet posted its own queue; the devices' names are on the samples.
    assert stack["station_clients"] == 5
    assert stack["requests"] >= figures["tubes"]
    assert len(set(people.values_list("recorded_by", flat=True))) == 1  # the booth's tablet
    assert data["incident"]["closed_at"] is not None
    assert "结果全部阴性" in " ".join(e["text"] for e in data["incident"]["timeline"])


def test_the_system_share_times_each_step_of_the_response(stack_replay):
    share = stack_replay.as_json()["system_share"]
    assert set(share) == {"total_s", *SHARE_PARTS}
    assert all(share[k] >= 0 for k in SHARE_PARTS)
    assert share["total_s"] == pytest.approx(sum(share[k] for k in SHARE_PARTS), abs=0.01)
    # The steps it times did their work: the notice drafted, door-knocking tasks made.
    assert Notice.objects.filter(kind="designation").count() == 1
    zone_round = stack_replay.zone.schedule.get(day=1).round
    tasks = Task.objects.filter(key__startswith=f"doorknock:{zone_round.pk}:")
    assert tasks.exists()
    # Refreshed once everyone inside was sampled: none is left open before the lift.
    assert not tasks.filter(state=TaskState.OPEN).exists()
    assert "已完成0栋" not in stack_replay.bulletin.text_zh


def test_typed_notes_are_marked_apart_from_system_events(stack_replay):
    timeline = stack_replay.as_json()["incident"]["timeline"]
    typed = {e["kind"] for e in timeline if e["narrative"]}
    system = {e["kind"] for e in timeline if not e["narrative"]}
    assert typed == {"note", "closed"}
    assert {"pool_positive", "zone_designated", "zone_lifted"} <= system
    assert TimelineEntry.objects.filter(narrative=True, author__isnull=True).count() == 0
