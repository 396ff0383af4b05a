"""Door-knocking (敲门行动): one task per household, assigned and due, outcomes at the door, and
coverage that says 全覆盖 only when no household is left unexplained."""

import datetime as dt

import pytest
from django.test import override_settings

from devtools.fixtures import G111, G112, G211
from fangkong.accounts.models import Role
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.people.models import Residency, Resident
from fangkong.testing import selectors
from fangkong.testing.models_doorknock import DoorKnockOutcome, KnockOutcome
from fangkong.testing.services.doorknock import generate_doorknock_tasks
from fangkong.testing.services.doorknock_outcomes import record_doorknock_outcome
from fangkong.testing.services.rounds import create_tubes
from fangkong.work.models import Task, TaskState

from . import test_coverage

# The coverage tests' residents: 李娜, 赵敏 (grid 111), 陈静 (112) and 杨磊 (211) not yet tested.
people = test_coverage.people
sampled = test_coverage.sampled
sample = test_coverage.sample


def home_of(resident) -> str:
    return Resident.objects.select_related("household").get(pk=resident.pk).household.code


def task_for(round_, resident) -> Task:
    return Task.objects.get(key=selectors.doorknock_key(round_.pk, home_of(resident)))


def state():
    return {
        t.detail["household"]: (t.state, t.detail["count"], t.assignee_id)
        for t in Task.objects.filter(kind="door_knock")
    }


@override_settings(FANGKONG_DOORKNOCK_DUE_HOURS=3)
def test_one_task_per_household_for_the_grid_worker_due_hours_after_creation(
    sampled, commander, grid_worker, mass_round, now
):
    p = sampled
    result = generate_doorknock_tasks(round=mass_round, user=commander, now=now)
    assert (result.created, result.people, result.open_tasks) == (4, 4, 4)
    assert state() == {
        home_of(p["李娜"]): ("open", 1, grid_worker.pk),
        home_of(p["赵敏"]): ("open", 1, grid_worker.pk),
        home_of(p["陈静"]): ("open", 1, None),  # no grid worker for grid 112
        home_of(p["杨磊"]): ("open", 1, None),
    }
    task = task_for(mass_round, p["李娜"])
    assert task.detail["resident_ids"] == [p["李娜"].pk] and task.area_code == G111
    # Due three hours from now, not at the round's deadline (which may already be past).
    assert task.due_at == now + dt.timedelta(hours=3)
    assert task.detail["address"].endswith(p["李娜"].household.room)


def test_generation_is_idempotent_and_follows_coverage(
    sampled, commander, grid_worker, station, tablet, mass_round, now
):
    p = sampled
    generate_doorknock_tasks(round=mass_round, user=commander)
    again = generate_doorknock_tasks(round=mass_round, user=commander)
    assert (again.created, again.updated, again.closed) == (0, 4, 0)
    assert Task.objects.count() == 4

    # 李娜 is tested: her household's task closes on the next run.
    tube = create_tubes(round=mass_round, count=1)[0]
    sample(station, tablet, tube, [p["李娜"]], now)
    assert generate_doorknock_tasks(round=mass_round, user=commander).closed == 1
    assert state()[home_of(p["李娜"])] == ("done", 0, grid_worker.pk)

    # 赵敏 is away; a rerun keeps the household done until someone new moves in.
    record_doorknock_outcome(
        task=task_for(mass_round, p["赵敏"]), user=grid_worker, outcome=KnockOutcome.AWAY
    )
    assert generate_doorknock_tasks(round=mass_round, user=commander).reopened == 0
    assert state()[home_of(p["赵敏"])] == ("done", 1, grid_worker.pk)
    Resident.objects.create(
        name="新租户",
        household=p["赵敏"].household,
        area_code=G111,
        residency=Residency.FLOATING,
    )
    assert generate_doorknock_tasks(round=mass_round, user=commander).reopened == 1
    assert state()[home_of(p["赵敏"])] == ("open", 2, grid_worker.pk)
    # The outcome spoke for 赵敏 alone: the household is unexplained again.
    assert not DoorKnockOutcome.objects.filter(household=p["赵敏"].household).exists()


def test_generation_for_one_node_leaves_other_grids_alone(sampled, commander, mass_round):
    result = generate_doorknock_tasks(round=mass_round, user=commander, area_code=G112)
    assert result.created == 1 and list(state()) == [home_of(sampled["陈静"])]
    generate_doorknock_tasks(round=mass_round, user=commander)
    generate_doorknock_tasks(round=mass_round, user=commander, area_code=G112)
    assert Task.objects.filter(state=TaskState.OPEN).count() == 4


