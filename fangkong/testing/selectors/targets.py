"""Who a round expects beyond, or instead of, the residents of its areas: the people of the
institution rosters of a targeted round, and the people ordered to a retest round.

应检 (expected) and 已检 (tested) of every page (round page, coverage, map, dashboard, planner)
come through here, so a school's 1,205 pupils count where they were sampled and a 20-person
retest shows 20, not its grids' 1,887 residents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q

from fangkong.core.areas import AreaCode, is_within
from fangkong.people.models import ResidentStatus
from fangkong.people.selectors import IN_SCOPE_RESIDENCY

from ..models import RetestOrder, RosterMember, RoundKind, RoundMember, TestingRound


@dataclass
class Targets:
    """Per grid, the people a round expects on top of (or, `only_listed`, instead of) the
    residents of its areas, and how many of them were sampled in the round."""

    only_listed: bool = False
    expected: dict[str, int] = field(default_factory=dict)
    tested: dict[str, int] = field(default_factory=dict)

    def add(self, grid: str, sampled: bool) -> None:
        self.expected[grid] = self.expected.get(grid, 0) + 1
        if sampled:
            self.tested[grid] = self.tested.get(grid, 0) + 1

    @property
    def expected_total(self) -> int:
        return sum(self.expected.values())

    @property
    def tested_total(self) -> int:
        return sum(self.tested.values())


def _under(code: str, prefixes: Sequence[str]) -> bool:
    return any(is_within(code, p) for p in prefixes)


def _counted_as_resident(row: tuple, prefixes: Sequence[str]) -> bool:
    """Whether a roster member is already among the round's residents in scope."""
    _round, _roster_area, area, status, residency, household, building, _pk = row
    if status != ResidentStatus.ACTIVE or residency not in IN_SCOPE_RESIDENCY:
        return False
    coarse = [p for p in prefixes if AreaCode(p).depth <= 4]
    fine = [p for p in prefixes if AreaCode(p).depth > 4]
    return _under(area, coarse) or bool(fine and {household, building} & set(fine))


def _sampled(round_ids: list[int], people: Q) -> set[tuple[int, int]]:
    return set(
        RoundMember.objects.filter(people, round_id__in=round_ids).values_list(
            "round_id", "resident_id"
        )
    )


def _roster_targets(rounds: dict[int, list[str]], out: dict[int, Targets]) -> None:
    """Roster members of the rounds' institutions in view, not already residents in scope,
    counted in the institution's grid. Two queries whatever the number of rounds."""
    rows = list(
        RosterMember.objects.filter(roster__rounds__in=list(rounds)).values_list(
            "roster__rounds__id",
            "roster__area_code",
            "resident__area_code",
            "resident__status",
            "resident__residency",
            "resident__household__code",
            "resident__household__building__code",
            "resident_id",
        )
    )
    if not rows:
        return
    sampled = _sampled(
        list(rounds),
        Q(
            resident_id__in=RosterMember.objects.filter(roster__rounds__in=list(rounds)).values(
                "resident_id"
            )
        ),
    )
    seen: set[tuple[int, int]] = set()
    for row in rows:
        round_id, roster_area, resident = row[0], row[1], row[7]
        prefixes = rounds[round_id]
        if (round_id, resident) in seen or not _under(roster_area, prefixes):
            continue
        seen.add((round_id, resident))  # on two rosters of the round: counted once
        if _counted_as_resident(row, prefixes):
            continue
        out[round_id].add(AreaCode(roster_area).grid, (round_id, resident) in sampled)


def _retest_targets(rounds: dict[int, list[str]], out: dict[int, Targets]) -> None:
    """The people ordered to each retest round, by the grid of their order, in view, and
    whether each was sampled in it: one query."""
    sampled = RoundMember.objects.filter(
        round_id=OuterRef("retest_round_id"), resident_id=OuterRef("resident_id")
    )
    rows = (
        RetestOrder.objects.filter(retest_round_id__in=list(rounds))
        .annotate(sampled=Exists(sampled))
        .values_list("retest_round_id", "area_code", "resident_id", "sampled")
        .distinct()
    )
    seen: set[tuple[int, int]] = set()
    for round_id, area, resident, was_sampled in rows:
        if (round_id, resident) in seen or not _under(area, rounds[round_id]):
            continue
        seen.add((round_id, resident))
        out[round_id].add(AreaCode(area).grid, was_sampled)


def round_targets(*, rounds: Sequence[tuple[TestingRound, list[str]]]) -> dict[int, Targets]:
    """Each round's listed people (rosters, retest orders) under its part in view
    (`round_prefixes`, already cut to the user's scope). Rounds with none get empty targets;
    at most four queries whatever the number of rounds."""
    out = {r.pk: Targets(only_listed=r.kind == RoundKind.RETEST) for r, _prefixes in rounds}
    retests = {r.pk: p for r, p in rounds if r.kind == RoundKind.RETEST and p}
    targeted = {r.pk: p for r, p in rounds if r.kind != RoundKind.RETEST and p}
    if retests:
        _retest_targets(retests, out)
    if targeted:
        _roster_targets(targeted, out)
    return out
