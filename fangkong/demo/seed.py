"""Write the demo district: the tree first, then grid by grid its buildings and people.

Memory stays flat as the population grows: one grid's households (a few hundred) are drawn,
written in one transaction and dropped before the next grid is started. Only the plan
(one small record per grid) and the ID allocator's counters (fixed size) live throughout.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import defaultdict
from dataclasses import dataclass

from django.db import reset_queries, transaction
from django.db.models import ProtectedError, Q
from django.utils.translation import gettext_lazy as _

from fangkong.core.areas import within_q
from fangkong.core.documents import Document, DocumentType
from fangkong.core.errors import RuleViolation
from fangkong.geo.models import (
    Building,
    Community,
    Compound,
    District,
    Grid,
    Household,
    Place,
    Subdistrict,
)
from fangkong.geo.services import import_district
from fangkong.people.models import Resident, ResidentTag
from fangkong.people.services import ResidentData

from .district import DISTRICT_CODE, DistrictPlan, GridPlan, plan_district
from .population import AS_OF, Population
from .rounds import clear_demo_rounds
from .shapes import plan_buildings

BATCH_SIZE = 500


@dataclass(frozen=True)
class SeedResult:
    residents: int
    households: int  # lived in
    flats: int  # all households, empty ones included
    buildings: int
    grids: int
    communities: int
    places: int
    seconds: float

    @property
    def residents_per_s(self) -> float:
        return self.residents / self.seconds if self.seconds else 0.0


def _in_district(field: str = "area_code") -> Q:
    return within_q(DISTRICT_CODE, field)


def is_seeded() -> bool:
    """True when the demo district, or anything below its code, is in the database."""
    return (
        District.objects.filter(code=DISTRICT_CODE).exists()
        or Resident.objects.filter(_in_district()).exists()
    )


def clear_demo() -> None:
    """Delete the demo district: residents, households, buildings, places and the tree.

    Grid by grid, one transaction each, so memory stays flat. Accounts are kept: the demo
    codes do not change, so their scopes are valid again after the next seed.
    """
    grid_codes = list(
        Grid.objects.filter(code__startswith=DISTRICT_CODE + "-").values_list("code", flat=True)
    )
    try:
        clear_demo_rounds()
        for code in grid_codes:
            with transaction.atomic():
                ResidentTag.objects.filter(resident__area_code=code).delete()
                Resident.objects.filter(area_code=code).delete()
                Household.objects.filter(area_code=code).delete()
                Building.objects.filter(area_code=code).delete()
            reset_queries()
        with transaction.atomic():
            ResidentTag.objects.filter(_in_district("resident__area_code")).delete()
            Resident.objects.filter(_in_district()).delete()
            Household.objects.filter(_in_district()).delete()
            Building.objects.filter(_in_district()).delete()
            Place.objects.filter(_in_district()).delete()
            Compound.objects.filter(code__startswith=DISTRICT_CODE + "-").delete()
            Grid.objects.filter(code__startswith=DISTRICT_CODE + "-").delete()
            Community.objects.filter(code__startswith=DISTRICT_CODE + "-").delete()
            Subdistrict.objects.filter(code__startswith=DISTRICT_CODE + "-").delete()
            District.objects.filter(code=DISTRICT_CODE).delete()
    except ProtectedError:
        raise RuleViolation(
            field="district",
            code="protected",
            message=_(
                "Other records (samples, cases, …) refer to the demo district, so it cannot "
                "be deleted and generated again."
            ),
        ) from None


def seed_demo(
    *,
    residents: int,
    seed: int,
    progress: bool,
    replace: bool = False,
    as_of: dt.date = AS_OF,
    console=None,
) -> SeedResult:
    """Generate the demo district with exactly `residents` people, the same for the same
    (residents, seed, as_of).

    An already seeded database is refused unless `replace`, which deletes the demo district
    first. Each grid is written in its own transaction; `progress` shows a bar on `console`.
    """
    if residents < 0:
        raise RuleViolation(
            field="residents", code="negative", message=_("The number of residents is negative.")
        )
    if is_seeded():
        if not replace:
            raise RuleViolation(
                field="district",
                code="already_seeded",
                message=_(
                    "The database already holds the demo district (410172 高新区). "
                    "Use --replace to delete it and generate it again."
                ),
            )
        clear_demo()
    started = time.perf_counter()
    plan = plan_district(residents=residents, seed=seed)
    created = import_district(plan.tree)
    population = Population(as_of=as_of)
    numbering: dict[str, int] = {}
    totals = defaultdict(int)
    with _progress_bar(progress, console) as bar:
        task = bar.add_task(str(_("Residents")), total=residents)
        for grid in plan.grids:
            counts = _seed_grid(plan, grid, population, numbering)
            for key, value in counts.items():
                totals[key] += value
            reset_queries()  # with DEBUG on, Django keeps every query's SQL
            bar.advance(task, grid.residents)
    return SeedResult(
        residents=totals["residents"],
        households=totals["households"],
        flats=totals["flats"],
        buildings=totals["buildings"],
        grids=len(plan.grids),
        communities=created["communities"],
        places=created["places"],
        seconds=time.perf_counter() - started,
    )


def _seed_grid(
    plan: DistrictPlan, grid: GridPlan, population: Population, numbering: dict[str, int]
) -> dict[str, int]:
    """Buildings, flats, households and residents of one grid, in one transaction."""
    rng = random.Random(f"fangkong-demo:{plan.seed}:{grid.code}")
    buildings: list[dict] = []
    blocks = []
    for block in grid.blocks:
        households = population.households(rng, block.residents, style=block.style)
        new = plan_buildings(
            rng,
            block,
            len(households),
            grid_code=grid.code,
            first_number=len(buildings) + 1,
            numbering=numbering,
        )
        buildings += new
        blocks.append(([b["code"] for b in new], households))
    with transaction.atomic():
        created = import_district(plan.grid_import(grid, buildings))
        flats: dict[str, list[int]] = defaultdict(list)
        rows = (
            Household.objects.filter(area_code=grid.code)
            .order_by("code")
            .values_list("id", "building__code")
        )
        for household_id, building_code in rows:
            flats[building_code].append(household_id)
        residents: list[Resident] = []
        tags: list[tuple[int, tuple[str, ...]]] = []
        lived_in = 0
        for codes, households in blocks:
            units = [h for code in codes for h in flats[code]]
            # Empty flats are spread over the block, not bunched on the top floors.
            chosen = sorted(rng.sample(range(len(units)), len(households)))
            lived_in += len(households)
            for index, people in zip(chosen, households, strict=True):
                for p in people:
                    if p.tags:
                        tags.append((len(residents), p.tags))
                    residents.append(
                        ResidentData(
                            name=p.name,
                            document=Document(
                                DocumentType.RESIDENT_ID, p.document, p.birth_date, p.sex
                            ),
                            phone=p.phone,
                            sex=p.sex,
                            birth_date=p.birth_date,
                            household_id=units[index],
                            area_code=grid.code,
                            residency=p.residency,
                            tags=set(p.tags),
                            note=p.note,
                        ).to_model()
                    )
        Resident.objects.bulk_create(residents, batch_size=BATCH_SIZE)
        ResidentTag.objects.bulk_create(
            [ResidentTag(resident_id=residents[i].pk, tag=t) for i, ts in tags for t in ts],
            batch_size=BATCH_SIZE * 4,
        )
    return {
        "residents": len(residents),
        "households": lived_in,
        "flats": created["households"],
        "buildings": created["buildings"],
    }


class _Quiet:
    """Stands in for a rich Progress when no bar is wanted."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def add_task(self, *args, **kwargs) -> int:
        return 0

    def advance(self, *args, **kwargs) -> None:
        pass


def _progress_bar(enabled: bool, console):
    if not enabled:
        return _Quiet()
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
    )
