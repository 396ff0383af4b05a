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
import secrets
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import DeviceToken, Role
from fangkong.accounts.services import create_device_token, require_permission
from fangkong.command.models import Bulletin, Incident, TimelineEntry
from fangkong.command.services.incidents import set_task_state
from fangkong.core.errors import RuleViolation
from fangkong.core.models import OutboxEvent
from fangkong.geo.models import Building, Community, Compound, Place
from fangkong.people.models import Residency, Resident, ResidentStatus, ResidentTag, Tag
from fangkong.testing.models import (
    Lab,
    PoolGroup,
    Result,
    RoundKind,
    Sample,
    Station,
    StationKind,
    TestingRound,
    Tube,
)
from fangkong.testing.selectors import bulletin_phrase
from fangkong.testing.services.results import ResultIn
from fangkong.testing.services.rounds import add_station, create_round
from fangkong.work.models import Task, TaskState
from fangkong.zones.models import RiskZone, ZoneKind
from fangkong.zones.services.designation import designate_zone
from fangkong.zones.services.lifting import lift_zone
from fangkong.zones.services.schedules import task_key_prefix

from . import notes
from .kit import (
    Clock,
    Pipeline,
    ReplayError,
    RoundFigures,
    deliver_new_events,
    largest_remainder,
    last_event_id,
    merged_statistics,
    round_figures,
    spread,
    tube_counts,
)

DAY = dt.date(2022, 6, 13)
DEFAULT_SCALE = 0.05  # 340 people in 18 tubes: a few seconds

# The newspaper's figures, which `scale` multiplies.
PAPER_PEOPLE = 6799
PAPER_TUBES = 360
PAPER_ENV_TUBES = 8
PAPER_ENV_POINTS = 80
PAPER_COMMUNITY = 5293  # tests in 瓦屋李社区 by noon
POOL = 20
MEMBERS = 20  # the people behind the tube
# The paper does not say how the 1,506 people tested outside 瓦屋李's homes divide between
# the school and the company; a middle school is the larger crowd.
SCHOOL_SHARE = 0.8
PUPIL_SHARE = 0.92  # of the people tested at the school; the rest are its staff
MIN_PER_UNIT = 20  # every unit is tested: at least a tube's worth of people
ISOLATION_DAYS = 7

COMMUNITY = "瓦屋李社区"
BOOTH = "瓦屋李采样小屋"
XINJU = "瓦屋李新居"
YATING = "玉兰雅亭"
QUARTERS = "玉兰街凯旋路药厂家属院"
SELF_BUILT = "玉兰街凯旋路药厂家属院周边自建房"
SCHOOL = "高新区三十七中"
COMPANY = "冬青街瑞达路煤气管道公司"
CAMPUS = "郑州大学南校区"
LAB = "高新区核酸检测实验室"


class NoDemoDistrict(RuleViolation):
    pass


@dataclass
class DemoPlaces:
    """The demo district's nodes the story happens in, found by the newspaper's names."""

    community: Community
    booth: Place
    school: Place
    company: Place
    xinju: Compound
    yating: Compound
    quarters: Compound

    @property
    def subdistrict(self):
        return self.community.subdistrict

    @property
    def district(self):
        return self.community.subdistrict.district


def find_places() -> DemoPlaces:
    community = (
        Community.objects.select_related("subdistrict__district")
        .filter(name_zh=COMMUNITY)
        .order_by("code")
        .first()
    )
    found = {}
    if community is not None:
        found = {c.name_zh: c for c in Compound.objects.filter(community=community)}
        found |= {p.name_zh: p for p in Place.objects.filter(community=community)}
    names = (BOOTH, SCHOOL, COMPANY, XINJU, YATING, QUARTERS)
    if community is None or any(n not in found for n in names):
        raise NoDemoDistrict(
            field="district",
            code="no_demo_district",
            message=_(
                "The 13 June replay needs the demo district (瓦屋李社区 with its compounds, "
                "booth, school and company): run `fangkong seed` first."
            ),
        )
    return DemoPlaces(community, *(found[n] for n in names))


# ---------------------------------------------------------------------------------------------
# Who is tested


