"""Reads for mass testing, published to every other app: rounds and their scope, live
coverage, the figures of rounds (statistics, tubes, overdue tubes, pool state) and results by
area. Other apps read testing's figures through these functions, never its tables.
"""

from .coverage import (
    DOORKNOCK_KIND,
    OVERDUE_LIST_LIMIT,
    BuildingGroup,
    Coverage,
    GridCoverage,
    coverage_features,
    doorknock_key,
    doorknock_tasks,
    round_coverage,
    tested_by_area,
    tested_by_home,
    untested_by_building,
    untested_residents,
)
from .doorknock import Households, household_coverage, household_outcomes, my_doorknock_tasks
from .figures import bulletin_phrase, merged_statistics, round_statistics
from .phase import RoundPhase, round_phase, round_phases, sampling_q, window_over
from .results import (
    AreaResults,
    PoolMember,
    last_positive_samples,
    person_round_results,
    pool_members,
    results_by_area,
    single_tube_person,
)
from .retests import open_retests, retest_counts
from .rosters import roster_places, round_rosters
from .scope import (
    active_rounds,
    get_round,
    may_manage_rounds,
    resident_q,
    round_prefixes,
    rounds_for_user,
)
from .stations import round_stations, samplers_in_scope
from .targets import Targets, round_targets
from .tubes import (
    OVERDUE_DEFAULTS,
    OverdueTube,
    TubeFigures,
    overdue_hours,
    overdue_tubes,
    tube_figures,
)

__all__ = [
    "DOORKNOCK_KIND",
    "OVERDUE_DEFAULTS",
    "OVERDUE_LIST_LIMIT",
    "AreaResults",
    "BuildingGroup",
    "Coverage",
    "GridCoverage",
    "Households",
    "OverdueTube",
    "PoolMember",
    "RoundPhase",
    "Targets",
    "TubeFigures",
    "active_rounds",
    "bulletin_phrase",
    "coverage_features",
    "doorknock_key",
    "doorknock_tasks",
    "get_round",
    "household_coverage",
    "household_outcomes",
    "last_positive_samples",
    "may_manage_rounds",
    "merged_statistics",
    "my_doorknock_tasks",
    "open_retests",
    "overdue_hours",
    "overdue_tubes",
    "person_round_results",
    "pool_members",
    "resident_q",
    "results_by_area",
    "retest_counts",
    "roster_places",
    "round_coverage",
    "round_phase",
    "round_phases",
    "round_prefixes",
    "round_rosters",
    "round_stations",
    "round_statistics",
    "round_targets",
    "rounds_for_user",
    "samplers_in_scope",
    "sampling_q",
    "single_tube_person",
    "tested_by_area",
    "tested_by_home",
    "tube_figures",
    "untested_by_building",
    "untested_residents",
    "window_over",
]
