"""The 13 June replay against a small demo district: the story on the timeline at the
newspaper's times, the zone stood still and lifted with who and why, and every figure of the
bulletin, the JSON and the rounds equal to what the database holds."""

import datetime as dt
import io
import json
import math
import re
import zoneinfo

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse

from fangkong.accounts.models import Role, User
from fangkong.accounts.services import create_user
from fangkong.command.models import IncidentStatus, TimelineEntry
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.demo.accounts import ensure_demo_accounts
from fangkong.demo.seed import clear_demo, seed_demo
from fangkong.people.models import HealthStatus, Resident
from fangkong.scenarios.june13 import run_june13
from fangkong.scenarios.june13_cast import PAPER_COMMUNITY, PAPER_PEOPLE, find_places, plan_people
from fangkong.services.models import MedicalTrip, ServiceRequest, TripState
from fangkong.testing import models as testing_models
from fangkong.testing.models import (
    RetestOrder,
    RetestState,
    Sample,
    Tube,
    TubeKind,
    TubeState,
)
from fangkong.testing.selectors import bulletin_phrase, household_coverage
from fangkong.work.models import Task, TaskState
from fangkong.zones.models import Pass, ZoneChange, ZoneStatus

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
RESIDENTS = 2_000
SCALE = 0.05

STORY = [
    "pool_positive",  # 03:04 the 20:1 tube, its 20 people listed
    "role",  # 03:20 the commander leads the drill
    "note",  # 03:20 the three-level grid mobilised
    "zone_designated",  # 03:35 瓦屋李新居 stands still
    "note",  # 04:00 five units tested
    "result_flagged",  # 09:40 the student's retest: negative, Ct slightly high, to the CDC
    "pool_cleared",  # 09:40 the 20 single-tube retests negative
    "note",  # 10:00 the standstill's elderly living alone visited
    "note",  # 12:00 the community's residents tested
    "medical_trip",  # 12:20 one resident back from the hospital, trip closed
    "note",  # 15:45 all negative
    "zone_lifted",  # 16:54 lifted, with who and why
    "note",  # 16:54 the student and family stay home 7 days
    "closed",  # 16:54 the incident closed with its summary
    "note",  # 17:30 the bulletin went out
]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo_district(django_db_setup, django_db_blocker):
    """The demo district, generated once for the module (each test's writes roll back)."""
    with django_db_blocker.unblock():
        seed_demo(residents=RESIDENTS, seed=613, progress=False)
    yield
    with django_db_blocker.unblock():
        clear_demo()


@pytest.fixture
def demo(demo_district, db):
    ensure_demo_accounts()
    return User.objects.get(username="commander")


@pytest.fixture
def replay(demo):
    return run_june13(user=demo, scale=SCALE)


def local(at: dt.datetime) -> dt.datetime:
    return at.astimezone(SHANGHAI)


def db_figures(round_ids) -> dict:
    """Tubes, people, environmental tubes and points of rounds, counted straight from rows."""
    tubes = Tube.objects.filter(round_id__in=round_ids)
    env = tubes.filter(kind=TubeKind.ENVIRONMENT).exclude(state=TubeState.OPEN)
    return {
        "tubes": tubes.filter(kind=TubeKind.PEOPLE, sample_count__gt=0).count(),
        "people": Sample.objects.filter(round_id__in=round_ids).count(),
        "environment_tubes": env.count(),
        "environment_points": env.aggregate(n=Sum("swab_points"))["n"] or 0,
    }


def test_the_timeline_reads_like_the_newspaper(replay):
    incident = replay.incident
    entries = list(TimelineEntry.objects.filter(incident=incident).order_by("at", "id"))
    assert [e.kind for e in entries] == STORY
    assert local(incident.opened_at) == dt.datetime(2022, 6, 13, 3, 4, tzinfo=SHANGHAI)
    assert incident.status == IncidentStatus.CLOSED
    assert local(incident.closed_at) >= dt.datetime(2022, 6, 13, 16, 54, tzinfo=SHANGHAI)
    assert local(entries[2].at).strftime("%H:%M") == "03:20"
    lifted = next(e for e in entries if e.kind == "zone_lifted")
    assert local(lifted.at).strftime("%H:%M") == "16:54"
    assert all(local(e.at).date() == dt.date(2022, 6, 13) for e in entries)
    assert incident.summary and incident.summary_en


