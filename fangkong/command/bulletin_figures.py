"""The figures a bulletin prints, read from the database at the moment of writing.

Nothing here is a constant: every count, time and place comes from rows (tubes, lab results,
retest orders, rounds, zones, incidents, tasks). The figures are kept with the bulletin, so an
archived bulletin shows what it was written from.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from fangkong.core.areas import AreaCode
from fangkong.geo.models import District
from fangkong.geo.selectors import get_node
from fangkong.lab.models import LabResult, ResultStatus
from fangkong.lab.selectors import flagged_results
from fangkong.testing.models import (
    Result,
    RoundKind,
    RoundStatus,
    TestingRound,
    Tube,
)
from fangkong.testing.selectors import (
    bulletin_phrase,
    merged_statistics,
    retest_counts,
    round_statistics,
    tube_figures,
)
from fangkong.work.models import Task, TaskState
from fangkong.zones.models import RiskZone
from fangkong.zones.selectors import zone_name_en

from .models import Incident, IncidentStatus, TimelineEntry
from .scope import meets_q, within_q

ALARM = [Result.POSITIVE, Result.PRESUMPTIVE_POSITIVE]
MAX_ROUNDS = 20


def _names(code: str) -> dict:
    node = get_node(code) if code else None
    if node is None:
        return {"code": code, "zh": code, "en": code}
    return {"code": code, "zh": node.name_zh, "en": node.name_en or node.name_zh}


def district_of(code: str) -> dict:
    district = District.objects.filter(code=AreaCode(code).district).first()
    if district is None:
        district_code = AreaCode(code).district
        return {"code": district_code, "zh": district_code, "en": district_code}
    return {
        "code": district.code,
        "zh": district.name_zh,
        "en": district.name_en or district.name_zh,
    }


# ---------------------------------------------------------------------------------------------
# Shared pieces


def round_figures(
    rounds: list[TestingRound], district_code: str, *, now: dt.datetime
) -> list[dict]:
    """Each round: where, when, the bulletin phrase in both languages, its tubes' results and
    its positive pools (cleared or not); three grouped queries whatever the number of rounds."""
    ids = [r.pk for r in rounds]
    stats = round_statistics(round_ids=ids)
    tubes = tube_figures(round_ids=ids, now=now)
    out = []
    for r in rounds:
        whole = list(r.scope_codes) == [district_code]
        out.append(
            {
                "id": r.pk,
                "name": r.name,
                "kind": r.kind,
                "whole_district": whole,
                "areas": [] if whole else [_names(c) for c in r.scope_codes],
                "starts_at": r.starts_at,
                "closed_at": r.closed_at,
                "stats": stats[r.pk],
                "phrase_zh": bulletin_phrase(stats[r.pk], "zh-hans"),
                "phrase_en": bulletin_phrase(stats[r.pk], "en"),
                "tubes": tubes[r.pk].results(),
                "pools": {
                    "positive": tubes[r.pk].positive_pools,
                    "cleared": tubes[r.pk].cleared_pools,
                },
            }
        )
    return out


def merged_rounds(rounds: list[dict]) -> dict | None:
    """Several rounds' figures summed, in `round_figures`' shape."""
    if not rounds:
        return None
    tubes = dict.fromkeys(("collected", "resulted", "negative", "alarm", "invalid"), 0)
    for r in rounds:
        for key in tubes:
            tubes[key] += r["tubes"][key]
    stats = merged_statistics(r["stats"] for r in rounds)
    return {
        "count": len(rounds),
        "first_start": min(r["starts_at"] for r in rounds),
        "last_start": max(r["starts_at"] for r in rounds),
        "stats": stats,
        "phrase_zh": bulletin_phrase(stats, "zh-hans"),
        "phrase_en": bulletin_phrase(stats, "en"),
        "tubes": tubes,
    }


def _alarm_tubes(tube_ids: list[int]) -> list[dict]:
    """The alarming tubes with their place, pool size, result and reporting lab."""
    if not tube_ids:
        return []
    labs = {
        tube_id: (lab, at)
        for tube_id, lab, at in LabResult.objects.filter(
            tube_id__in=tube_ids, status=ResultStatus.ACCEPTED
        ).values_list("tube_id", "lab__name", "reported_at")
    }
    out = []
    for t in (
        Tube.objects.filter(pk__in=tube_ids)
        .select_related("station__site__place")
        .order_by("resulted_at", "id")
    ):
        place = t.station.site.place if t.station_id else None
        subdistrict = _names(AreaCode(place.area_code).subdistrict) if place else None
        lab, reported_at = labs.get(t.pk, ("", t.resulted_at))
        out.append(
            {
                "barcode": t.barcode,
                "capacity": t.capacity,
                "kind": t.kind,
                "result": t.result,
                "place_zh": place.name_zh if place else "",
                "place_en": (place.name_en or place.name_zh) if place else "",
                "subdistrict_zh": subdistrict["zh"] if subdistrict else "",
                "subdistrict_en": subdistrict["en"] if subdistrict else "",
                "lab": lab,
                "reported_at": reported_at,
                "members": t.sample_count,
            }
        )
    return out


def _zones(scope: str, start: dt.datetime, end: dt.datetime) -> dict:
    """Zones designated and ended in [start, end), and those active at `end`, by kind."""

    zones = RiskZone.objects.filter(meets_q(scope))
    designated = [
        {
            "name": z.name,
            "name_en": zone_name_en(z),
            "kind": z.kind,
            "at": z.designated_at,
            "residents": z.residents,
        }
        for z in zones.filter(designated_at__gte=start, designated_at__lt=end)
        .prefetch_related("members")
        .order_by("designated_at", "id")
    ]
    ended = [
        {
            "name": z.name,
            "name_en": zone_name_en(z),
            "kind": z.kind,
            "at": z.ended_at,
            "status": z.status,
        }
        for z in zones.filter(ended_at__gte=start, ended_at__lt=end)
        .prefetch_related("members")
        .order_by("ended_at", "id")
    ]
    active: dict[str, int] = {}
    for kind, n in (
        zones.filter(designated_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=end))
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by("kind")
    ):
        active[kind] = n
    return {"designated": designated, "ended": ended, "active": active}


# ---------------------------------------------------------------------------------------------
# An incident


def incident_figures(incident: Incident, *, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    end = incident.closed_at or now
    district = district_of(incident.area_code)
    events = [
        e.event
        for e in TimelineEntry.objects.filter(incident=incident, kind="pool_positive")
        .select_related("event")
        .order_by("at", "id")
        if e.event_id
    ]
    if incident.source_event_id and incident.source_event not in events:
        events.insert(0, incident.source_event)
    tube_ids = [e.payload.get("tube_id") for e in events if e.payload.get("tube_id")]
    alarms = _alarm_tubes(tube_ids)
    # The rounds the alarming tubes came from, and the rounds of the response: every round
    # of the district (single-tube retests apart, told above) started while the incident
    # was open. Their sum is the district's figure the bulletin prints ("全区采集…").
    source_ids = set(
        Tube.objects.filter(pk__in=tube_ids).values_list("round_id", flat=True).distinct()
    )
    source = [
        {**figures, "role": "source"}
        for figures in round_figures(
            list(TestingRound.objects.filter(pk__in=source_ids).order_by("starts_at", "id")),
            district["code"],
            now=now,
        )
    ]
    response_rounds = (
        TestingRound.objects.filter(within_q(district["code"]))
        .exclude(kind=RoundKind.RETEST)
        .exclude(status=RoundStatus.CANCELLED)  # called off before anyone was sampled
        .exclude(pk__in=source_ids)
        .filter(starts_at__gte=incident.opened_at, starts_at__lt=end)
        .order_by("starts_at", "id")[:MAX_ROUNDS]
    )
    response = [
        {**figures, "role": "response"}
        for figures in round_figures(list(response_rounds), district["code"], now=now)
    ]
    doorknock = Task.objects.filter(
        within_q(incident.area_code), kind="door_knock", created_at__gte=incident.opened_at
    ).aggregate(
        tasks=Count("id"),
        done=Count("id", filter=Q(state=TaskState.DONE)),
    )
    return {
        "kind": "incident",
        "district": district,
        "area": _names(incident.area_code),
        "drill": incident.drill,
        "incident": {
            "id": incident.pk,
            "title": incident.title,
            "kind": incident.kind,
            "status": incident.status,
            "opened_at": incident.opened_at,
            "closed_at": incident.closed_at if incident.status == IncidentStatus.CLOSED else None,
            "summary": incident.summary,
            "summary_en": incident.summary_en,
        },
        "alarms": alarms,
        "retests": retest_counts(source_tube_ids=tube_ids),
        "zones": _zones(incident.area_code, incident.opened_at, end + dt.timedelta(seconds=1)),
        "rounds": source + response,
        "response": merged_rounds(response),
        "doorknock": doorknock,
        "borderline": flagged_results(
            area_code=incident.area_code, since=incident.opened_at, until=end
        ),
        "as_of": now,
    }


# ---------------------------------------------------------------------------------------------
# A day


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def daily_figures(*, day: dt.date, scope_code: str, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    start, end = day_bounds(day)
    district = district_of(scope_code)
    rounds = round_figures(
        list(
            TestingRound.objects.filter(meets_q(scope_code))
            .exclude(kind=RoundKind.RETEST)
            .filter(starts_at__lt=end)
            .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start))
            .exclude(status__in=[RoundStatus.PLANNED, RoundStatus.CANCELLED])  # none sampled
            .order_by("starts_at", "id")[:MAX_ROUNDS]
        ),
        district["code"],
        now=now,
    )
    alarm_ids = list(
        LabResult.objects.filter(
            status=ResultStatus.ACCEPTED,
            result__in=ALARM,
            reported_at__gte=start,
            reported_at__lt=end,
        )
        .exclude(tube__round__kind=RoundKind.RETEST)
        .filter(
            within_q(scope_code, "tube__station__area_code")
            | (Q(tube__station__isnull=True) & within_q(scope_code, "tube__area_code"))
        )
        .values_list("tube_id", flat=True)
    )
    today = start <= now < end
    orders = retest_counts(area_code=scope_code, created_before=end, new_since=start)
    # Retest states are current, not kept by day: printed only in today's bulletin.
    retests = {k: n for k, n in orders.items() if k != "new"} if today else {}
    retests["new"] = orders["new"]
    incidents = Incident.objects.filter(meets_q(scope_code))
    tasks = Task.objects.filter(within_q(scope_code))
    return {
        "kind": "daily",
        "district": district,
        "area": _names(scope_code),
        "day": day,
        "rounds": rounds,
        "alarms": _alarm_tubes(alarm_ids),
        "retests": retests,
        "zones": _zones(scope_code, start, end),
        "incidents": {
            "opened": incidents.filter(opened_at__gte=start, opened_at__lt=end).count(),
            "closed": incidents.filter(closed_at__gte=start, closed_at__lt=end).count(),
            "open_at_end": incidents.filter(opened_at__lt=end)
            .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
            .count(),
        },
        "tasks": {
            **tasks.aggregate(
                created=Count("id", filter=Q(created_at__gte=start, created_at__lt=end)),
                done=Count("id", filter=Q(done_at__gte=start, done_at__lt=end)),
            ),
            # Task states are not kept by day: the open and late counts are only printed for
            # today, when they are true.
            **(
                tasks.filter(state=TaskState.OPEN).aggregate(
                    open_now=Count("id"), overdue_now=Count("id", filter=Q(due_at__lt=now))
                )
                if today
                else {}
            ),
        },
        "as_of": now,
    }
