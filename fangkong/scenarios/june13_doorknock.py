"""Door-knocking in the 13 June replay: before noon the community's rounds turn their
not-yet-tested lists into household tasks for the grid workers, and the noon note says the
testing was completed (完成) only when no household is left unexplained."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection

from fangkong.geo.models import Building, Household
from fangkong.people.models import Resident
from fangkong.testing.models import RoundMember, Sample, TestingRound
from fangkong.testing.selectors import household_coverage
from fangkong.testing.services.doorknock import generate_doorknock_tasks


@dataclass(frozen=True)
class Knocked:
    tasks: int  # households given a door-knocking task
    unexplained: int  # households with someone untested and no outcome that accounts for them


def knock_on_doors(*, user, rounds: Sequence[TestingRound], at: dt.datetime) -> Knocked:
    """Household tasks for every round's not-yet-tested list, as of `at`; the households
    still unexplained across the rounds."""
    _fresh_statistics()
    tasks = unexplained = 0
    for round_ in rounds:
        result = generate_doorknock_tasks(round=round_, user=user, now=at)
        tasks += result.created + result.updated
        unexplained += household_coverage(user=user, round=round_).unexplained
    return Knocked(tasks=tasks, unexplained=unexplained)


def noon_note(*, community: str, tests: int, knocked: Knocked) -> str:
    """The noon note: 完成 only with every household accounted for."""
    lead = f"{community}发挥党员志愿者与居民代表作用，运用居民群与楼栋对讲系统通知居民，"
    if knocked.unexplained == 0:
        return f"{lead}中午12时完成居民核酸检测，共检测{tests}人次。"
    return (
        f"{lead}截至中午12时共检测{tests}人次；地毯式开展“敲门行动”，"
        f"尚有{knocked.unexplained}户未说明情况，已派发敲门任务{knocked.tasks}户，继续核查。"
    )


def _fresh_statistics() -> None:
    """PostgreSQL: statistics of the tables the not-yet-tested lists read.

    The replay writes the district's people and the morning's samples in its own transaction,
    where autovacuum cannot count them; planned from empty statistics, "residents of these
    buildings with no sample in the round" scanned every household once per resident (a
    minute per round at the story's scale). ANALYZE in the transaction counts its own rows.
    """
    if connection.vendor != "postgresql":
        return
    tables = [m._meta.db_table for m in (Resident, Household, Building, Sample, RoundMember)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