def test_the_tube_opens_the_incident_through_the_positive_pool_response(replay):
    source = Tube.objects.get(barcode=replay.incident.source_event.payload["barcode"])
    assert source.capacity == 20 and source.sample_count == 20
    assert source.result == "presumptive_positive"
    assert source.station.site.place.name_zh == "瓦屋李采样小屋"
    members = Sample.objects.filter(tube=source).values_list("resident_id", flat=True)
    orders = RetestOrder.objects.filter(source_tube=source)
    assert orders.count() == 20
    assert set(orders.values_list("state", flat=True)) == {RetestState.NEGATIVE}
    # Everyone cleared by their single-tube retest is back to normal.
    assert set(Resident.objects.filter(pk__in=members).values_list("health_status", flat=True)) == {
        HealthStatus.NORMAL
    }


def test_the_standstill_covers_everyone_inside_and_is_lifted_with_who_and_why(replay):
    zone = replay.zone
    zone.refresh_from_db()
    assert zone.kind == "standstill" and zone.name.startswith("瓦屋李新居")
    assert zone.status == ZoneStatus.LIFTED
    assert local(zone.ended_at).strftime("%H:%M") == "16:54"
    change = ZoneChange.objects.get(zone=zone, action=ZoneChange.Action.LIFT)
    assert change.by == replay.incident.commander or change.by.username == "commander"
    assert "全部阴性" in change.reason
    xinju = find_places().xinju
    inside = Resident.objects.filter(
        household__building__compound=xinju, status="active"
    ).values_list("id", flat=True)
    zone_round = zone.schedule.get().round
    tested = set(Sample.objects.filter(round=zone_round).values_list("resident_id", flat=True))
    assert set(inside) <= tested
    # The grid workers' checks of the day were done; no day after it is left to do.
    tasks = Task.objects.filter(detail__zone_id=zone.pk)
    assert tasks.exists() and not tasks.filter(state=TaskState.OPEN).exists()


def test_every_figure_of_the_bulletin_and_rounds_is_counted_from_the_database(replay):
    for figures in replay.rounds:
        assert figures.as_json() | {"name": figures.name} == {
            "name": figures.name,
            "pool_size": figures.pool_size,
            **db_figures([figures.round_id]),
        }
    # The figures the command centre stored with the bulletin are the rows' counts too.
    for r in replay.bulletin.figures["rounds"]:
        expected = db_figures([r["id"]])
        assert r["stats"]["people_tubes"] == expected["tubes"]
        assert r["stats"]["people_total"] == expected["people"]
        assert r["stats"]["environment"] == {
            "tubes": expected["environment_tubes"],
            "points": expected["environment_points"],
        }
    # The district-wide sentence of the newspaper, from the five targeted rounds.
    total = db_figures(replay.round_ids)
    response = replay.bulletin.figures["response"]["stats"]
    assert (response["people_tubes"], response["people_total"]) == (total["tubes"], total["people"])
    assert response["environment"] == {
        "tubes": total["environment_tubes"],
        "points": total["environment_points"],
    }
    phrase = (
        f"全区采集20:1标本{total['tubes']}管{total['people']}人，"
        f"外环境样本{total['environment_tubes']}管{total['environment_points']}个点位"
    )
    assert phrase in replay.bulletin.text_zh
    assert phrase[2:] == bulletin_phrase(replay.bulletin_statistics())
    assert "本轮样本检测结果全部显示阴性" in replay.bulletin.text_zh
    assert "瓦屋李新居全面恢复正常生活秩序" in replay.bulletin.text_zh
    assert replay.bulletin.reference_zh == "高新防控演练通报〔2022〕1号"
    # Every tube of those rounds came back negative.
    resulted = Tube.objects.filter(round_id__in=replay.round_ids)
    assert set(resulted.values_list("result", flat=True)) == {"negative"}


