"""The 13 June replay's night and early morning: the routine round of the eve, the alarm at
03:04, the grid out, the standstill and the targeted rounds of 04:00."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import DeviceToken, Role
from fangkong.accounts.services import create_device_token
from fangkong.command.models import RollCallLevel, TimelineEntry
from fangkong.command.services.drills import begin_drill, record_roll_call
from fangkong.core.models import OutboxEvent
from fangkong.geo.models import Building
from fangkong.lab.models import Lab
from fangkong.lab.services.results import ResultIn
from fangkong.testing.models import (
    PoolGroup,
    Result,
    RoundKind,
    Sample,
    Station,
    StationKind,
    TestingRound,
)
from fangkong.testing.services.rounds import add_station, create_round
from fangkong.zones.models import NoticeKind, ZoneKind
from fangkong.zones.services.designation import designate_zone
from fangkong.zones.services.notices import issue_notice

from . import notes
from .june13_cast import (
    BOOTH,
    COMPANY,
    LAB,
    POOL,
    SCHOOL,
    SELF_BUILT,
    XINJU,
    YATING,
    DemoPlaces,
    choose_members,
    find_student,
    homes_in,
)
from .kit import Clock, Pipeline, ReplayError, deliver_new_events, last_event_id


class Morning:
    """The story until the 20 people are re-sampled; `_June13` goes on from there."""

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
        self.homes = {key: homes_in(qs) for key, qs in buildings.items()}
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
        # testing.services.pools.respond_to_pool creates the retest round without a start
        # time, so it would start at the machine's "now" and refuse the replay's samples as
        # too old; made here first, with the response's own name and settings, the response
        # uses this one.
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
        """03:20: the commander leads the drill; the three levels of the grid report in."""
        p = self.places
        at = self.at(3, 20)
        begin_drill(incident=self.incident, user=self.user, at=at)
        for level, node, unit in (
            (RollCallLevel.COMMUNITY, p.community, f"{p.community.name_zh}全体工作人员"),
            (RollCallLevel.SUBDISTRICT, p.subdistrict, f"{p.subdistrict.name_zh}班子成员"),
            (RollCallLevel.DISTRICT, p.district, f"{p.district.name_zh}疫情防控指挥部"),
        ):
            record_roll_call(
                incident=self.incident,
                user=self.user,
                level=level,
                unit=unit,
                area_code=node.code,
                at=at,
            )
        self.note(
            self.at(3, 20),
            f"三级网格迅速行动：{p.community.name_zh}全体工作人员到位，{p.subdistrict.name_zh}"
            f"班子成员到位，{p.district.name_zh}疫情防控指挥部到位，现场指挥调度。",
        )

    def standstill(self) -> None:
        self.designate()
        self.draft_notice()

    def designate(self) -> None:
        self.zone = designate_zone(
            user=self.user,
            kind=ZoneKind.STANDSTILL,
            members=[self.places.xinju.code],
            name=XINJU,
            designated_at=self.at(3, 35),
            reason=f"{BOOTH}20混1初筛阳性1管，相关人员居住于{XINJU}",
        )
        self.settle()

    def draft_notice(self) -> None:
        """The drill's notice: marked 演练, numbered in the drill series, dated the night."""
        self.notice = issue_notice(
            user=self.user,
            zones=[self.zone],
            kind=NoticeKind.DESIGNATION,
            now=self.at(3, 40),
            drill=True,
        )

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
                self._station(quarters, p.booth, "上门采样队（自建房）", StationKind.DOOR_TO_DOOR),
            ),
            "school": (
                SCHOOL,
                school,
                self._station(school, p.school, "校内采样点", StationKind.BOOTH),
            ),
            "company": (
                COMPANY,
                company,
                self._station(company, p.company, "上门采样队（企业）", StationKind.DOOR_TO_DOOR),
            ),
        }
        names = "、".join(name for name, _, _ in self.units.values())
        self.note(
            self.at(4),
            f"凌晨4时，医护人员到岗到位，对涉及{len(self.members)}人的居住小区及单位开展核酸检测，"
            f"包括{names}{len(self.units)}个社区（学校、单位）；交警、派出所民警维持秩序。",
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
