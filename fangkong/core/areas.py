"""Hierarchical area codes: `410172-002-005-012` is district-subdistrict-community-grid.

The first six digits are the GB/T 2260 administrative code; each further segment is a
fixed-width local number, so a prefix match on the code selects a whole subtree.
"""

from __future__ import annotations

import re

LEVELS = ("district", "subdistrict", "community", "grid", "building", "household")
_SEGMENT = {
    "district": r"\d{6}",
    "subdistrict": r"\d{3}",
    "community": r"\d{3}",
    "grid": r"\d{3}",
    "building": r"\d{3}",
    "household": r"[0-9A-Za-z]{1,8}",
}


def level_of(code: str) -> str:
    """The level a code names, from its number of segments; ValueError if malformed."""
    parts = code.split("-")
    if not 1 <= len(parts) <= len(LEVELS):
        raise ValueError(f"malformed area code {code!r}")
    for level, part in zip(LEVELS, parts, strict=False):
        if not re.fullmatch(_SEGMENT[level], part):
            raise ValueError(f"malformed area code {code!r}")
    return LEVELS[len(parts) - 1]


def parent_code(code: str) -> str | None:
    return code.rsplit("-", 1)[0] if "-" in code else None


def child_code(parent: str, number: int | str) -> str:
    level = LEVELS[len(parent.split("-"))]
    if isinstance(number, int):
        number = f"{number:03d}"
    code = f"{parent}-{number}"
    if level_of(code) != level:
        raise ValueError(f"malformed area code {code!r}")
    return code


def is_within(code: str, scope: str) -> bool:
    """True when `code` is `scope` itself or lies below it in the tree."""
    return code == scope or code.startswith(scope + "-")


def grid_code_15(code: str) -> str:
    """The 15-digit grid code of CJ/T 349-2010 (division + sub-district + community + grid)."""
    parts = code.split("-")
    if len(parts) < 4:
        raise ValueError(f"{code!r} is above grid level")
    return "".join(parts[:4])