@pytest.mark.parametrize(
    ("outcome", "extra", "explains"),
    [
        (KnockOutcome.SAMPLED_HERE, {}, True),
        (KnockOutcome.SAMPLED_ELSEWHERE, {"where": "郑大一附院"}, True),
        (KnockOutcome.AWAY, {}, True),
        (KnockOutcome.REFUSED, {}, True),
        (KnockOutcome.HOME_VISIT, {}, False),
        (KnockOutcome.NOBODY_HOME, {"revisit_at": "later"}, False),
    ],
)
def test_each_outcome_closes_or_keeps_the_household(
    sampled, commander, grid_worker, mass_round, now, outcome, extra, explains
):
    generate_doorknock_tasks(round=mass_round, user=commander)
    task = task_for(mass_round, sampled["李娜"])
    if extra.get("revisit_at"):
        extra = {"revisit_at": now + dt.timedelta(hours=5)}
    before = selectors.household_coverage(user=grid_worker, round=mass_round)
    assert (before.untested, before.unexplained) == (2, 2)  # grid 111: 李娜's and 赵敏's homes
    record_doorknock_outcome(task=task, user=grid_worker, outcome=outcome, now=now, **extra)
    task.refresh_from_db()
    after = selectors.household_coverage(user=grid_worker, round=mass_round)
    assert after.by_outcome == {outcome.value: 1}
    assert after.unexplained == (1 if explains else 2)
    assert task.state == (TaskState.DONE if explains else TaskState.OPEN)
    if outcome == KnockOutcome.NOBODY_HOME:
        assert task.due_at == now + dt.timedelta(hours=5)  # due again at the revisit


def test_full_coverage_only_when_no_household_is_left_unexplained(
    sampled, commander, grid_worker, mass_round, now
):
    generate_doorknock_tasks(round=mass_round, user=commander)
    p = sampled
    record_doorknock_outcome(
        task=task_for(mass_round, p["李娜"]), user=grid_worker, outcome=KnockOutcome.REFUSED
    )
    record_doorknock_outcome(
        task=task_for(mass_round, p["赵敏"]), user=grid_worker, outcome=KnockOutcome.HOME_VISIT
    )
    cov = selectors.household_coverage(user=grid_worker, round=mass_round)
    assert (cov.unexplained, cov.full_coverage) == (1, False)
    # A second visit replaces the first outcome: sampled elsewhere, at the hospital.
    record_doorknock_outcome(
        task=task_for(mass_round, p["赵敏"]),
        user=grid_worker,
        outcome=KnockOutcome.SAMPLED_ELSEWHERE,
        where="区人民医院",
    )
    cov = selectors.household_coverage(user=grid_worker, round=mass_round)
    assert (cov.unexplained, cov.full_coverage) == (0, True)
    assert [(o, n) for o, _label, n in cov.outcome_rows()] == [
        ("sampled_elsewhere", 1),
        ("refused", 1),
    ]
    # The district still has two unexplained households, in grids 112 and 211.
    district = selectors.household_coverage(user=commander, round=mass_round)
    assert (district.untested, district.unexplained, district.full_coverage) == (4, 2, False)
    # Someone without an address on record keeps the round from full coverage.
    Resident.objects.create(name="无址者", area_code=G111)
    cov = selectors.household_coverage(user=grid_worker, round=mass_round)
    assert (cov.unexplained, cov.without_address, cov.full_coverage) == (0, 1, False)


@pytest.mark.parametrize(
    ("outcome", "extra", "field"),
    [
        (KnockOutcome.SAMPLED_ELSEWHERE, {"where": "  "}, "where"),
        (KnockOutcome.NOBODY_HOME, {}, "revisit_at"),
        (KnockOutcome.NOBODY_HOME, {"revisit_at": "past"}, "revisit_at"),
        ("asleep", {}, "outcome"),
    ],
)
def test_outcomes_that_break_a_rule_are_refused(
    sampled, commander, grid_worker, mass_round, now, outcome, extra, field
):
    generate_doorknock_tasks(round=mass_round, user=commander)
    if extra.get("revisit_at"):
        extra = {"revisit_at": now - dt.timedelta(minutes=1)}
    task = task_for(mass_round, sampled["李娜"])
    with pytest.raises(RuleViolation) as exc:
        record_doorknock_outcome(task=task, user=grid_worker, outcome=outcome, now=now, **extra)
    assert exc.value.field == field
    assert not DoorKnockOutcome.objects.exists()


def test_door_knock_permissions(sampled, commander, grid_worker, make_user, mass_round):
    with pytest.raises(PermissionDeniedError):
        generate_doorknock_tasks(round=mass_round, user=grid_worker)
    assert AuditEntry.objects.filter(
        action=AuditAction.PERMISSION_DENIED, user=grid_worker
    ).exists()
    generate_doorknock_tasks(round=mass_round, user=commander)
    other = make_user(Role.GRID_WORKER, G112)
    task = task_for(mass_round, sampled["李娜"])
    with pytest.raises(PermissionDeniedError):
        record_doorknock_outcome(task=task, user=other, outcome=KnockOutcome.AWAY)
    assert Task.objects.get(pk=task.pk).state == TaskState.OPEN
    # A cancelled task takes no outcome.
    Task.objects.filter(pk=task.pk).update(state=TaskState.CANCELLED)
    with pytest.raises(RuleViolation) as exc:
        record_doorknock_outcome(task=task, user=grid_worker, outcome=KnockOutcome.AWAY)
    assert exc.value.status_code == 409


def test_my_tasks_are_mine_or_unassigned_in_my_grid(
    sampled, commander, grid_worker, make_user, mass_round
):
    generate_doorknock_tasks(round=mass_round, user=commander)
    mine = selectors.my_doorknock_tasks(user=grid_worker, round=mass_round)
    assert {t.detail["household"] for t in mine} == {
        home_of(sampled["李娜"]),
        home_of(sampled["赵敏"]),
    }
    elsewhere = make_user(Role.GRID_WORKER, G211)
    assert [
        t.detail["household"]
        for t in selectors.my_doorknock_tasks(user=elsewhere, round=mass_round)
    ] == [home_of(sampled["杨磊"])]
