"""A zone's testing schedule and its grid workers' daily tasks.

Rounds are made through the testing app's service: one per scheduled day of the zone kind,
pooled as the protocol says for that kind, the first due within the protocol's deadline (24 h
for a sealed zone, 48 h for a controlled one), with a door-to-door team (or a booth) at the
community's sampling site. The rounds cover the zone exactly: its grids, and the buildings of
its compounds and buildings, so the round's coverage is the zone's people.

Daily tasks are keyed `zone:<zone>:daily:<date>:<grid>:<worker>`: creating them again (the
daily evaluation tops them up) never duplicates one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import Role, User
from fangkong.core.areas import AreaCode
from fangkong.core.errors import RuleViolation
from fangkong.geo.models import Place, PlaceKind
from fangkong.testing.models import RoundKind, RoundStatus, StationKind
from fangkong.testing.services.rounds import add_station, cancel_round, create_round
from fangkong.work.models import Task, TaskState

from .. import selectors
from ..facts import gather
from ..models import MemberType, RiskZone, ZoneMember, ZoneRound
from ..rules import POOL_GROUP, round_times

TASK_KIND = "zone_daily"


def task_key_prefix(zone: RiskZone) -> str:
    return f"zone:{zone.pk}:"


def round_scope(members: Sequence[ZoneMember]) -> list[str]:
    """Grid members as grids; compounds and buildings as their buildings (one query)."""
    grids = [m.code for m in members if m.node_type == MemberType.GRID]
    others = [m for m in members if m.node_type != MemberType.GRID]
    buildings: list[str] = []
    if others:
        inside = set(grids)
        buildings = [
            code
            for code, grid in selectors.zone_buildings(others)
            .values_list("code", "area_code")
            .order_by("code")
            if grid not in inside
        ]
    return sorted(set(grids)) + buildings


def _community(code: str) -> str:
    return AreaCode(code).community


def sampling_sites(members: Sequence[ZoneMember]) -> list[Place]:
    """The first sampling site of each community the zone touches."""
    communities = sorted({_community(m.area_code) for m in members})
    sites: dict[str, Place] = {}
    for place in (
        Place.objects.filter(kind=PlaceKind.SAMPLING_SITE, community__code__in=communities)
        .select_related("community")
        .order_by("code")
    ):
        sites.setdefault(place.community.code, place)
    return list(sites.values())


def _site_language():
    return translation.override(settings.LANGUAGE_CODE)


def create_schedule(zone: RiskZone, rule: dict, user) -> list[ZoneRound]:
    """Create the zone's rounds for its scheduled days (inside the caller's transaction)."""
    return _add_rounds(zone, rule, round_times(rule, zone.designated_at), user)


def add_final_round(zone: RiskZone, rule: dict, day: int) -> ZoneRound | None:
    """One more round on `day` (counted from designation), when an infection found inside has
    pushed the final round past the schedule; none if that day already has one."""
    if zone.schedule.filter(day=day).exists():
        return None
    starts = zone.designated_at + dt.timedelta(days=day - 1)
    (made,) = _add_rounds(zone, rule, [(day, starts, starts + dt.timedelta(hours=24))], None)
    return made


def _add_rounds(zone: RiskZone, rule: dict, times, user) -> list[ZoneRound]:
    members = list(zone.members.all())
    scope = round_scope(members)
    sites = sampling_sites(members)
    kind = RoundKind.TARGETED if zone.kind == "standstill" else RoundKind.ZONE_SCHEDULE
    station_kind = (
        StationKind.DOOR_TO_DOOR if rule["sampling"] == "door_to_door" else StationKind.BOOTH
    )
    created = []
    with _site_language():
        station_name = str(
            _("Door-to-door team") if station_kind == StationKind.DOOR_TO_DOOR else _("Zone booth")
        )
        for day, starts, due in times:
            round_ = create_round(
                name=str(_("%(zone)s: day %(day)d round") % {"zone": zone.name, "day": day})[:200],
                scope_codes=scope,
                user=user,
                kind=kind,
                pool_group=POOL_GROUP[rule["regime"]],
                pool_size=rule["default_pool_size"],
                starts_at=starts,
                due_at=due,
            )
            for place in sites:
                add_station(round=round_, place=place, name=station_name, kind=station_kind)
            created.append(ZoneRound(zone=zone, round=round_, day=day))
    return ZoneRound.objects.bulk_create(created)


def plan_days(rule: dict) -> int:
    """Days of daily tasks made at designation: up to the last scheduled round (at least 1);
    the daily evaluation adds each further day while the zone stays active."""
    return max([*rule["test_days"], 1])


def _day_end(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


def grid_workers(grids: Sequence[str]) -> dict[str, list[User]]:
    """The active grid workers of each grid: one query."""
    workers: dict[str, list[User]] = {g: [] for g in grids}
    for worker in User.objects.filter(
        role=Role.GRID_WORKER, scope_code__in=list(workers), is_active=True
    ).order_by("pk"):
        workers[worker.scope_code].append(worker)
    return workers


def daily_tasks(
    zone: RiskZone,
    days: Sequence[int],
    *,
    grids: Sequence[str],
    people: dict[str, dict[str, int]],
    workers: dict[str, list[User]],
) -> list[Task]:
    """One task per grid worker of each grid of the zone for each day number (unsaved); a
    grid without a worker gets one unassigned task. `people` are the residents by grid."""
    start = timezone.localtime(zone.designated_at).date()
    tasks = []
    with _site_language():
        for day in days:
            date = start + dt.timedelta(days=day - 1)
            for grid in grids:
                counts = people.get(grid, {"residents": 0, "elderly_alone": 0, "medical_trips": 0})
                title = str(
                    _(
                        "%(zone)s, day %(day)d: check every home, deliver supplies, visit "
                        "%(elderly)d elderly living alone and %(medical)d needing medical trips"
                    )
                    % {
                        "zone": zone.name,
                        "day": day,
                        "elderly": counts["elderly_alone"],
                        "medical": counts["medical_trips"],
                    }
                )[:200]
                for worker in workers.get(grid) or [None]:
                    who = worker.pk if worker else "none"
                    tasks.append(
                        Task(
                            key=f"{task_key_prefix(zone)}daily:{date.isoformat()}:{grid}:{who}",
                            kind=TASK_KIND,
                            title=title,
                            detail={"zone_id": zone.pk, "day": day, "grid": grid, **counts},
                            area_code=grid,
                            assignee=worker,
                            due_at=_day_end(date),
                        )
                    )
    return tasks


def save_new_tasks(tasks: Sequence[Task]) -> int:
    """Write the tasks whose key is new (two statements); returns how many were."""
    keys = [t.key for t in tasks]
    if not keys:
        return 0
    existing = set(Task.objects.filter(key__in=keys).values_list("key", flat=True))
    new = [t for t in tasks if t.key not in existing]
    Task.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def ensure_daily_tasks(zone: RiskZone, days: Sequence[int]) -> int:
    """One task per grid worker of each grid of the zone for each day number; returns how many
    were new. A grid without a worker gets one unassigned task."""
    facts = gather([zone], results="none", checklist=False)[zone.pk]
    tasks = daily_tasks(
        zone,
        days,
        grids=facts.grids,
        people=facts.people_by_grid,
        workers=grid_workers(facts.grids),
    )
    return save_new_tasks(tasks)


def cancel_future_tasks(zone: RiskZone, *, now: dt.datetime) -> int:
    """Open daily tasks of days after today are cancelled when the zone ends."""
    return Task.objects.filter(
        key__startswith=task_key_prefix(zone),
        state=TaskState.OPEN,
        due_at__gt=_day_end(timezone.localtime(now).date()),
    ).update(state=TaskState.CANCELLED)


def cancel_future_rounds(zone: RiskZone, *, user, now: dt.datetime) -> int:
    """The zone's scheduled rounds that have not started are cancelled when it ends (through
    the testing app); one that somehow has samples already is left to the testing staff."""
    cancelled = 0
    for s in zone.schedule.select_related("round").filter(
        round__starts_at__gt=now, round__status__in=[RoundStatus.PLANNED, RoundStatus.ACTIVE]
    ):
        try:
            cancel_round(round=s.round, user=user, now=now)
        except RuleViolation as exc:
            if exc.code != "sampled":
                raise
        else:
            cancelled += 1
    return cancelled