def _allot(total: int, caps: list[int], weights: list[float]) -> list[int]:
    """`total` split by `weights`, none above its cap; what one cannot take goes to the rest."""
    out = [0] * len(caps)
    left = total
    while left > 0:
        open_ = [i for i in range(len(caps)) if out[i] < caps[i]]
        if not open_:
            break
        parts = largest_remainder(left, [weights[i] for i in open_])
        for i, part in zip(open_, parts, strict=True):
            take = min(part, caps[i] - out[i])
            out[i] += take
            left -= take
    return out


def plan_people(*, scale: float, xinju: int, yating: int, quarters: int, outside: int) -> dict:
    """How many people each unit tests at `scale`, given the people available.

    瓦屋李新居 is tested in full (the standstill is lifted only then); the rest of the
    community's figure goes to 玉兰雅亭 and the quarters by their size; the rest of the
    district's figure to the school and the company, whose people live around the district.
    What the community cannot supply is tested outside it, so the district's figure holds
    whenever the district has the people.
    """
    total, community = round(PAPER_PEOPLE * scale), round(PAPER_COMMUNITY * scale)
    floors = [min(MIN_PER_UNIT, yating), min(MIN_PER_UNIT, quarters)]
    y, q = _allot(max(community - xinju, sum(floors)), [yating, quarters], [yating, quarters])
    y, q = max(y, floors[0]), max(q, floors[1])
    others = min(max(total - xinju - y - q, 2 * MIN_PER_UNIT), outside)
    company = max(round(others * (1 - SCHOOL_SHARE)), min(MIN_PER_UNIT, others // 2))
    school = others - company
    return {"xinju": xinju, "yating": y, "quarters": q, "school": school, "company": company}


def _active(qs=None):
    qs = Resident.objects.all() if qs is None else qs
    return qs.filter(status=ResidentStatus.ACTIVE)


def _homes(buildings) -> list[tuple[int, int]]:
    """(resident, household) of the active registered and floating residents of the
    buildings, in door-knocking order."""
    return list(
        _active()
        .filter(
            household__building__in=buildings,
            residency__in=[Residency.REGISTERED, Residency.FLOATING],
        )
        .order_by("household__building__code", "household__code", "id")
        .values_list("id", "household_id")
    )


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _born_between(day: dt.date, youngest: int, oldest: int) -> Q:
    """Aged `youngest` to `oldest` on `day`."""
    earliest = _years_before(day, oldest + 1) + dt.timedelta(days=1)
    return Q(birth_date__gte=earliest, birth_date__lte=_years_before(day, youngest))


def find_student(compound: Compound, day: dt.date) -> int | None:
    """A university-age resident of the compound (a student by tag if there is one)."""
    candidates = list(
        _active()
        .filter(_born_between(day, 18, 22), household__building__compound=compound)
        .order_by("household__code", "id")
        .values_list("id", flat=True)[:500]
    )
    tagged = set(
        ResidentTag.objects.filter(resident_id__in=candidates, tag=Tag.STUDENT).values_list(
            "resident_id", flat=True
        )
    )
    return next((c for c in candidates if c in tagged), candidates[0] if candidates else None)


def choose_members(homes: dict[str, list[tuple[int, int]]], student: int | None) -> list[int]:
    """The 20 people in the tube, whole households queueing together: 14 from 瓦屋李新居
    (the student's family first), 3 from 玉兰雅亭, 3 from the quarters and self-built houses;
    瓦屋李新居 makes up what a small district lacks."""
    members: list[int] = []

    def take(rows: list[tuple[int, int]], n: int) -> None:
        goal, household = len(members) + n, None
        for rid, home in rows:
            if rid in members:
                continue
            if len(members) >= goal and home != household:
                return
            members.append(rid)
            household = home

    xinju = homes["xinju"]
    if student is not None:
        family = next((h for r, h in xinju if r == student), None)
        xinju = [r for r in xinju if r[1] == family] + [r for r in xinju if r[1] != family]
    take(xinju, 14)
    take(homes["yating"], 3)
    take(homes["quarters"], 3)
    if len(members) < MEMBERS:
        take(xinju, MEMBERS - len(members))
    return members[:MEMBERS]


@dataclass
class Outsiders:
    """People who study at the school or work at the company. The demo has no school rolls
    or payrolls, so they are residents of the sub-district outside 瓦屋李, then of the rest of
    the district: pupils of 12–17 and adults of 20–59."""

    near: object  # queryset
    far: object
    day: dt.date

    @classmethod
    def around(cls, places: DemoPlaces, day: dt.date) -> Outsiders:
        everyone = _active().filter(residency__in=[Residency.REGISTERED, Residency.FLOATING])
        inside = Q(area_code__startswith=places.community.code + "-")
        sub = Q(area_code__startswith=places.subdistrict.code + "-")
        district = Q(area_code__startswith=places.district.code + "-")
        return cls(
            near=everyone.filter(sub).exclude(inside).order_by("id"),
            far=everyone.filter(district).exclude(sub).order_by("id"),
            day=day,
        )

    def _ages(self, key: str) -> Q:
        return _born_between(self.day, *{"pupils": (12, 17), "adults": (20, 59)}[key])

    def count(self) -> int:
        ages = self._ages("pupils") | self._ages("adults")
        return self.near.filter(ages).count() + self.far.filter(ages).count()

    def pick(self, key: str, n: int, skip: set[int]) -> list[int]:
        """`n` of them, nearest first, none in `skip`."""
        out: list[int] = []
        for qs in (self.near, self.far):
            ids = qs.filter(self._ages(key)).values_list("id", flat=True)
            for i in ids[: n + len(skip)]:
                if len(out) == n:
                    return out
                if i not in skip:
                    out.append(i)
        return out


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

    def bulletin_statistics(self) -> dict:
        """The five targeted rounds' figures summed, as `round_statistics` gives them."""
        return merged_statistics(list(TestingRound.objects.filter(pk__in=self.round_ids)))

    def timeline(self) -> list[dict]:
        return [
            {"at": timezone.localtime(e.at).isoformat(), "kind": e.kind, "text": e.text}
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


class _June13:
    def __init__(self, *, user, scale: float, clock: Clock, places: DemoPlaces):
        self.user, self.scale, self.clock, self.places = user, scale, clock, places
        self.run_id = "J13" + secrets.token_hex(3).upper()
        self.mark = self.delivered = last_event_id()
        self.day_label = f"{clock.day.month}月{clock.day.day}日"

    # -- helpers

    def at(self, hour: int, minute: int = 0, *, days: int = 0) -> dt.datetime:
        return self.clock.at(hour, minute, days=days)

    def settle(self) -> None:
        self.delivered = deliver_new_events(self.delivered)

    def note(self, at: dt.datetime, text: str) -> None:
        notes.add_note(incident=self.incident, user=self.user, at=at, text=text)

    def token(self, name: str, role: str, scope: str) -> DeviceToken:
        token, _clear = create_device_token(
            name=f"{name}({self.run_id})", role=role, scope_code=scope, created_by=self.user
        )
        return token

    # -- the story

    def run(self) -> Replay:
        self.setup()
        self.eve()
        self.alarm()
        self.mobilise()
        self.standstill()
        self.targeted_rounds()
        self.retest_members()
        self.sample_units()
        self.results()
        self.lift()
        self.close()
        return self.replay

    def setup(self) -> None:
        p = self.places
        self.tablet = self.token(f"{BOOTH}采样平板", Role.SAMPLER, p.subdistrict.code)
        lab_token = self.token(f"{LAB}接口", Role.LAB_TECHNICIAN, p.district.code)
        lab, _created = Lab.objects.get_or_create(name=LAB)
        # The testing app has no service to bind a device to a lab yet.
        lab.devices.add(lab_token)
        self.pipe = Pipeline(run=self.run_id, lab=lab, lab_actor=lab_token)
        buildings = {
            "xinju": Building.objects.filter(compound=p.xinju),
            "yating": Building.objects.filter(compound=p.yating),
            # 周边自建房: the demo's self-built houses of 瓦屋李 stand next to the quarters.
            "quarters": Building.objects.filter(
                Q(compound=p.quarters) | Q(compound__isnull=True, grid__community=p.community)
            ),
        }
        self.buildings = buildings
        self.homes = {key: _homes(qs) for key, qs in buildings.items()}
        self.student = find_student(p.xinju, self.clock.day)
        self.members = choose_members(self.homes, self.student)

    def eve(self) -> None:
        """12 June: the booth's routine testing; the 20 people go into one 20:1 tube."""
        c = self.places.community
        eve = self.clock.day - dt.timedelta(days=1)
        self.routine = create_round(
            name=f"{eve.month}月{eve.day}日{BOOTH}常态化核酸检测",
            scope_codes=[c.code],
            user=self.user,
            kind=RoundKind.MASS,
            pool_group=PoolGroup.GENERAL,
            starts_at=self.at(7, days=-1),
        )
        self.booth = add_station(
            round=self.routine,
            place=self.places.booth,
            name=BOOTH,
            kind=StationKind.BOOTH,
            devices=[self.tablet],
        )
        [self.tube] = self.pipe.sample(
            station=self.booth,
            actor=self.tablet,
            people=self.members,
            tubes=1,
            start=self.at(19, 30, days=-1),
            end=self.at(19, 48, days=-1),
            transit=dt.timedelta(minutes=50),
        )

    def alarm(self) -> None:
        """03:04: the lab reports the tube presumptive positive; the incident opens."""
        at = self.at(3, 4)
        grids = sorted(
            set(Sample.objects.filter(tube=self.tube).values_list("area_code", flat=True))
        )
        # results.respond_to_pool creates the retest round without a start time, so it would
        # start at the machine's "now" and refuse the replay's samples as too old; made here
        # first, with the response's own name and settings, the response uses this one.
        self.retest_round = create_round(
            name=f"{self.routine.name} · 复采复检",
            scope_codes=grids,
            user=None,
            kind=RoundKind.RETEST,
            pool_group=PoolGroup.KEY_GROUP,
            pool_size=1,
            starts_at=at,
            parent=self.routine,
        )
        self.pipe.report(
            [ResultIn(self.tube.barcode, Result.PRESUMPTIVE_POSITIVE, "36.8", "37.2", at)],
            at=at,
        )
        self.settle()
        entry = (
            TimelineEntry.objects.select_related("incident")
            .filter(
                kind="pool_positive",
                event__in=OutboxEvent.objects.filter(
                    pk__gt=self.mark, kind="testing.pool_positive"
                ),
            )
            .first()
        )
        if entry is None:
            raise ReplayError(
                field="incident",
                code="not_opened",
                message=_("The command centre opened no incident for the positive tube."),
            )
        self.incident = entry.incident

    def mobilise(self) -> None:
        p = self.places
        self.note(
            self.at(3, 20),
            f"三级网格迅速行动:{p.community.name_zh}全体工作人员到位,{p.subdistrict.name_zh}"
            f"班子成员到位,{p.district.name_zh}疫情防控指挥部到位,现场指挥调度。",
        )

    def standstill(self) -> None:
        self.zone = designate_zone(
            user=self.user,
            kind=ZoneKind.STANDSTILL,
            members=[self.places.xinju.code],
            name=XINJU,
            designated_at=self.at(3, 35),
            reason=f"{BOOTH}20混1初筛阳性1管,相关人员居住于{XINJU}",
        )
        self.settle()

    def _zone_round(self) -> tuple[TestingRound, Station]:
        """The standstill's own door-to-door round, scheduled by the zones app."""
        round_ = self.zone.schedule.select_related("round").get(day=1).round
        station = round_.stations.filter(kind=StationKind.DOOR_TO_DOOR).first()
        # No service binds a tablet to an existing station yet.
        station.devices.add(self.tablet)
        return round_, station

    def _round(self, unit: str, scope: list[str]) -> TestingRound:
        return create_round(
            name=f"{self.day_label}{unit}核酸检测",
            scope_codes=scope,
            user=self.user,
            kind=RoundKind.TARGETED,
            pool_group=PoolGroup.GENERAL,
            pool_size=POOL,
            starts_at=self.at(4),
            due_at=self.at(12),
        )

    def _station(self, round_, place, name, kind) -> Station:
        return add_station(round=round_, place=place, name=name, kind=kind, devices=[self.tablet])

    def targeted_rounds(self) -> None:
        """04:00: the homes and workplaces of the 20 people are tested, five units."""
        p = self.places
        zone_round, zone_station = self._zone_round()
        codes = {k: [b.code for b in qs.order_by("code")] for k, qs in self.buildings.items()}
        yating = self._round(YATING, codes["yating"])
        quarters = self._round(SELF_BUILT, codes["quarters"])
        # A school or a company is a place, not an area node: its round covers the grid it
        # stands in, the nearest node of the demo district.
        school = self._round(SCHOOL, [p.school.area_code])
        company = self._round(COMPANY, [p.company.area_code])
        self.units = {
            "xinju": (XINJU, zone_round, zone_station),
            "yating": (
                YATING,
                yating,
                self._station(yating, p.booth, f"{BOOTH}2号采样台", StationKind.BOOTH),
            ),
            "quarters": (
                SELF_BUILT,
                quarters,
                self._station(quarters, p.booth, "上门采样队(自建房)", StationKind.DOOR_TO_DOOR),
            ),
            "school": (
                SCHOOL,
                school,
                self._station(school, p.school, "校内采样点", StationKind.BOOTH),
            ),
            "company": (
                COMPANY,
                company,
                self._station(company, p.company, "上门采样队(企业)", StationKind.DOOR_TO_DOOR),
            ),
        }
        names = "、".join(name for name, _, _ in self.units.values())
        self.note(
            self.at(4),
            f"凌晨4时,医护人员到岗到位,对涉及{len(self.members)}人的居住小区及单位开展核酸检测,"
            f"包括{names}{len(self.units)}个社区(学校、单位);交警、派出所民警维持秩序。",
        )

    def retest_members(self) -> None:
        """The 20 people are re-sampled at home, one tube each."""
        team = self.retest_round.stations.first()
        self.retest_from = len(self.pipe.boxes)
        self.pipe.sample(
            station=team,
            actor=self.tablet,
            people=self.members,
            tubes=len(self.members),
            start=self.at(4, 10),
            end=self.at(4, 50),
        )

    def sample_units(self) -> None:
        p = self.places
        members = set(self.members)
        people = {
            # 瓦屋李新居 in full: every active resident the zone counts, whatever their residency.
            "xinju": list(
                _active()
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
        self.note(
            self.at(12),
            f"{p.community.name_zh}发挥党员志愿者与居民代表作用,运用居民群与楼栋对讲系统通知居民,"
            f"中午12时完成居民核酸检测,共检测{tests}人次。",
        )
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
        self.stats = merged_statistics(self.bulletin_rounds)
        tubes = Tube.objects.filter(round__in=self.bulletin_rounds).exclude(state="open")
        positive = tubes.exclude(result=Result.NEGATIVE).count()
        verdict = "结果全部阴性" if positive == 0 else f"其中{positive}管结果非阴性"
        self.note(
            self.at(15, 45),
            f"本轮样本检测结果回报:全区{bulletin_phrase(self.stats)},{verdict}。",
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
                f"{XINJU}{self.zone.residents}名居民上门核酸采样全覆盖,结果全部阴性;"
                "经研判,解除静态化管控,恢复正常生活秩序"
            ),
            now=self.at(16, 54),
        )
        self.settle()
        family = 0
        who = "学生"
        if self.student is not None:
            student = Resident.objects.get(pk=self.student)
            family = _active().filter(household_id=student.household_id).count()
            who = f"学生{student.name[:1]}某"
        self.isolated = family
        self.note(
            self.at(16, 54),
            f"对指标稍高的{CAMPUS}{who}及其同住家属共{family}人采取居家隔离{ISOLATION_DAYS}天措施,"
            f"至{(self.clock.day + dt.timedelta(days=ISOLATION_DAYS)).month}月"
            f"{(self.clock.day + dt.timedelta(days=ISOLATION_DAYS)).day}日。",
        )

    def close(self) -> None:
        """16:54: the incident ends as the newspaper ends it; the bulletin goes out."""
        p = self.places
        summary = (
            f"除对指标稍高的{CAMPUS}学生及其同住家属共{self.isolated}人采取居家隔离"
            f"{ISOLATION_DAYS}天措施外,{XINJU}全面恢复正常生活秩序"
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
        )