def test_the_scale_multiplies_the_newspapers_figures(replay):
    total = db_figures(replay.round_ids)
    assert total["people"] == round(PAPER_PEOPLE * SCALE)  # 340
    # 360 × 0.05 tubes, or more when five queues each end in a part-filled tube.
    people = [r.people for r in replay.rounds[:5]]
    assert total["tubes"] == max(round(360 * SCALE), sum(math.ceil(p / 20) for p in people))
    assert total["environment_tubes"] == 1 and total["environment_points"] == 10
    assert len(replay.round_ids) == 5


def test_the_cli_prints_the_replay_as_json(demo):
    out = io.StringIO()
    call_command("scenario", "run", "june13", "--json", stdout=out, stderr=io.StringIO())
    data = json.loads(out.getvalue())
    assert set(data) == {"incident", "bulletin", "rounds", "orders"}
    assert set(data["incident"]) == {"opened_at", "closed_at", "timeline"}
    assert data["incident"]["opened_at"] == "2022-06-13T03:04:00+08:00"
    assert data["incident"]["closed_at"] >= "2022-06-13T16:54:00+08:00"
    timeline = data["incident"]["timeline"]
    assert all(set(e) == {"at", "kind", "text", "narrative"} for e in timeline)
    assert [e["kind"] for e in timeline] == STORY
    # What a person typed (the notes, the closing summary) is marked apart from system events.
    assert [e["narrative"] for e in timeline] == [k in ("note", "closed") for k in STORY]
    assert data["bulletin"].startswith("演练\n\n高新防控演练通报〔2022〕")
    keys = {"name", "pool_size", "tubes", "people", "environment_tubes", "environment_points"}
    assert all(set(r) == keys for r in data["rounds"])
    assert sum(r["people"] for r in data["rounds"][:5]) == round(PAPER_PEOPLE * 0.05)
    # The student and the people living with them: home isolation for 7 days, as orders.
    (orders,) = data["orders"]
    assert {k: orders[k] for k in ("kind", "start", "end")} == {
        "kind": "home_quarantine",
        "start": "2022-06-13",
        "end": "2022-06-20",
    }
    isolated = re.search(r"共(\d+)人采取居家隔离", data["bulletin"]).group(1)
    assert orders["people"] == int(isolated)


def test_a_replay_can_run_again_on_the_same_database(replay, demo):
    again = run_june13(user=demo, scale=SCALE)
    assert again.incident.pk != replay.incident.pk
    assert again.bulletin.number == replay.bulletin.number + 1


def test_only_a_commander_may_replay(demo):
    worker = create_user(
        username="grid-a",
        password="x" * 12,
        role=Role.GRID_WORKER,
        scope_code=find_places().community.code,
    )
    with pytest.raises(PermissionDeniedError):
        run_june13(user=worker)
    with pytest.raises(RuleViolation):
        run_june13(user=demo, scale=2)


def test_the_button_runs_the_replay_and_opens_the_incident(client, demo):
    client.force_login(demo)
    response = client.post(reverse("scenario_run", args=["june13"]), {"scale": "0.05"})
    assert response.status_code == 302
    incident = TimelineEntry.objects.get(kind="pool_positive").incident
    assert response["Location"] == reverse("command:incident", args=[incident.pk])
    assert client.get(reverse("scenario_run", args=["june13"])).status_code == 405
    assert client.post(reverse("scenario_run", args=["nope"])).status_code == 404


def test_the_button_is_refused_to_a_grid_worker(client, demo):
    worker = create_user(
        username="grid-b",
        password="x" * 12,
        role=Role.GRID_WORKER,
        scope_code=find_places().community.code,
    )
    client.force_login(worker)
    assert client.post(reverse("scenario_run", args=["june13"])).status_code == 403
    assert not TimelineEntry.objects.exists()


