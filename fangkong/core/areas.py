"""Hierarchical area codes: `410172-002-005-012` is district-subdistrict-community-grid.

The first six digits are the GB/T 2260 administrative code; each further segment is a
fixed-width local number, so a prefix match on the code selects a whole subtree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import connection
from django.db.models import Q

LEVELS = ("district", "subdistrict", "community", "grid", "building", "household")
_SEGMENT = {
    "district": r"\d{6}",
    "subdistrict": r"\d{3}",
    "community": r"\d{3}",
    "grid": r"\d{3}",
    "building": r"\d{3}",
    "household": r"[0-9A-Za-z]{1,8}",
}


class AreaCode(str):
    """An area code as a value: its segments, its level and its ancestors at each level.

    It is a `str`, so it goes wherever a code goes (queries, URLs, JSON). Build it from a
    stored code with `AreaCode(code)`; use `AreaCode.parse(text)` for input from outside,
    which refuses a malformed code.
    """

    __slots__ = ()

    @classmethod
    def parse(cls, text: str) -> AreaCode:
        code = cls(text.strip())
        level_of(code)
        return code

    @property
    def parts(self) -> list[str]:
        return self.split("-")

    @property
    def depth(self) -> int:
        """1 for a district, 2 for a sub-district, … 6 for a household."""
        return self.count("-") + 1

    @property
    def level(self) -> str:
        return LEVELS[min(self.depth, len(LEVELS)) - 1]

    def upto(self, level: str) -> AreaCode:
        """The code of this area's ancestor at `level` (itself if it is at or above it)."""
        keep = LEVELS.index(level) + 1
        return AreaCode("-".join(self.parts[:keep])) if self.depth > keep else self

    @property
    def district(self) -> AreaCode:
        return self.upto("district")

    @property
    def subdistrict(self) -> AreaCode:
        return self.upto("subdistrict")

    @property
    def community(self) -> AreaCode:
        return self.upto("community")

    @property
    def grid(self) -> AreaCode:
        return self.upto("grid")

    @property
    def building(self) -> AreaCode:
        return self.upto("building")

    @property
    def lineage(self) -> list[AreaCode]:
        """This area and every area above it, district first."""
        parts = self.parts
        return [AreaCode("-".join(parts[:n])) for n in range(1, len(parts) + 1)]

    @property
    def parent(self) -> AreaCode | None:
        return AreaCode(self.rsplit("-", 1)[0]) if "-" in self else None

    def contains(self, code: str) -> bool:
        """True when `code` is this area or lies below it."""
        return is_within(code, self)


def common_ancestor(codes: Iterable[str]) -> AreaCode:
    """The deepest area containing all `codes` ("" when they share no district)."""
    common: list[str] = []
    for parts in zip(*(AreaCode(c).parts for c in codes), strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return AreaCode("-".join(common))


def level_of(code: str) -> str:
    """The level a code names, from its number of segments; ValueError if malformed."""
    parts = code.split("-")  # the one place a code is taken apart by hand
    if not 1 <= len(parts) <= len(LEVELS):
        raise ValueError(f"malformed area code {code!r}")
    for level, part in zip(LEVELS, parts, strict=False):
        if not re.fullmatch(_SEGMENT[level], part):
            raise ValueError(f"malformed area code {code!r}")
    return LEVELS[len(parts) - 1]


def parent_code(code: str) -> str | None:
    return AreaCode(code).parent


def child_code(parent: str, number: int | str) -> str:
    level = LEVELS[AreaCode(parent).depth]
    if isinstance(number, int):
        number = f"{number:03d}"
    code = f"{parent}-{number}"
    if level_of(code) != level:
        raise ValueError(f"malformed area code {code!r}")
    return code


def is_within(code: str, scope: str) -> bool:
    """True when `code` is `scope` itself or lies below it in the tree."""
    return code == scope or code.startswith(scope + "-")


def within_q(code: str, field: str = "area_code") -> Q:
    """Rows whose `field` is the area `code` or lies below it: `is_within` as a query.

    Written so each database serves it from an index on `field`. SQLite's LIKE ignores case
    and so cannot use a (BINARY) index; there the subtree is one range, from `code` up to
    `code.` ('.' being the character after '-'). In byte order that range holds `code`, the
    codes that start with `code-`, and strings continuing `code` with a character sorting
    below '-', which no area code holds (its segments are digits and letters). One range,
    not `code` OR a range, so an index led by another column (kind, stage) can still seek
    on the code. PostgreSQL keeps the prefix match, which its indexes serve under the C
    collation or with a pattern operator class (Django adds one for an indexed text field);
    a range there would be wrong under a linguistic collation, which sorts ignoring dashes.
    """
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": code, f"{field}__lt": code + "."})
    return Q(**{field: code}) | Q(**{f"{field}__startswith": code + "-"})


def grid_code_15(code: str) -> str:
    """The 15-digit grid code of CJ/T 349-2010 (division + sub-district + community + grid)."""
    area = AreaCode(code)
    if area.depth < 4:
        raise ValueError(f"{code!r} is above grid level")
    return "".join(area.grid.parts)
