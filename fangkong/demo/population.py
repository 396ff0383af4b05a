"""Demo residents: households with a believable structure, names, ID and phone numbers, tags.

Shares follow the 2020 census: household sizes 1: 25 %, 2: 30 %, 3: 21 %, 4: 13 %, 5: 6 %,
6+: 5 %; ages 0–14 17.95 %, 15–59 63.35 %, 60+ 18.70 % (65+ 13.50 %); 105.07 men per 100
women; about 30 % floating population in the zone. Everything is drawn from a
`random.Random` the caller seeds, so a seed gives the same people every time; nothing here
touches the database.

ID numbers are unique without remembering them: `IdAllocator` keeps one 16-bit counter per
(region, birth day, sex) and hands out that key's sequence numbers in a fixed shuffled order.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from faker.providers.person.zh_CN import Provider as ZhPerson
from faker.providers.phone_number.zh_CN import Provider as ZhPhone

from fangkong.core.documents import check_character
from fangkong.people.models import Residency, Tag, age_on

from .households import Member, compose

# Ages and age-based tags are taken on this date, not today, so a seed gives the same
# people on any day the demo is built (override with `fangkong seed --as-of`).
AS_OF = dt.date(2026, 1, 1)
EPOCH = dt.date(1900, 1, 1)

MALE_NAMES = list(ZhPerson.first_names_male)
FEMALE_NAMES = list(ZhPerson.first_names_female)
_MALE_CHARS = [n for n in MALE_NAMES if len(n) == 1]
_FEMALE_CHARS = [n for n in FEMALE_NAMES if len(n) == 1]
# Faker's mobile prefixes plus the newer ranges real numbers carry today.
PHONE_PREFIXES = [str(p) for p in ZhPhone.phonenumber_prefixes] + [
    "166",
    "173",
    "176",
    "177",
    "178",
    "183",
    "191",
    "198",
    "199",
]

# Registered residents: the zone's own code for those registered here since 1983, Zhongyuan
# (410102) for older ones, and other Zhengzhou districts and counties for people who moved in.
ZONE_REGION, OLD_ZONE_REGION = "410172", "410102"
ZHENGZHOU_REGIONS = (
    "410103",
    "410104",
    "410105",
    "410122",
    "410181",
    "410182",
    "410183",
    "410184",
    "410185",
)
# Home regions of the floating population: mostly Henan (Nanyang, Zhoukou, Kaifeng,
# Luoyang, Shangqiu, Xinyang, Xinxiang), then the provinces that send people to Zhengzhou.
HOME_REGIONS = (
    ("411302", 14),
    ("412702", 13),
    ("410202", 9),
    ("410302", 9),
    ("411402", 9),
    ("411502", 8),
    ("410702", 7),
    ("340102", 6),
    ("130102", 5),
    ("370102", 5),
    ("420102", 4),
    ("610102", 4),
    ("510104", 4),
    ("320102", 3),
)
_HOME_CODES = [c for c, _ in HOME_REGIONS]
_HOME_CUM = list(itertools.accumulate(w for _, w in HOME_REGIONS))
# Zhoukou prefecture became a city in 2000: 412702 numbers were issued before that, 411602 after.
REISSUED = {"412702": ("411602", 2000)}
REGIONS = (ZONE_REGION, OLD_ZONE_REGION, *ZHENGZHOU_REGIONS, *_HOME_CODES, "411602")

HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6, 7, 8)
HOUSEHOLD_WEIGHTS = (25, 30, 21, 13, 6, 3, 1.5, 0.5)

# Probability of the floating population by block style: tenants crowd into self-built houses.
FLOATING_SHARE = {"tower": 0.31, "walkup": 0.29, "self_built": 0.72}

MEDICAL_NOTES = {"dialysis": "透析", "chemo": "化疗", "maternity": "孕产"}


class IdAllocator:
    """Hands out unique 18-digit resident ID numbers in constant memory.

    One unsigned 16-bit counter per (region, birth day, sex): the k-th person of a key gets
    the k-th sequence number of a fixed shuffle of that sex's 499 numbers (odd for men,
    even for women). When a key is used up the birth day moves by a day.
    """

    PER_KEY = 499
    _STEP = 137  # coprime with 499: k → (k·137 + offset) mod 499 is a bijection

    def __init__(self, *, as_of: dt.date = AS_OF, regions: Sequence[str] = REGIONS):
        self.as_of = as_of
        self.regions = {r: i for i, r in enumerate(regions)}
        self.days = (as_of - EPOCH).days + 1
        self.counters = array("H", bytes(2 * len(regions) * self.days * 2))

    def allocate(self, region: str, birth: dt.date, sex: str) -> tuple[str, dt.date]:
        """A fresh number and the birth date it encodes (moved a day if the key was full)."""
        r = self.regions[region]
        female = sex == "F"
        start = min(max((birth - EPOCH).days, 0), self.days - 1)
        for day in self._days_from(start):
            key = (r * self.days + day) * 2 + female
            k = self.counters[key]
            if k < self.PER_KEY:
                self.counters[key] = k + 1
                p = (k * self._STEP + (day * 31 + r * 7 + female) * 2654435761) % self.PER_KEY
                seq = 2 * p + (2 if female else 1)
                born = EPOCH + dt.timedelta(days=day)
                body = f"{region}{born:%Y%m%d}{seq:03d}"
                return body + check_character(body), born
        raise OverflowError(f"no ID numbers left for region {region}")

    def _days_from(self, start: int):
        yield from range(start, self.days)
        yield from range(start - 1, -1, -1)


@dataclass(slots=True)
class Person:
    """One generated resident, before encryption."""

    name: str
    sex: str
    birth_date: dt.date
    document: str
    phone: str
    residency: str
    tags: tuple[str, ...]
    note: str = ""


def given_name(rng: random.Random, sex: str) -> str:
    """One of Faker's given names, or (as most people born since the 1970s have) two of its
    single characters."""
    names, chars = (MALE_NAMES, _MALE_CHARS) if sex == "M" else (FEMALE_NAMES, _FEMALE_CHARS)
    if rng.random() < 0.4:
        return rng.choice(names)
    first = rng.choice(chars)
    second = rng.choice(chars)
    if second == first and sex == "M":  # doubled characters are girls' names (婷婷, 晶晶)
        second = rng.choice(chars)
    return first + second


class Population:
    """Draws households for blocks of the demo district; holds the ID allocator."""

    def __init__(self, *, as_of: dt.date = AS_OF):
        self.as_of = as_of
        self.ids = IdAllocator(as_of=as_of)

    # ------------------------------------------------------------------ households

    def households(self, rng: random.Random, residents: int, *, style: str) -> list[list[Person]]:
        """Households holding exactly `residents` people; the last may be smaller."""
        out: list[list[Person]] = []
        left = residents
        while left > 0:
            size = rng.choices(HOUSEHOLD_SIZES, HOUSEHOLD_WEIGHTS)[0]
            size = min(size, left)
            out.append(self.household(rng, size, style=style))
            left -= size
        return out

    def household(self, rng: random.Random, size: int, *, style: str) -> list[Person]:
        members = compose(rng, size)
        oldest = max(m.age for m in members)
        floating_share = FLOATING_SHARE.get(style, 0.25)
        if oldest >= 60:  # older households are mostly the registered original residents
            floating_share *= 0.45
        floating = rng.random() < floating_share
        home = rng.choices(_HOME_CODES, cum_weights=_HOME_CUM)[0] if floating else ""
        people: list[Person] = []
        for m in members:
            people.append(self._person(rng, m, floating=floating, home=home, alone=size == 1))
        for m, p in zip(members, people, strict=True):
            if m.guardian is not None and not p.phone and rng.random() < 0.7:
                p.phone = people[m.guardian].phone
        return people

    def _person(
        self, rng: random.Random, m: Member, *, floating: bool, home: str, alone: bool
    ) -> Person:
        days_old = int((m.age + rng.random()) * 365.2425)
        birth = self.as_of - dt.timedelta(days=min(days_old, (self.as_of - EPOCH).days))
        region = self._region(rng, birth.year, floating=floating, home=home)
        document, birth = self.ids.allocate(region, birth, m.sex)
        age = age_on(birth, self.as_of)
        phone = ""
        if age >= 12 and not (age >= 75 and rng.random() < 0.2):
            phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        tags, note = self._tags(rng, age, m.sex, alone=alone)
        return Person(
            name=m.surname + given_name(rng, m.sex),
            sex=m.sex,
            birth_date=birth,
            document=document,
            phone=phone,
            residency=Residency.FLOATING if floating else Residency.REGISTERED,
            tags=tags,
            note=note,
        )

    @staticmethod
    def _region(rng: random.Random, born: int, *, floating: bool, home: str) -> str:
        if floating:
            new = REISSUED.get(home)
            return new[0] if new and born >= new[1] else home
        if rng.random() < 0.15:
            return rng.choice(ZHENGZHOU_REGIONS)
        return ZONE_REGION if born >= 1983 else OLD_ZONE_REGION

    @staticmethod
    def _tags(rng: random.Random, age: int, sex: str, *, alone: bool) -> tuple[tuple, str]:
        tags: list[str] = []
        note = ""
        if alone and age >= 65:
            tags.append(Tag.ELDERLY_ALONE)
        if age < 3:
            tags.append(Tag.INFANT)
        if 6 <= age <= 17 or (18 <= age <= 22 and rng.random() < 0.6):
            tags.append(Tag.STUDENT)
        if rng.random() < _disability_rate(age):
            tags.append(Tag.DISABLED)
        pregnant = sex == "F" and 20 <= age <= 40 and rng.random() < 0.011
        if pregnant:
            tags.append(Tag.PREGNANT)
        trip = ""
        if pregnant and rng.random() < 0.25:
            trip = "maternity"
        elif age >= 40 and rng.random() < 0.0026:
            trip = "dialysis"
        elif age >= 35 and rng.random() < 0.0028:
            trip = "chemo"
        if trip:
            tags.append(Tag.MEDICAL_TRIPS)
            note = MEDICAL_NOTES[trip]
        return tuple(str(t) for t in tags), note


def _disability_rate(age: int) -> float:
    # 2006 sample survey / 2010 estimate: 6.3 % overall, rising steeply with age.
    if age < 18:
        return 0.013
    if age < 45:
        return 0.034
    if age < 60:
        return 0.068
    if age < 70:
        return 0.12
    if age < 80:
        return 0.19
    return 0.28
