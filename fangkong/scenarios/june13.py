"""The 13 June 2022 replay: a presumptive-positive 20:1 tube from the 瓦屋李 sampling booth.

高新时报, "从凌晨3时到下午4时 高新区与病毒赛跑": at 03:04 the district's CDC hears that a 20:1
tube from the 瓦屋李采样小屋 is a presumptive positive; at 03:20 the three-level grid is out;
瓦屋李新居 stands still from 3-something; from 04:00 the homes and workplaces of the 20 people
are tested — 瓦屋李新居, 冬青街瑞达路煤气管道公司, 高新区三十七中, 玉兰雅亭 and the self-built
houses around the 玉兰街凯旋路药厂家属院; by noon 5,293 tests in the community; 360 tubes of
20:1 with 6,799 people and 8 environmental tubes of 80 swab points district-wide; all
negative in the afternoon; at 16:54 the standstill is lifted, one student of 郑州大学南校区
and family stay home for 7 days.

The replay writes all of it through the services, on the scenario's clock: the real date,
13 June 2022, Asia/Shanghai (the district's time zone), so the timeline reads like the
newspaper; pass `day=` to replay it on another date (same times). `scale` multiplies the
newspaper's figures; the standstill compound is always tested in full whatever the scale,
because the protocol lifts a standstill only when everyone inside is sampled and negative.
Every figure the replay prints is counted from the rows it wrote.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.command.models import Bulletin, Incident, TimelineEntry
from fangkong.command.services.drills import remember_drill_records
from fangkong.command.services.tasks import set_task_state
from fangkong.core.errors import RuleViolation
from fangkong.lab.services.results import ResultIn
from fangkong.people.models import Resident
from fangkong.testing.models import Result, Sample, TestingRound, Tube
from fangkong.testing.selectors import bulletin_phrase
from fangkong.tracing.services.orders import isolate_household
from fangkong.work.models import Task, TaskState
from fangkong.zones.models import NoticeKind, RiskZone
from fangkong.zones.services.lifting import lift_zone
from fangkong.zones.services.notices import issue_notice
from fangkong.zones.services.schedules import task_key_prefix

from . import notes
from .june13_care import care_for_standstill
from .june13_cast import (
    CAMPUS,
    ISOLATION_DAYS,
    PAPER_ENV_POINTS,
    PAPER_ENV_TUBES,
    PAPER_TUBES,
    POOL,
    PUPIL_SHARE,
    XINJU,
    Outsiders,
    active_residents,
    find_places,
    plan_people,
)
from .june13_doorknock import knock_on_doors, noon_note
from .june13_morning import Morning
from .kit import Clock, RoundFigures, round_figures, rounds_statistics, spread, tube_counts

DAY = dt.date(2022, 6, 13)
DEFAULT_SCALE = 0.05  # 340 people in 18 tubes: a few seconds


# ---------------------------------------------------------------------------------------------
# The replay


@dataclass
class Replay:
    incident: Incident
    zone: RiskZone
    rounds: list[RoundFigures]
    bulletin: Bulletin
    scale: float
    seconds: float = 0.0
    round_ids: list[int] = field(default_factory=list)  # the rounds the bulletin counts
    orders: list[dict] = field(default_factory=list)  # home isolation of the student's household

    def bulletin_statistics(self) -> dict:
        """The five targeted rounds' figures summed, as `round_statistics` gives them."""
        return rounds_statistics(list(TestingRound.objects.filter(pk__in=self.round_ids)))

    def timeline(self) -> list[dict]:
        return [
            {
                "at": timezone.localtime(e.at).isoformat(),
                "kind": e.kind,
                "text": e.text,
                "narrative": e.narrative,
            }
            for e in TimelineEntry.objects.filter(incident=self.incident).order_by("at", "id")
        ]

    def as_json(self) -> dict:
        incident = self.incident
        return {
            "incident": {
                "opened_at": timezone.localtime(incident.opened_at).isoformat(),
                "closed_at": (
                    timezone.localtime(incident.closed_at).isoformat()
                    if incident.closed_at
                    else None
                ),
                "timeline": self.timeline(),
            },
            "bulletin": self.bulletin.text_zh,
            "rounds": [r.as_json() for r in self.rounds],
            "orders": self.orders,
        }


def run_june13(*, user, scale: float = DEFAULT_SCALE, day: dt.date = DAY) -> Replay:
    """Replay 13 June 2022 against the demo district as `user` (a district commander).

    All or nothing: one transaction; the events it writes are delivered as it goes.
    """
    if not 0 < scale <= 1:
        raise RuleViolation(
            field="scale", code="range", message=_("The scale lies above 0 and at most 1.")
        )
    places = find_places()
    require_permission(
        actor=user,
        action="manage_incidents",
        area_code=places.district.code,
        object_type="scenario",
        object_id="june13",
    )
    started = time.perf_counter()
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        replay = _June13(user=user, scale=scale, clock=Clock(day), places=places).run()
    replay.seconds = time.perf_counter() - started
    return replay


