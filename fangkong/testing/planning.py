"""Round planning and the pooling advisor: pure functions, no database.

The sizing rules come from the regional testing guide (3rd edition, March 2022): one sampling
site per 2,000–3,000 people, one table per 600–800 people, samplers = population ÷ 360; the
observed rate is about 60 people per sampler-hour, so 360 people per sampler is six hours of
work. Every rate is a Django setting with the guide's value as default (`planning_settings`),
because a city with a different rhythm must be able to plan with its own numbers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

MAX_POOL = 20  # the national guide caps pools at 20

# Setting name → default. Listed here so the README and settings.py can be checked against it.
DEFAULTS: dict[str, float] = {
    "FANGKONG_PEOPLE_PER_SITE_MIN": 2000,
    "FANGKONG_PEOPLE_PER_SITE_MAX": 3000,
    "FANGKONG_PEOPLE_PER_TABLE_MIN": 600,
    "FANGKONG_PEOPLE_PER_TABLE_MAX": 800,
    "FANGKONG_PEOPLE_PER_SAMPLER": 360,
    "FANGKONG_SAMPLER_RATE_PER_HOUR": 60,
    "FANGKONG_SWAB_POINTS_PER_ENV_TUBE": 10,
    "FANGKONG_SAMPLING_TARGET_HOURS": 6,
    "FANGKONG_COMPLETION_TARGET_HOURS": 24,
    "FANGKONG_TRANSPORT_HOURS": 2,
    "FANGKONG_LAB_TURNAROUND_HOURS": 6,
    # Lab tests per hour across the labs serving the district; 0 = unknown, not a limit.
    "FANGKONG_LAB_TESTS_PER_HOUR": 0,
    "FANGKONG_PLANNING_PREVALENCE": 0.0,
}


def setting(name: str) -> float:
    """A planning rate: the Django setting if set, else the guide's default."""
    return getattr(settings, name, DEFAULTS[name])


def planning_settings() -> dict[str, float]:
    return {name: setting(name) for name in DEFAULTS}


# ---------------------------------------------------------------------------------------------
# Pooling (two-stage Dorfman)


def dorfman_tests_per_person(prevalence: float, pool_size: int) -> float:
    """Expected lab tests per person when pools of `pool_size` are tested and every member of
    a positive pool is re-tested alone: E(k) = 1/k + 1 − (1 − p)^k; E(1) = 1."""
    if pool_size == 1:
        return 1.0
    return 1 / pool_size + 1 - (1 - prevalence) ** pool_size


def ct_shift(pool_size: int) -> float:
    """Cycles a weak positive's Ct rises when diluted k-fold: each doubling adds about one."""
    return math.log2(pool_size) if pool_size > 1 else 0.0


class PoolingInputError(ValueError):
    """An advisor input out of range; `field` names the option."""

    def __init__(self, field: str, message) -> None:
        self.field = field
        self.message = message
        super().__init__(force_str(message))


def validate_pooling_input(
    prevalence: float, max_pool: int = MAX_POOL, population: int | None = None
) -> None:
    """Raise PoolingInputError naming the option when an input is out of range."""
    if not (isinstance(prevalence, int | float) and 0 <= prevalence <= 1):
        raise PoolingInputError("prevalence", _("--prevalence must lie between 0 and 1."))
    if not (isinstance(max_pool, int) and 1 <= max_pool <= MAX_POOL):
        raise PoolingInputError("max_pool", _("--max-pool must be a whole number from 1 to 20."))
    if population is not None and not (isinstance(population, int) and population >= 0):
        raise PoolingInputError("population", _("--population must be a whole number ≥ 0."))


