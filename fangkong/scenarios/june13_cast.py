"""The 13 June replay's cast: the demo district's places the story happens in, and who is
tested where (the 20 people in the tube, the units' people at a scale, the outsiders who study
or work in the district)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.core.errors import RuleViolation
from fangkong.geo.models import Community, Compound, Place
from fangkong.people.models import Residency, Resident, ResidentStatus, ResidentTag, Tag

from .kit import largest_remainder

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


def active_residents(qs=None):
    qs = Resident.objects.all() if qs is None else qs
    return qs.filter(status=ResidentStatus.ACTIVE)


def homes_in(buildings) -> list[tuple[int, int]]:
    """(resident, household) of the active registered and floating residents of the
    buildings, in door-knocking order."""
    return list(
        active_residents()
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
        active_residents()
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
        everyone = active_residents().filter(
            residency__in=[Residency.REGISTERED, Residency.FLOATING]
        )
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
