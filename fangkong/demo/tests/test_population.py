"""Demo residents: census shares, valid and unique ID numbers, names, phones, tag rules.

Drawn without the database: the generator is pure and these run in about a second.
"""

import collections
import datetime as dt
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from fangkong.core.documents import validate_resident_id
from fangkong.demo.households import SURNAMES
from fangkong.demo.population import (
    AS_OF,
    FEMALE_NAMES,
    HOME_REGIONS,
    MALE_NAMES,
    OLD_ZONE_REGION,
    PHONE_PREFIXES,
    ZHENGZHOU_REGIONS,
    ZONE_REGION,
    IdAllocator,
    Population,
)
from fangkong.people.models import age_on

ROOT = Path(__file__).resolve().parents[3]
# GB 11643-1999: weights of the 17 body digits and the check character for each remainder.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def gb11643_check(body: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


def test_our_reference_check_digit_is_the_standard_one():
    assert gb11643_check("11010519491231002") == "X"  # the standard's own example


@pytest.fixture(scope="module")
def sample():
    """About 40,000 people in the mix of block styles of the demo district."""
    pop = Population()
    rng = random.Random(20200701)
    households = []
    for style, n in (("tower", 26_000), ("walkup", 7_000), ("self_built", 7_000)):
        households += pop.households(rng, n, style=style)
    return households


def _people(sample):
    return [(p, len(h)) for h in sample for p in h]


def _share(items, pred):
    return sum(1 for x in items if pred(x)) / len(items)


def test_household_sizes_follow_the_census(sample):
    sizes = collections.Counter(min(len(h), 6) for h in sample)
    shares = {k: v / len(sample) for k, v in sizes.items()}
    expected = {1: 0.25, 2: 0.30, 3: 0.21, 4: 0.13, 5: 0.06, 6: 0.05}
    for size, share in expected.items():
        assert shares[size] == pytest.approx(share, abs=0.02), size
    assert sum(len(h) for h in sample) == 40_000  # exactly what was asked for


def test_ages_and_sexes_follow_the_census(sample):
    people = [p for p, _ in _people(sample)]
    ages = [age_on(p.birth_date, AS_OF) for p in people]
    assert _share(ages, lambda a: a <= 14) == pytest.approx(0.1795, abs=0.02)
    assert _share(ages, lambda a: 15 <= a <= 59) == pytest.approx(0.6335, abs=0.025)
    assert _share(ages, lambda a: a >= 60) == pytest.approx(0.1870, abs=0.02)
    assert _share(ages, lambda a: a >= 65) == pytest.approx(0.1350, abs=0.02)
    assert max(ages) <= 100 and min(ages) >= 0
    men = sum(p.sex == "M" for p in people)
    assert 100 * men / (len(people) - men) == pytest.approx(105.07, abs=3)


def test_about_thirty_percent_are_floating_with_home_region_codes(sample):
    people = [p for p, _ in _people(sample)]
    floating = [p for p in people if p.residency == "floating"]
    assert len(floating) / len(people) == pytest.approx(0.30, abs=0.04)
    homes = {c for c, _ in HOME_REGIONS} | {"411602"}
    assert {p.document[:6] for p in floating} <= homes
    for p in people:
        region = p.document[:6]
        if p.residency == "registered" and region not in ZHENGZHOU_REGIONS:
            assert region == (ZONE_REGION if p.birth_date.year >= 1983 else OLD_ZONE_REGION)
        if region == "412702":  # Zhoukou's code before it became a city in 2000
            assert p.birth_date.year < 2000


_SURNAMES = set(SURNAMES)


def _split(name):
    """Surname and given name; Faker's list has two-character surnames (欧阳, 司马) too."""
    family = name[:2] if name[:2] in _SURNAMES else name[:1]
    return family, name[len(family) :]


def test_households_look_like_families(sample):
    children = with_family_name = 0
    for h in sample:
        ages = sorted(age_on(p.birth_date, AS_OF) for p in h)
        if len(h) > 1:
            assert ages[-1] >= 18  # no household of children alone
        adults = {_split(p.name)[0] for p in h if age_on(p.birth_date, AS_OF) >= 18}
        for p in h:
            if age_on(p.birth_date, AS_OF) < 18:
                children += 1
                with_family_name += _split(p.name)[0] in adults
    # Children carry the father's (now and then the mother's) surname; a few single
    # parents' children carry the absent parent's.
    assert with_family_name / children > 0.95


def test_id_numbers_are_valid_unique_and_match_birth_and_sex(sample):
    people = [p for p, _ in _people(sample)]
    numbers = [p.document for p in people]
    assert len(set(numbers)) == len(numbers)
    for p in people:
        n = p.document
        assert len(n) == 18 and n[:17].isdigit()
        assert gb11643_check(n[:17]) == n[17]
        assert dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14])) == p.birth_date
        assert (int(n[16]) % 2 == 1) == (p.sex == "M")
        assert p.birth_date <= AS_OF