class _June13(Morning):
    def run(self) -> Replay:
        self.setup()
        self.eve()
        self.alarm()
        self.mobilise()
        self.standstill()
        self.care = care_for_standstill(user=self.user, zone=self.zone, at=self.at, note=self.note)
        self.targeted_rounds()
        self.retest_members()
        self.sample_units()
        self.results()
        self.lift()
        self.close()
        return self.replay

    def sample_units(self) -> None:
        p = self.places
        members = set(self.members)
        people = {
            # 瓦屋李新居 in full: every active resident the zone counts, whatever their residency.
            "xinju": list(
                active_residents()
                .filter(household__building__compound=p.xinju)
                .order_by("household__building__code", "household__code", "id")
                .values_list("id", flat=True)
            ),
            "yating": [r for r, _ in self.homes["yating"] if r not in members],
            "quarters": [r for r, _ in self.homes["quarters"] if r not in members],
        }
        outside = Outsiders.around(p, self.clock.day)
        plan = plan_people(
            scale=self.scale,
            xinju=len(people["xinju"]),
            yating=len(people["yating"]),
            quarters=len(people["quarters"]),
            outside=outside.count(),
        )
        people["yating"] = people["yating"][: plan["yating"]]
        people["quarters"] = people["quarters"][: plan["quarters"]]
        pupils = outside.pick("pupils", round(plan["school"] * PUPIL_SHARE), set())
        staff = outside.pick("adults", plan["school"] - len(pupils), set())
        people["school"] = pupils + staff
        people["company"] = outside.pick("adults", plan["company"], set(staff))
        keys = list(self.units)
        tubes = dict(
            zip(
                keys,
                tube_counts([len(people[k]) for k in keys], round(PAPER_TUBES * self.scale), POOL),
                strict=True,
            )
        )
        windows = {
            "xinju": ((4, 20), (11, 30)),
            "yating": ((4, 5), (11, 40)),
            "quarters": ((4, 15), (11, 50)),
            "school": ((6, 30), (10, 30)),
            "company": ((8, 0), (10, 0)),
        }
        self.sampled_from = len(self.pipe.boxes)
        for key in keys:
            _name, _round, station = self.units[key]
            (h1, m1), (h2, m2) = windows[key]
            if people[key]:
                self.pipe.sample(
                    station=station,
                    actor=self.tablet,
                    people=people[key],
                    tubes=tubes[key],
                    capacity=POOL,
                    start=self.at(h1, m1),
                    end=self.at(h2, m2),
                )
        self.pipe.flush()
        env_tubes = max(1, round(PAPER_ENV_TUBES * self.scale))
        self.pipe.environment(
            station=self.units["xinju"][2],
            actor=self.tablet,
            tubes=env_tubes,
            points_per_tube=PAPER_ENV_POINTS // PAPER_ENV_TUBES,
            start=self.at(5),
            end=self.at(6, 30),
        )
        community_rounds = [self.units[k][1] for k in ("xinju", "yating", "quarters")]
        tests = Sample.objects.filter(round__in=community_rounds).count()
        knocked = knock_on_doors(user=self.user, rounds=community_rounds, at=self.at(11, 55))
        self.note(
            self.at(12), noon_note(community=p.community.name_zh, tests=tests, knocked=knocked)
        )
        self.knocked = knocked
        self.community_tests = tests

    def results(self) -> None:
        """The lab reports: the members' single tubes by mid-morning, the rest after noon."""
        retests = self.pipe.boxes[self.retest_from : self.sampled_from]
        student_tube = None
        if self.student is not None:
            student_tube = (
                Sample.objects.filter(round=self.retest_round, resident_id=self.student)
                .values_list("tube__barcode", flat=True)
                .first()
            )
        items = []
        for box in retests:
            for barcode in box.barcodes:
                # The student's tube: negative, with a late signal (Ct above the cut-off).
                ct = ("37.6", "38.1") if barcode == student_tube else (None, None)
                items.append(ResultIn(barcode, Result.NEGATIVE, *ct, self.at(9, 40)))
        self.pipe.report(items, at=self.at(9, 40))
        self.settle()
        boxes = self.pipe.boxes[self.sampled_from :]
        for box, at in zip(boxes, spread(self.at(13), self.at(15, 40), len(boxes)), strict=True):
            at = max(at, box.received_at + dt.timedelta(minutes=30))
            self.pipe.report(
                [ResultIn(b, Result.NEGATIVE, None, None, at) for b in box.barcodes], at=at
            )
        self.settle()
        self.bulletin_rounds = [r for _, r, _ in self.units.values()]
        self.stats = rounds_statistics(self.bulletin_rounds)
        tubes = Tube.objects.filter(round__in=self.bulletin_rounds).exclude(state="open")
        positive = tubes.exclude(result=Result.NEGATIVE).count()
        verdict = "结果全部阴性" if positive == 0 else f"其中{positive}管结果非阴性"
        self.note(
            self.at(15, 45),
            f"本轮样本检测结果回报：全区{bulletin_phrase(self.stats)}，{verdict}。",
        )

    def lift(self) -> None:
        # The grid workers' door-to-door checks of the day are done before the lift.
        for task in Task.objects.filter(
            key__startswith=task_key_prefix(self.zone),
            state=TaskState.OPEN,
            due_at__lt=self.at(0, days=1),
        ).select_related("assignee"):
            set_task_state(
                task=task,
                user=task.assignee or self.user,
                state=TaskState.DONE,
                now=self.at(16, 50),
            )
        self.zone.refresh_from_db()
        lift_zone(
            zone=self.zone,
            user=self.user,
            reason=(
                f"{XINJU}{self.zone.residents}名居民上门核酸采样全覆盖，结果全部阴性；"
                "经研判，解除临时静态管理，恢复正常生活秩序"
            ),
            now=self.at(16, 54),
        )
        self.settle()
        issue_notice(
            user=self.user,
            zones=[self.zone],
            kind=NoticeKind.LIFT,
            now=self.at(16, 55),
            drill=True,
        )
        family, who, self.orders = 0, "学生", []
        if self.student is not None:
            student = Resident.objects.get(pk=self.student)
            # The student and the people living with them: home isolation as control orders.
            self.orders = isolate_household(
                user=self.user,
                resident=student,
                kind="home_quarantine",
                start=self.clock.day,
                days=ISOLATION_DAYS,
                reason=f"{CAMPUS}学生核酸检测结果指标稍高，本人及同住家属居家隔离{ISOLATION_DAYS}天",
                drill=self.incident.drill,
            )
            family = active_residents().filter(household_id=student.household_id).count()
            who = f"学生{student.name[:1]}某"
        self.isolated = family
        self.note(
            self.at(16, 54),
            f"对指标稍高的{CAMPUS}{who}及其同住家属共{family}人采取居家隔离{ISOLATION_DAYS}天措施，"
            f"至{(self.clock.day + dt.timedelta(days=ISOLATION_DAYS)).month}月"
            f"{(self.clock.day + dt.timedelta(days=ISOLATION_DAYS)).day}日。",
        )

    def close(self) -> None:
        """16:54: the incident ends as the newspaper ends it; the bulletin goes out."""
        p = self.places
        summary = (
            f"除对指标稍高的{CAMPUS}学生及其同住家属共{self.isolated}人采取居家隔离"
            f"{ISOLATION_DAYS}天措施外，{XINJU}全面恢复正常生活秩序"
        )
        summary_en = (
            f"apart from a student of Zhengzhou University South Campus whose result was "
            f"slightly high, kept at home for {ISOLATION_DAYS} days with the family "
            f"({self.isolated} people in all), {p.xinju.name_en or XINJU} is back to normal life"
        )
        self.incident = notes.close_incident(
            incident=self.incident,
            user=self.user,
            at=self.at(16, 54),
            summary=summary,
            summary_en=summary_en,
        )
        remember_drill_records(
            incident=self.incident,
            rounds=[self.routine.pk, self.retest_round.pk]
            + [r.pk for _name, r, _station in self.units.values()],
            zones=[self.zone.pk],
            orders=[o.pk for o in self.orders],
            tokens=[self.tablet.pk, self.pipe.lab_actor.pk],
            requests=self.care.request_ids,
        )
        bulletin = notes.publish_bulletin(
            incident=self.incident, user=self.user, at=self.at(17, 30)
        )
        self.replay = Replay(
            incident=self.incident,
            zone=self.zone,
            rounds=[round_figures(r) for r in [*self.bulletin_rounds, self.retest_round]],
            bulletin=bulletin,
            scale=self.scale,
            round_ids=[r.pk for r in self.bulletin_rounds],
            orders=_orders_json(self.orders),
        )


def _orders_json(orders) -> list[dict]:
    """The replay's orders as {"kind", "start", "end", "people"}: one row per order kind and
    dates, counting the people under it."""
    rows: dict[tuple, int] = {}
    for o in orders:
        key = (o.kind, o.start.isoformat(), o.end.isoformat())
        rows[key] = rows.get(key, 0) + 1
    return [{"kind": k, "start": s, "end": e, "people": n} for (k, s, e), n in rows.items()]
