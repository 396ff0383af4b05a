"""Lifting and downgrade: the checklist from the data, the proposal, the commander's
confirmation recorded with who and why, and the events."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from devtools.fixtures import G111, G112
from fangkong.accounts.models import Role
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.models import OutboxEvent
from fangkong.people.models import HealthStatus, Resident
from fangkong.work.models import Task, TaskState
from fangkong.zones.models import RiskZone, ZoneChange, ZoneEvaluation, ZoneStatus
from fangkong.zones.protocols import get_preset
from fangkong.zones.services.lifting import (
    downgrade_zone,
    evaluate_all,
    evaluate_zone,
    lift_zone,
)

from .conftest import B1111, B1121, COMPOUND, G211

INSIDE = ("张伟", "王芳", "李娜")


@pytest.fixture
def t0():
    """Designation time: 09:00 local, twenty days ago (everything happens in the past)."""
    return (timezone.localtime() - dt.timedelta(days=20)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )


def on_day(t0, day: int, hour: int = 17) -> dt.datetime:
    return t0 + dt.timedelta(days=day - 1, hours=hour - 9)


@pytest.fixture
def sealed(designate, people, t0):
    return designate("sealed", [COMPOUND], designated_at=t0, reason="阳性病例居住地")


def checks(evaluation) -> dict:
    return {c.code: c.ok for c in evaluation.checks}


def test_a_sealed_zone_is_proposed_for_lifting_on_day_14_after_a_clean_final_round(
    sealed, people, run_round, t0
):
    run_round(sealed, 14, [people[n] for n in INSIDE])
    early = evaluate_zone(sealed, now=on_day(t0, 13))
    assert early.proposal is None and checks(early)["days_without_infection"] is False
    evaluation = evaluate_zone(sealed, now=on_day(t0, 14))
    assert evaluation.clean_day == 14 and evaluation.final_round.day == 14
    assert checks(evaluation) == {
        "days_without_infection": True,
        "final_round_day": True,
        "final_round_complete": True,
        "final_round_negative": True,
        "contacts_released": None,  # tracing is not on yet: the commander confirms it
    }
    assert evaluation.proposal == "lift" and len(evaluation.manual_checks) == 1
    stored = ZoneEvaluation.objects.filter(zone=sealed).first()  # the latest day
    assert stored.proposal == "lift" and stored.clean_day == 14 and len(stored.checklist) == 5


def test_an_infection_inside_restarts_the_count(sealed, people, run_round, t0):
    run_round(sealed, 14, [people[n] for n in INSIDE])
    Resident.objects.filter(pk=people["王芳"].pk).update(
        health_status=HealthStatus.CASE_TO_INVESTIGATE, updated_at=on_day(t0, 5, 11)
    )
    evaluation = evaluate_zone(sealed, now=on_day(t0, 14))
    assert evaluation.clean_day == 10 and evaluation.last_infection_at == on_day(t0, 5, 11)
    assert checks(evaluation)["days_without_infection"] is False
    assert checks(evaluation)["final_round_day"] is False  # day 14 is day 10 of the new count
    assert evaluation.proposal is None


@pytest.mark.parametrize(
    ("who", "results", "failing"),
    [
        (INSIDE[:2], "negative", "final_round_complete"),
        (INSIDE, ["negative", "positive", "negative"], "final_round_negative"),
        (INSIDE, None, "final_round_negative"),  # results not back yet
    ],
)
def test_the_final_round_must_cover_everyone_and_be_negative(
    sealed, people, run_round, t0, who, results, failing
):
    run_round(sealed, 14, [people[n] for n in who], results)
    evaluation = evaluate_zone(sealed, now=on_day(t0, 14))
    assert checks(evaluation)[failing] is False and evaluation.proposal is None


def test_an_old_final_round_does_not_count(sealed, people, run_round, t0):
    run_round(sealed, 10, [people[n] for n in INSIDE])
    # Day 14's round has started but nobody is sampled: it is the final round, incomplete.
    evaluation = evaluate_zone(sealed, now=on_day(t0, 14))
    assert evaluation.final_round.day == 14 and evaluation.proposal is None


def test_the_commander_lifts_with_a_reason_and_it_is_recorded(
    sealed, people, run_round, commander, t0, django_capture_on_commit_callbacks
):
    run_round(sealed, 14, [people[n] for n in INSIDE])
    with pytest.raises(RuleViolation) as caught:
        lift_zone(zone=sealed, user=commander, reason=" ", now=on_day(t0, 14))
    assert caught.value.field == "reason"
    with django_capture_on_commit_callbacks(execute=True):
        lift_zone(
            zone=sealed, user=commander, reason="连续14天无新增，末轮全员阴性", now=on_day(t0, 14)
        )
    sealed.refresh_from_db()
    assert (sealed.status, sealed.ended_by, sealed.ended_at) == (
        ZoneStatus.LIFTED,
        commander,
        on_day(t0, 14),
    )
    change = ZoneChange.objects.get(zone=sealed, action="lift")
    assert change.by == commander and change.reason.startswith("连续14天")
    assert {c["code"] for c in change.checklist} >= {"days_without_infection"}
    event = OutboxEvent.objects.get(kind="zones.zone_lifted")
    assert event.payload["zone_id"] == sealed.pk and event.processed_at is not None
    # Lifted on day 14 of 14: nothing left to cancel; the zone no longer applies anywhere.
    assert not Task.objects.filter(state=TaskState.CANCELLED).exists()
    with pytest.raises(RuleViolation) as caught:
        lift_zone(zone=sealed, user=commander, reason="again", now=on_day(t0, 15))
    assert caught.value.code == "ended"


def test_lifting_is_refused_until_the_criteria_hold(sealed, people, commander, t0):
    with pytest.raises(RuleViolation) as caught:
        lift_zone(zone=sealed, user=commander, reason="早点解封", now=on_day(t0, 8))
    assert caught.value.code == "criteria_not_met"
    assert RiskZone.objects.get(pk=sealed.pk).status == ZoneStatus.ACTIVE


def test_only_the_command_lifts(sealed, people, run_round, make_user, t0):
    run_round(sealed, 14, [people[n] for n in INSIDE])
    with pytest.raises(PermissionDeniedError):
        lift_zone(zone=sealed, user=make_user(Role.COMMUNITY_STAFF, G111), reason="x")


def test_a_high_risk_area_is_downgraded_to_medium_then_low(
    designate, people, run_round, commander, t0
):
    nine = get_preset("cn-9th-edition-2022")
    high = designate("high", [B1121], protocol=nine, designated_at=t0)
    run_round(high, 7, [people["刘洋"], people["陈静"]])
    evaluation = evaluate_zone(high, now=on_day(t0, 7))
    assert (evaluation.proposal, evaluation.downgrade_to) == ("downgrade", "medium")
    with pytest.raises(RuleViolation):
        lift_zone(zone=high, user=commander, reason="x", now=on_day(t0, 7))  # not the path
    medium = downgrade_zone(zone=high, user=commander, reason="第7天全员阴性", now=on_day(t0, 7))
    high.refresh_from_db()
    assert high.status == ZoneStatus.DOWNGRADED and medium.downgraded_from == high
    assert (medium.kind, medium.regime, medium.protocol) == ("medium", "controlled", nine)
    assert [s.day for s in medium.schedule.all()] == [1, 4, 7]
    assert OutboxEvent.objects.get(kind="zones.zone_downgraded").payload["new_zone_id"] == medium.pk
    # Reached by downgrade: three more clean days, counted from the downgrade (day 1).
    assert evaluate_zone(medium, now=on_day(t0, 8)).proposal is None
    later = evaluate_zone(medium, now=on_day(t0, 9))
    assert (later.proposal, later.downgrade_to) == ("downgrade", "low")
    low = downgrade_zone(zone=medium, user=commander, reason="再3天无新增", now=on_day(t0, 9))
    assert low.kind == "low" and low.regime == "precaution"
    # A low-risk area waits for the high and medium ones: none is left, so it may end.
    assert evaluate_zone(low, now=on_day(t0, 9)).proposal == "lift"


def test_a_downgrade_must_go_lower(designate, people, run_round, commander, t0):
    nine = get_preset("cn-9th-edition-2022")
    medium = designate("medium", [B1121], protocol=nine, designated_at=t0)
    with pytest.raises(RuleViolation) as caught:
        downgrade_zone(zone=medium, user=commander, reason="x", to_kind="high")
    assert caught.value.field == "to_kind"


def test_a_precaution_zone_waits_for_the_sealed_and_controlled_ones(
    designate, sealed, people, run_round, commander, t0
):
    precaution = designate("precaution", [G112], designated_at=t0)
    assert evaluate_zone(precaution, now=on_day(t0, 14)).proposal is None
    run_round(sealed, 14, [people[n] for n in INSIDE])
    lift_zone(zone=sealed, user=commander, reason="解封", now=on_day(t0, 14))
    assert evaluate_zone(precaution, now=on_day(t0, 14)).proposal == "lift"


def test_a_standstill_is_lifted_by_hand_when_its_round_is_all_negative(
    designate, people, run_round, commander, t0
):
    still = designate("standstill", [COMPOUND], designated_at=t0)
    run_round(
        still, 1, [people[n] for n in INSIDE], ["negative", "presumptive_positive", "negative"]
    )
    assert evaluate_zone(still, now=on_day(t0, 1)).proposal is None
    still2 = designate("standstill", [B1121], designated_at=t0)
    run_round(still2, 1, [people["刘洋"], people["陈静"]])
    evaluation = evaluate_zone(still2, now=on_day(t0, 1))
    assert checks(evaluation) == {"round_complete": True, "round_negative": True}
    lift_zone(zone=still2, user=commander, reason="全部阴性，恢复正常", now=on_day(t0, 1))
    assert RiskZone.objects.get(pk=still2.pk).status == ZoneStatus.LIFTED


def test_the_daily_evaluation_adds_the_day_and_can_run_twice(designate, people, make_user):
    worker = make_user(Role.GRID_WORKER, G112)
    start = timezone.now() - dt.timedelta(days=15)
    designate("sealed", [B1121], designated_at=start)
    tasks = Task.objects.filter(assignee=worker, kind="zone_daily")
    assert tasks.count() == 14
    evaluate_all()
    evaluate_all()
    assert tasks.count() == 15  # days 1–14 at designation, today (day 16) added once
    assert ZoneEvaluation.objects.count() == 1
    out = io.StringIO()
    call_command("zones", "evaluate", "--json", stdout=out)
    (row,) = json.loads(out.getvalue())
    assert row["clean_day"] == 16 and row["proposal"] is None
    text = io.StringIO()
    call_command("zones", "evaluate", stdout=text)
    assert "✗" in text.getvalue()
    listing = io.StringIO()
    call_command("zones", "list", stdout=listing)
    assert "sealed" in listing.getvalue()


def test_the_zone_page_evaluates_on_demand_and_confirms_the_lift(
    client, sealed, people, run_round, commander, t0, monkeypatch
):
    run_round(sealed, 14, [people[n] for n in INSIDE])
    monkeypatch.setattr(timezone, "now", lambda: on_day(t0, 14))
    client.force_login(commander)
    page = client.get(reverse("zones:zone", args=[sealed.pk])).content.decode()
    assert 'data-proposal="lift"' in page and 'data-testid="end-form"' in page
    assert 'data-check="contacts_released" data-ok="manual"' in page
    client.post(reverse("zones:evaluate", args=[sealed.pk]))
    assert ZoneEvaluation.objects.filter(zone=sealed).exists()
    url = reverse("zones:end", args=[sealed.pk])
    refused = client.post(url, {"action": "lift", "reason": "解封"})
    assert refused.status_code == 200 and "confirm_manual" in refused.content.decode()
    assert RiskZone.objects.get(pk=sealed.pk).status == ZoneStatus.ACTIVE
    done = client.post(url, {"action": "lift", "reason": "解封", "confirm_manual": "on"})
    assert done.status_code == 302
    assert RiskZone.objects.get(pk=sealed.pk).status == ZoneStatus.LIFTED


def test_an_infection_late_in_the_schedule_adds_a_final_round(designate, people, run_round, t0):
    zone = designate("controlled", [B1121], designated_at=t0)
    Resident.objects.filter(pk=people["刘洋"].pk).update(
        health_status=HealthStatus.CASE_TO_INVESTIGATE, updated_at=on_day(t0, 6, 11)
    )
    evaluation = evaluate_zone(zone, now=on_day(t0, 7))
    assert evaluation.escalate_to == "sealed"  # a positive inside turns it into a sealed zone
    # The count restarts on day 6, so the final round must fall on day 6 + 14 - 2 - 1 = 17 or
    # later: the schedule (last round day 14) is extended with a round on day 19.
    from fangkong.zones.services.lifting import extend_schedule

    added = extend_schedule(zone, evaluation)
    assert added.day == 19 and added.round.starts_at == t0 + dt.timedelta(days=18)
    assert added.round.pool_size == 10 and added.round.stations.count() == 1
    assert extend_schedule(zone, evaluate_zone(zone, now=on_day(t0, 7))) is None


def test_the_daily_task_runs_the_evaluation(designate, people):
    from fangkong.zones.tasks import evaluate_zones_daily

    designate("precaution", [G112])
    assert evaluate_zones_daily.call() == {"zones": 1, "proposals": 1}
    assert ZoneEvaluation.objects.get().proposal == "lift"


# --- the daily pass over every zone: set-based, the same rule as one zone at a time ------------


def _summary(e) -> dict:
    final = e.final_round
    return {
        "checklist": e.checklist(),
        "proposal": e.proposal,
        "downgrade_to": e.downgrade_to,
        "escalate_to": e.escalate_to,
        "clean_day": e.clean_day,
        "reference_date": e.reference_date,
        "last_infection_at": e.last_infection_at,
        "final_round": final and (final.day, final.inside, final.sampled, final.negative),
    }


def test_the_daily_pass_gives_each_zone_its_own_evaluation(
    designate, sealed, people, run_round, commander, t0
):
    """Sealed with a clean final round, high → medium by downgrade, controlled with an
    infection inside, a precaution zone waiting for them, a standstill half sampled."""
    nine = get_preset("cn-9th-edition-2022")
    run_round(sealed, 14, [people[n] for n in INSIDE])
    high = designate("high", [B1121], protocol=nine, designated_at=on_day(t0, 1))
    run_round(high, 7, [people["刘洋"], people["陈静"]])
    medium = downgrade_zone(zone=high, user=commander, reason="第7天全员阴性", now=on_day(t0, 7))
    controlled = designate("controlled", [G211], designated_at=on_day(t0, 2))
    Resident.objects.filter(pk=people["杨磊"].pk).update(
        health_status=HealthStatus.CASE_TO_INVESTIGATE, updated_at=on_day(t0, 9, 11)
    )
    precaution = designate("precaution", [G111, G112], designated_at=on_day(t0, 3))
    still = designate("standstill", [B1111], designated_at=on_day(t0, 14, 8))
    run_round(still, 1, [people["张伟"], people["王芳"]])
    now = on_day(t0, 14)
    together = {e.zone.pk: e for e in evaluate_all(now=now)}
    zones = [sealed, medium, controlled, precaution, still]
    assert sorted(together) == sorted(z.pk for z in zones)  # the downgraded high is not active
    for zone in zones:
        alone = evaluate_zone(RiskZone.objects.get(pk=zone.pk), now=now, save=False)
        assert _summary(together[zone.pk]) == _summary(alone), zone.kind
    got = {pk: e.proposal for pk, e in together.items()}
    assert got == {
        sealed.pk: "lift",
        medium.pk: "downgrade",  # 3 clean days after the downgrade
        controlled.pk: None,
        precaution.pk: None,  # waits for the sealed and controlled zones
        still.pk: None,
    }
    assert together[controlled.pk].escalate_to == "sealed"
    # The infection on day 9 asked for a later final round: added once, however often it runs.
    rounds = controlled.schedule.count()
    assert rounds == 6
    evaluate_all(now=now)
    assert controlled.schedule.count() == rounds
    # Stored as the day's evaluations, one per zone, as evaluate_zone stores them.
    stored = {e.zone_id: e for e in ZoneEvaluation.objects.filter(date=now.date())}
    assert {pk: stored[pk].checklist for pk in got} == {
        pk: e.checklist() for pk, e in together.items()
    }
    # The counts stored on the zones are those of the one-zone query.
    from fangkong.zones import selectors

    for zone in RiskZone.objects.filter(pk__in=got):
        assert selectors.count_people(zone.members.all()) == {
            "residents": zone.residents,
            "elderly_alone": zone.elderly_alone,
            "medical_trips": zone.medical_trips,
        }


def test_the_daily_pass_takes_the_same_queries_for_two_zones_or_six(designate, people, t0):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def run(day: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            evaluations = evaluate_all(now=on_day(t0, day))
        assert ZoneEvaluation.objects.filter(date=on_day(t0, day).date()).count() == len(
            evaluations
        )
        return len(queries)

    # Both runs have a zone waiting for others and new daily tasks to write (a standstill's
    # are made a day at a time), so they issue the same kinds of statement.
    designate("precaution", [G111], designated_at=t0)
    designate("standstill", [B1111], designated_at=t0)
    two = run(3)
    designate("sealed", [COMPOUND], designated_at=t0)
    designate("controlled", [G112], designated_at=t0)
    designate("sealed", [B1121], designated_at=t0)
    designate("high", [G211], protocol=get_preset("cn-9th-edition-2022"), designated_at=t0)
    six = run(4)
    assert six == two <= 17  # savepoint and release included


def test_a_zone_that_ends_cancels_its_rounds_not_yet_started(
    designate, people, run_round, commander, t0
):
    from fangkong.testing.models import RoundStatus

    nine = get_preset("cn-9th-edition-2022")
    high = designate("high", [B1121], protocol=nine, designated_at=t0)
    run_round(high, 7, [people["刘洋"], people["陈静"]])
    medium = downgrade_zone(zone=high, user=commander, reason="第7天全员阴性", now=on_day(t0, 7))
    assert {s.round.status for s in high.schedule.all()} == {RoundStatus.ACTIVE}  # all started
    run_round(medium, 7, [people["刘洋"]])  # sampled ahead of its day: left to the testing staff
    downgrade_zone(zone=medium, user=commander, reason="再3天无新增", now=on_day(t0, 9))
    status = {s.day: s.round.status for s in medium.schedule.select_related("round")}
    # Day 1 began at the downgrade (day 7, 17:00); days 4 and 7 had not begun on day 9.
    assert status == {1: RoundStatus.ACTIVE, 4: RoundStatus.CANCELLED, 7: RoundStatus.ACTIVE}


def test_checklists_and_pages_name_zone_kinds_as_staff_do(
    designate, sealed, people, client, commander, t0, monkeypatch
):
    precaution = designate("precaution", [G112], designated_at=t0)
    (waiting,) = [
        c
        for c in evaluate_zone(precaution, now=on_day(t0, 3)).checks
        if c.code == "stricter_zones_lifted"
    ]
    assert "封控区 / 管控区" in waiting.label and "sealed" not in waiting.label
    controlled = designate("controlled", [B1121], designated_at=t0)
    Resident.objects.filter(pk=people["刘洋"].pk).update(
        health_status=HealthStatus.CASE_TO_INVESTIGATE, updated_at=on_day(t0, 2, 11)
    )
    monkeypatch.setattr(timezone, "now", lambda: on_day(t0, 3))
    client.force_login(commander)
    page = client.get(reverse("zones:zone", args=[controlled.pk])).content.decode()
    assert 'data-testid="escalate"' in page and "调整为封控区" in page
    assert "第几天" in page  # the schedule's day column, not a date