@dataclass(frozen=True)
class PoolingAdvice:
    pool_size: int
    tests_per_person: float
    tubes: int | None
    lab_tests_expected: int | None
    individual_testing_better: bool
    prevalence: float
    max_pool: int
    population: int | None
    ct_shift_cycles: float
    warnings: list[str] = field(default_factory=list)
    by_pool_size: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def advise_pooling(
    *, prevalence: float, max_pool: int = MAX_POOL, population: int | None = None
) -> PoolingAdvice:
    """The pool size 2..max_pool with the fewest expected tests per person, or single tubes
    when no pool beats testing everyone alone."""
    validate_pooling_input(prevalence, max_pool, population)
    table = [
        {"pool_size": k, "tests_per_person": round(dorfman_tests_per_person(prevalence, k), 4)}
        for k in range(1, max_pool + 1)
    ]
    best_k, best_e = 1, 1.0
    for k in range(2, max_pool + 1):
        e = dorfman_tests_per_person(prevalence, k)
        if e < best_e - 1e-12:
            best_k, best_e = k, e
    individual = best_k == 1
    tubes = lab_tests = None
    if population is not None:
        tubes = math.ceil(population / best_k)
        # Each pool is one test; a positive pool adds one test per member (the last pool may
        # be short, which the per-person expectation slightly overstates).
        lab_tests = round(population * best_e)
    warnings: list[str] = []
    shift = ct_shift(best_k)
    if best_k > 1:
        warnings.append(
            force_str(
                _(
                    "Pooling %(k)d samples dilutes each %(k)d-fold: a weak positive's Ct rises by "
                    "about %(shift).1f cycles (one per doubling), so positives near the assay "
                    "cut-off may be missed."
                )
                % {"k": best_k, "shift": shift}
            )
        )
        warnings.append(
            force_str(
                _(
                    "The national guide caps pools at 20 and tests key groups, isolation sites "
                    "and sealed zones by single tube whatever the prevalence."
                )
            )
        )
    else:
        warnings.append(
            force_str(
                _("At this prevalence no pool size saves tests: test everyone by single tube.")
            )
        )
    return PoolingAdvice(
        pool_size=best_k,
        tests_per_person=round(best_e, 4),
        tubes=tubes,
        lab_tests_expected=lab_tests,
        individual_testing_better=individual,
        prevalence=prevalence,
        max_pool=max_pool,
        population=population,
        ct_shift_cycles=round(shift, 2),
        warnings=warnings,
        by_pool_size=table,
    )


# ---------------------------------------------------------------------------------------------
# Round planning


@dataclass(frozen=True)
class RoundPlan:
    population: int
    pool_size: int
    sites: int
    sites_min: int
    sites_max: int
    tables: int
    tables_min: int
    tables_max: int
    samplers: int
    samplers_needed_for_target: int
    sampling_hours: float
    people_tubes: int
    environment_tubes: int
    environment_points: int
    tubes: int
    lab_tests: int
    completion_hours: float
    sampling_target_hours: float
    completion_target_hours: float
    sampling_target_met: bool
    completion_target_met: bool
    lab_hours: float

    def as_dict(self) -> dict:
        return asdict(self)


def _range(population: int, per_min: float, per_max: float) -> tuple[int, int]:
    """Fewest units keeping each at or under `per_max`; most keeping each at or over `per_min`."""
    if population <= 0:
        return 0, 0
    fewest = max(1, math.ceil(population / per_max))
    most = max(fewest, math.floor(population / per_min))
    return fewest, most


def _sites_and_tables(population: int) -> tuple[int, int, int, int]:
    """The fewest and most sampling sites, then tables, the guide allows for `population`."""
    sites_min, sites_max = _range(
        population, setting("FANGKONG_PEOPLE_PER_SITE_MIN"), setting("FANGKONG_PEOPLE_PER_SITE_MAX")
    )
    tables_min, tables_max = _range(
        population,
        setting("FANGKONG_PEOPLE_PER_TABLE_MIN"),
        setting("FANGKONG_PEOPLE_PER_TABLE_MAX"),
    )
    tables_min = max(tables_min, sites_min)  # every site has at least one table
    return sites_min, sites_max, tables_min, max(tables_max, tables_min)