# ---------------------------------------------------------------------------------------------
# Who is tested, as a plan


def test_at_full_scale_the_plan_is_the_newspapers_night():
    # The 50,000-resident demo district: 瓦屋李 holds 5,756 people, 2,302 in 瓦屋李新居.
    plan = plan_people(scale=1, xinju=2302, yating=1260, quarters=2170, outside=17_000)
    assert plan["xinju"] == 2302
    assert plan["xinju"] + plan["yating"] + plan["quarters"] == PAPER_COMMUNITY
    assert sum(plan.values()) == PAPER_PEOPLE
    assert plan["school"] > plan["company"] > 0


def test_what_the_community_lacks_is_tested_elsewhere():
    plan = plan_people(scale=1, xinju=848, yating=466, quarters=806, outside=8000)
    assert (plan["yating"], plan["quarters"]) == (466, 806)
    assert sum(plan.values()) == PAPER_PEOPLE


def test_the_standstill_compound_is_tested_in_full_even_when_larger_than_the_scale():
    plan = plan_people(scale=0.05, xinju=848, yating=466, quarters=806, outside=8000)
    assert plan["xinju"] == 848
    assert min(plan["yating"], plan["quarters"], plan["school"], plan["company"]) >= 20


def test_a_district_without_enough_people_tests_all_it_has():
    plan = plan_people(scale=1, xinju=10, yating=5, quarters=3, outside=30)
    assert plan == {"xinju": 10, "yating": 5, "quarters": 3, "school": 15, "company": 15}


def test_the_standstills_elderly_are_visited_and_one_medical_trip_made_and_closed(replay):
    checks = ServiceRequest.objects.filter(kind="welfare_check", channel="proactive")
    assert checks.count() == replay.zone.elderly_alone > 0
    assert set(checks.values_list("state", flat=True)) == {"fulfilled"}
    trip = MedicalTrip.objects.get(request__resident__isnull=False)
    assert trip.state == TripState.BACK
    issued = Pass.objects.get(pk=trip.pass_id)
    assert issued.zone_id == replay.zone.pk and issued.purpose == "medical"
    assert local(trip.back_at).strftime("%H:%M") == "12:20"


def test_the_noon_note_never_says_complete_while_households_are_unexplained(replay, demo):
    noon = next(
        e
        for e in TimelineEntry.objects.filter(incident=replay.incident, kind="note")
        if local(e.at).strftime("%H:%M") == "12:00"
    )
    knocks = list(Task.objects.filter(kind="door_knock"))
    # One task per household, created before noon and due two hours later (the setting).
    assert knocks and len({t.key for t in knocks}) == len(knocks)
    assert {local(t.due_at).strftime("%m-%d %H:%M") for t in knocks} == {"06-13 13:55"}
    rounds = testing_models.TestingRound.objects.filter(pk__in={t.detail["round"] for t in knocks})
    unexplained = sum(household_coverage(user=demo, round=r).unexplained for r in rounds)
    # At this scale the booths sample only part of 玉兰雅亭 and the self-built houses.
    assert unexplained > 0
    assert "完成" not in noon.text and f"尚有{unexplained}户未说明情况" in noon.text


def test_the_students_slightly_high_result_is_flagged_for_the_district_cdc(replay):
    flagged = TimelineEntry.objects.get(incident=replay.incident, kind="result_flagged")
    assert local(flagged.at).strftime("%H:%M") == "09:40"
    assert "指标稍高" in flagged.text and "37.6" in flagged.text and "38.1" in flagged.text
    review = Task.objects.get(kind="result_review")
    assert review.assignee.username == "cdc" and review.detail["flag"] == "slightly_high"
    assert "指标稍高" in replay.bulletin.text_zh and "区疾控中心复核" in replay.bulletin.text_zh