def test_id_numbers_pass_the_app_validator(sample):
    for h in sample[:2000]:
        for p in h:
            doc = validate_resident_id(p.document)
            assert (doc.number, doc.birth_date, doc.sex) == (p.document, p.birth_date, p.sex)


def test_allocator_never_repeats_a_number_and_moves_the_day_when_full():
    ids = IdAllocator()
    day = dt.date(1990, 1, 1)
    size = len(ids.counters)
    out = [ids.allocate("410172", day, "F") for _ in range(1200)]
    numbers = [n for n, _ in out]
    assert len(set(numbers)) == 1200
    assert all(int(n[16]) % 2 == 0 for n in numbers)
    births = collections.Counter(b for _, b in out)
    assert births == {day: 499, day + dt.timedelta(days=1): 499, day + dt.timedelta(days=2): 202}
    assert all(n[6:14] == f"{b:%Y%m%d}" for n, b in out)
    # Constant memory: one 16-bit counter per (region, day, sex), whatever was handed out.
    assert len(ids.counters) == size and ids.counters.itemsize == 2
    last = AS_OF
    for _ in range(600):  # a full key on the last day moves back in time, not into the future
        _, born = ids.allocate("410102", last, "M")
        assert born <= AS_OF


def test_names_come_from_fakers_chinese_lists(sample):
    people = [p for p, _ in _people(sample)]
    surnames = set(SURNAMES)
    male_chars = set("".join(MALE_NAMES))
    female_chars = set("".join(FEMALE_NAMES))
    for p in people:
        family, given = _split(p.name)
        assert family in surnames and 1 <= len(given) <= 2
        assert set(given) <= (male_chars if p.sex == "M" else female_chars)
    assert len({p.name for p in people}) > 0.5 * len(people)


def test_phones_are_mobile_numbers_with_real_prefixes(sample):
    people_sizes = _people(sample)
    for p, _ in people_sizes:
        if p.phone:
            assert len(p.phone) == 11 and p.phone.isdigit() and p.phone[:3] in PHONE_PREFIXES
    no_phone = [p for p, _ in people_sizes if not p.phone]
    assert 0.01 < len(no_phone) / len(people_sizes) < 0.12
    assert all(
        age_on(p.birth_date, AS_OF) < 12 or age_on(p.birth_date, AS_OF) >= 75 for p in no_phone
    )
    for h in sample:  # a child's number is a parent's
        phones = collections.Counter(p.phone for p in h if p.phone)
        for p in h:
            if age_on(p.birth_date, AS_OF) < 12 and p.phone:
                assert phones[p.phone] >= 2


def test_tags_follow_their_rules_and_rates(sample):
    people = _people(sample)
    for p, size in people:
        age = age_on(p.birth_date, AS_OF)
        tags = set(p.tags)
        assert ("elderly_alone" in tags) == (size == 1 and age >= 65)
        assert ("infant" in tags) == (age < 3)
        if "student" in tags:
            assert 6 <= age <= 22
        if 6 <= age <= 17:
            assert "student" in tags
        if "pregnant" in tags:
            assert p.sex == "F" and 20 <= age <= 40
        assert ("medical_trips" in tags) == bool(p.note)
        assert p.note in {"", "透析", "化疗", "孕产"}
        if p.note == "孕产":
            assert "pregnant" in tags
    persons = [p for p, _ in people]
    assert _share(persons, lambda p: "disabled" in p.tags) == pytest.approx(0.06, abs=0.015)
    assert _share(persons, lambda p: "medical_trips" in p.tags) == pytest.approx(0.003, abs=0.002)
    women = [p for p in persons if p.sex == "F" and 20 <= age_on(p.birth_date, AS_OF) <= 40]
    assert _share(women, lambda p: "pregnant" in p.tags) == pytest.approx(0.01, abs=0.006)
    assert _share(persons, lambda p: "elderly_alone" in p.tags) > 0.01


DIGEST = """
import hashlib, os, random, django
os.environ["DJANGO_SETTINGS_MODULE"] = "fangkong.settings"
django.setup()
from fangkong.demo.population import Population
pop, rng, h = Population(), random.Random(613), hashlib.sha256()
for style in ("tower", "walkup", "self_built"):
    for household in pop.households(rng, 1500, style=style):
        for p in household:
            h.update(repr((p.name, p.document, p.phone, p.tags, p.residency)).encode())
print(h.hexdigest())
"""


def test_the_same_seed_draws_the_same_people_in_any_process(tmp_path):
    """Nothing depends on hash randomisation or the clock: two interpreters agree."""
    digests = set()
    for hash_seed in ("1", "2"):
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("FANGKONG_")},
            "PYTHONHASHSEED": hash_seed,
            "FANGKONG_DATA_DIR": str(tmp_path),
        }
        out = subprocess.run(
            [sys.executable, "-c", DIGEST], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        digests.add(out.stdout.strip())
    assert len(digests) == 1
