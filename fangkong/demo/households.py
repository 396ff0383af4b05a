"""Who lives together in a demo household: its make-up (singles, couples, families, three
generations), the members' ages and sexes, and the surname they share.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass

from faker.providers.person.zh_CN import Provider as ZhPerson

SURNAMES = list(ZhPerson.last_names)
SURNAME_WEIGHTS = list(itertools.accumulate(ZhPerson.last_names.values()))


@dataclass(slots=True)
class Member:
    sex: str
    age: int
    surname: str
    guardian: int | None = None  # index of the member whose phone a child gives


def surname(rng: random.Random) -> str:
    return rng.choices(SURNAMES, cum_weights=SURNAME_WEIGHTS)[0]


def _between(rng: random.Random, lo: int, hi: int) -> int:
    return rng.randint(lo, hi)


def _elder_age(rng: random.Random, lo: int = 65, *, mean: float = 11) -> int:
    # Survivors thin out with age: each five years past 65 is about 0.65 times as common.
    while True:
        age = lo + int(rng.expovariate(1 / mean))
        if age <= 100:
            return age


def _single_age(rng: random.Random) -> int:
    bracket = rng.choices(
        ((18, 24), (25, 34), (35, 44), (45, 54), (55, 64)), (0.2, 0.4, 0.15, 0.12, 0.13)
    )[0]
    return _between(rng, *bracket)


def _couple(rng: random.Random, lo: int, hi: int) -> tuple[Member, Member]:
    """A husband aged lo..hi and a wife about two years younger."""
    h = _between(rng, lo, hi)
    w = max(20, min(100, h - rng.choice((-2, -1, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6))))
    return Member("M", h, surname(rng)), Member("F", w, surname(rng))


# Relative number of children living at home by age: births fell after 2017, and from 18
# on many have left for university, work or a home of their own.
_KID_AGES = tuple(range(0, 41))
_KID_CUM = list(
    itertools.accumulate(
        0.8
        if a < 3
        else 1.05
        if a < 15
        else 0.9
        if a < 19
        else 0.55
        if a < 23
        else 0.3
        if a < 26
        else 0.12
        for a in _KID_AGES
    )
)


def _family(
    rng: random.Random, n: int, *, max_age: int = 25, min_age: int = 0
) -> tuple[Member, Member, list[Member]]:
    """A couple and n children: the eldest's age drawn first, the mother 22–36 years older,
    younger children 1–8 years apart."""
    min_age = max(min_age, 2 * (n - 1))  # room for the younger ones
    lo, hi = _KID_CUM[min_age - 1] if min_age else 0.0, _KID_CUM[max_age]
    eldest = _KID_AGES[bisect.bisect_left(_KID_CUM, lo + rng.random() * (hi - lo))]
    mother = min(95, eldest + _between(rng, 22, 36))
    father = min(100, max(20, mother + rng.choice((-1, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6))))
    h, w = Member("M", father, surname(rng)), Member("F", mother, surname(rng))
    ages = [eldest]
    for _ in range(n - 1):
        ages.append(ages[-1] - _between(rng, min(1, ages[-1]), min(8, ages[-1])))
    kids = [
        Member(
            "M" if rng.random() < 0.54 else "F",
            a,
            h.surname if rng.random() < 0.95 else w.surname,
            0,
        )
        for a in ages
    ]
    return h, w, kids


def _single_parent(rng: random.Random, n: int) -> list[Member]:
    h, w, kids = _family(rng, n)
    parent = w if rng.random() < 0.7 else h
    for k in kids:
        k.surname = parent.surname if rng.random() < 0.9 else k.surname
    return [parent, *kids]


def _parents_of(rng: random.Random, child: Member, count: int) -> list[Member]:
    """One or two parents of an adult: 24–34 years older, the father sharing the surname."""
    father = min(100, child.age + _between(rng, 24, 34))
    mother = min(100, father - _between(rng, 0, 4))
    if count == 2:
        return [Member("M", father, child.surname), Member("F", mother, surname(rng))]
    if rng.random() < 0.55:  # widowed: the survivor is more often the mother
        return [Member("F", mother, surname(rng))]
    return [Member("M", father, child.surname)]


def compose(rng: random.Random, size: int) -> list[Member]:
    """Who lives together in a household of `size` people: ages, sexes, surnames."""
    r = rng.random()
    if size == 1:
        if r < 0.25:
            return [Member("F" if rng.random() < 0.62 else "M", _elder_age(rng), surname(rng))]
        return [Member("M" if rng.random() < 0.66 else "F", _single_age(rng), surname(rng))]
    if size == 2:
        if r < 0.24:
            return list(_couple(rng, 22, 37))
        if r < 0.61:
            return list(_couple(rng, 44, 60))
        if r < 0.80:
            h, w = _couple(rng, 60, 60)
            h.age = min(100, _elder_age(rng, 62, mean=10))
            w.age = max(58, min(100, h.age - _between(rng, -1, 5)))
            return [h, w]
        if r < 0.92:  # a single parent (mostly mothers) and a child
            return _single_parent(rng, 1)
        adult = Member("M" if rng.random() < 0.55 else "F", _between(rng, 25, 50), surname(rng))
        return [adult, *_parents_of(rng, adult, 1)]
    if size == 3:
        if r < 0.72:
            h, w, kids = _family(rng, 1)
            return [h, w, *kids]
        if r < 0.82:
            h, w = _couple(rng, 28, 58)
            return [h, w, *_parents_of(rng, h, 1)]
        if r < 0.92:  # an older couple with an unmarried grown-up child
            h, w, kids = _family(rng, 1, min_age=20, max_age=40)
            return [h, w, *kids]
        return _single_parent(rng, 2)
    if size == 4:
        if r < 0.45:
            h, w, kids = _family(rng, 2)
            return [h, w, *kids]
        if r < 0.85:
            h, w, kids = _family(rng, 1)
            return [h, w, *kids, *_parents_of(rng, h, 1)]
        h, w = _couple(rng, 25, 38)  # a young couple living with his parents
        return [h, w, *_parents_of(rng, h, 2)]
    if size == 5:
        if r < 0.55:
            h, w, kids = _family(rng, 1, max_age=18)
            return [h, w, *kids, *_parents_of(rng, h, 2)]
        if r < 0.85:
            h, w, kids = _family(rng, 2, max_age=18)
            return [h, w, *kids, *_parents_of(rng, h, 1)]
        h, w, kids = _family(rng, 3, max_age=20)
        return [h, w, *kids]
    # Six or more: three generations, and past three children a brother of the husband.
    h, w, kids = _family(rng, min(size - 4, 3), max_age=18)
    members = [h, w, *kids, *_parents_of(rng, h, 2)]
    while len(members) < size:
        members.append(Member("M", max(18, h.age + _between(rng, -8, 8)), h.surname))
    return members
