"""Addresses in a resident roster: 小区 + 楼栋 + 单元 + 房号 to a household of the district."""

from __future__ import annotations

import re

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.permissions import can
from fangkong.core.areas import AreaCode, within_q
from fangkong.core.errors import RuleViolation
from fangkong.geo.models import Building, Community, Compound, Household

from . import excel_cells, excel_columns


def _violation(field_name: str, code: str, message) -> RuleViolation:
    return RuleViolation(field=field_name, code=code, message=message)


MAX_NAMES_SHOWN = 30


def _keys(building: Building, *, numbers: bool = False) -> set[str]:
    names = (building.name_zh, building.name_en)
    if numbers:
        return {excel_cells.building_number(n) for n in names} - {""}
    return {excel_cells.building_key(n) for n in names} - {""}


class Addresses:
    """Turns 小区 + 楼栋 + 单元 + 房号 into a household, with one query per batch at most.

    Names are looked up in the whole district, not only in the user's scope, so a row in
    someone else's area is refused as "outside your area" rather than "unknown".
    """

    def __init__(self, user):
        self.user = user
        district = AreaCode(user.scope_code).district
        self._area = within_q(district, "code")
        self._places: dict[str, list[tuple[str, int]]] | None = None  # name → compounds/communities
        self._pools: dict[tuple[str, int], list[Building]] = {}
        self._loose: list[Building] | None = None  # buildings in scope that have no compound
        self._homes: dict[int, dict[tuple[str, str], Household]] = {}
        self._codes: dict[str, tuple[int, str, str]] = {}  # household code → address

    def _load_places(self) -> dict[str, list[tuple[str, int]]]:
        if self._places is None:
            self._places = {}
            for kind, model in (("compound", Compound), ("community", Community)):
                for pk, name_zh, name_en in model.objects.filter(self._area).values_list(
                    "pk", "name_zh", "name_en"
                ):
                    for name in {excel_columns.compact(name_zh), excel_columns.compact(name_en)} - {
                        ""
                    }:
                        self._places.setdefault(name, []).append((kind, pk))
        return self._places

    def prefetch(self, rows: list[dict[str, object]]) -> None:
        """Load the buildings and households a batch names, in a few set-based queries."""
        places = self._load_places()
        wanted = set()
        for row in rows:
            name = excel_columns.compact(row.get("compound"))
            wanted.update(p for p in places.get(name, ()) if p not in self._pools)
        if wanted:
            compounds = [pk for kind, pk in wanted if kind == "compound"]
            communities = [pk for kind, pk in wanted if kind == "community"]
            for place in wanted:
                self._pools[place] = []
            for b in Building.objects.filter(
                Q(compound_id__in=compounds) | Q(grid__community_id__in=communities)
            ).select_related("grid"):
                if b.compound_id in compounds:
                    self._pools[("compound", b.compound_id)].append(b)
                if b.grid.community_id in communities:
                    self._pools[("community", b.grid.community_id)].append(b)
        if self._loose is None and any(not excel_columns.compact(r.get("compound")) for r in rows):
            scope = self.user.scope_code
            self._loose = list(
                Building.objects.filter(compound__isnull=True).filter(within_q(scope))
            )
        buildings = {b.pk for pool in self._pools.values() for b in pool}
        buildings.update(b.pk for b in self._loose or ())
        self._remember(Household.objects.filter(building_id__in=buildings - set(self._homes)))

    def _remember(self, households) -> None:
        for h in households:
            self._homes.setdefault(h.building_id, {})[
                (h.entrance.casefold(), h.room.casefold())
            ] = h
            self._codes[h.code] = (h.building_id, h.entrance.casefold(), h.room.casefold())

    def remember_created(self, households) -> None:
        self._remember(households)

    def resolve(self, values: dict[str, object]) -> Household:
        """The household at this address, or an unsaved one to create in a known building."""
        compound = excel_columns.compact(values.get("compound"))
        label = excel_cells.building_key(values.get("building"))
        if not label:
            raise _violation("building", "required", _("A building is required."))
        entrance = excel_cells.parse_entrance(values.get("entrance"))
        entrance, room = excel_cells.parse_room(values.get("room"), entrance)
        building = self._building(compound, label)
        homes = self._homes.setdefault(building.pk, {})
        home = homes.get((entrance.casefold(), room.casefold()))
        if home is not None:
            return home
        entrance = self._entrance(building, entrance, room)
        return homes.get((entrance.casefold(), room.casefold())) or self._new_household(
            building, entrance, room
        )

    def _entrance(self, building: Building, entrance: str, room: str) -> str:
        """The entrance a row means when its 单元 is blank, or given for a building whose
        households have none: a village house has one door, and 101 there is one household
        whether the roster writes 单元 1 or leaves it blank."""
        homes = self._homes.get(building.pk, {})
        entrances = {e for e, _r in homes}
        if entrance and entrances == {""}:
            return ""
        if entrance:
            return entrance
        if len(entrances) == 1:
            return next(iter(homes.values())).entrance
        doors = {e for e, r in homes if r == room.casefold()}
        if len(doors) == 1:
            return next(h.entrance for (e, r), h in homes.items() if r == room.casefold())
        if len(doors) > 1:
            raise _violation(
                "entrance",
                "required",
                _(
                    "Several entrances of this building have this room: fill in the entrance (单元)."
                ),
            )
        return entrance

    def _pool(self, compound: str) -> list[Building]:
        """The buildings a row's compound (or, without one, the user's area) may name."""
        if not compound:
            return self._loose or []
        places = self._load_places().get(compound)
        if not places:
            raise _violation(
                "compound",
                "unknown",
                _("No residential compound (or community) of this name in the district."),
            )
        # A compound's name wins over a community's: staff name the compound when there is one.
        kinds = {kind for kind, _pk in places}
        kind = "compound" if "compound" in kinds else "community"
        return [b for p in places if p[0] == kind for b in self._pools.get(p, ())]

    def _building(self, compound: str, label: str) -> Building:
        """The one building of that name the user may import into."""
        pool = self._pool(compound)
        matches = {b.pk: b for b in pool if label in _keys(b)}
        if not matches:
            # "1号楼" in compound 瓦屋李新居 names the building stored as 瓦屋李新居1号楼.
            number = excel_cells.building_number(label)
            matches = {b.pk: b for b in pool if number and number in _keys(b, numbers=True)}
        if not matches:
            names = sorted({b.name_zh for b in pool}, key=excel_cells.natural_key)
            shown = "、".join(names[:MAX_NAMES_SHOWN]) + (
                "…" if len(names) > MAX_NAMES_SHOWN else ""
            )
            raise _violation(
                "building",
                "unknown",
                (
                    _("No building of this name in the compound; it has: %(names)s.")
                    if compound
                    else _(
                        "No building of this name outside a compound in your area; fill in the "
                        "compound (小区). Buildings without a compound: %(names)s."
                    )
                )
                % {"names": shown or "—"},
            )
        mine = [b for b in matches.values() if can(self.user, "import_residents", b.area_code)]
        if not mine:
            raise _violation(
                "household",
                "out_of_scope",
                _("This address is outside your area; you may import residents only into it."),
            )
        if len(mine) > 1:
            raise _violation(
                "building",
                "ambiguous",
                _(
                    "Several buildings have this name; fill in the compound (小区) to tell them apart."
                ),
            )
        return mine[0]

    def _new_household(self, building: Building, entrance: str, room: str) -> Household:
        """An unsaved household for a room no one has imported yet, its code checked."""
        key = (entrance.casefold(), room.casefold())
        segment = f"{entrance}{room}"
        if not re.fullmatch(r"[0-9A-Za-z]{1,8}", segment):
            raise _violation(
                "room",
                "format",
                _("Entrance and room together are at most 8 letters and digits."),
            )
        code = f"{building.code}-{segment}"
        if self._codes.get(code, (building.pk, *key)) != (building.pk, *key):
            # e.g. entrance 1 room 101 and entrance 11 room 01 would share a code.
            raise _violation(
                "room",
                "code_clash",
                _("Another household of this building already has the code this room would get."),
            )
        home = Household(
            building=building,
            code=code,
            entrance=entrance,
            room=room,
            area_code=building.area_code,
        )
        self._homes[building.pk][key] = home
        self._codes[code] = (building.pk, *key)
        return home