def _tubes_and_tests(
    *, population: int, pool_size: int, environment_points: int, prevalence: float | None
) -> tuple[int, int, int]:
    """People's tubes, environmental tubes, and lab tests with the expected pool retests."""
    per_tube = setting("FANGKONG_SWAB_POINTS_PER_ENV_TUBE")
    env_tubes = math.ceil(environment_points / per_tube) if environment_points else 0
    people_tubes = math.ceil(population / pool_size)
    p = setting("FANGKONG_PLANNING_PREVALENCE") if prevalence is None else prevalence
    positive_pools = people_tubes * (1 - (1 - p) ** pool_size) if pool_size > 1 else 0
    return people_tubes, env_tubes, people_tubes + env_tubes + math.ceil(positive_pools * pool_size)


def plan_round(
    *,
    population: int,
    pool_size: int,
    environment_points: int = 0,
    samplers: int | None = None,
    prevalence: float | None = None,
) -> RoundPlan:
    """Sites, tables, samplers, hours, tubes and lab tests for testing `population` people.

    The proposal is the fewest sites and tables the guide allows (each within its maximum);
    the range up to the most that keeps each unit at its minimum is given beside it. Sampling
    time is at the observed sampler rate; completion adds transport and the lab, which is the
    bottleneck when its hourly capacity is set and lower than the sampling pace.
    """
    if population < 0:
        raise ValueError("population must be ≥ 0")
    if not 1 <= pool_size <= MAX_POOL:
        raise ValueError("pool size must lie between 1 and 20")
    sites_min, sites_max, tables_min, tables_max = _sites_and_tables(population)
    rate = setting("FANGKONG_SAMPLER_RATE_PER_HOUR")
    sampling_target = setting("FANGKONG_SAMPLING_TARGET_HOURS")
    completion_target = setting("FANGKONG_COMPLETION_TARGET_HOURS")
    proposed_samplers = (
        max(tables_min, math.ceil(population / setting("FANGKONG_PEOPLE_PER_SAMPLER")))
        if population
        else 0
    )
    working = proposed_samplers if samplers is None else samplers
    sampling_hours = population / (working * rate) if population and working else 0.0
    if population and not working:
        sampling_hours = math.inf
    needed = math.ceil(population / (rate * sampling_target)) if population else 0

    people_tubes, env_tubes, lab_tests = _tubes_and_tests(
        population=population,
        pool_size=pool_size,
        environment_points=environment_points,
        prevalence=prevalence,
    )
    capacity = setting("FANGKONG_LAB_TESTS_PER_HOUR")
    # The lab works while sampling goes on; it only delays the end when it cannot keep pace.
    lab_hours = lab_tests / capacity if capacity else 0.0
    completion = (
        max(sampling_hours, lab_hours)
        + setting("FANGKONG_TRANSPORT_HOURS")
        + setting("FANGKONG_LAB_TURNAROUND_HOURS")
        if population
        else 0.0
    )
    return RoundPlan(
        population=population,
        pool_size=pool_size,
        sites=sites_min,
        sites_min=sites_min,
        sites_max=sites_max,
        tables=tables_min,
        tables_min=tables_min,
        tables_max=tables_max,
        samplers=proposed_samplers,
        samplers_needed_for_target=needed,
        sampling_hours=round(sampling_hours, 2),
        people_tubes=people_tubes,
        environment_tubes=env_tubes,
        environment_points=environment_points,
        tubes=people_tubes + env_tubes,
        lab_tests=lab_tests,
        completion_hours=round(completion, 2),
        sampling_target_hours=sampling_target,
        completion_target_hours=completion_target,
        sampling_target_met=sampling_hours <= sampling_target + 1e-9,
        completion_target_met=completion <= completion_target + 1e-9,
        lab_hours=round(lab_hours, 2),
    )
