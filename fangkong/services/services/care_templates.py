"""Recurring care kept as templates and extended each day while the zone stands.

Designation plans the first days (`care.plan_care_tasks`) and keeps a template per person and
recurring need: a daily welfare check for the elderly living alone, dialysis escorts on the
session days, medicine refills on the profile's cycle (up to a 90-day supply). The daily task
`extend_care_templates` plans each template's next days; task keys are the designation's
(`care:zone:person:kind:day`), so a day planned twice is planned once. Lifting the zone ends
its templates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from fangkong.core.masking import mask_name
from fangkong.people.models import Resident, ResidentStatus
from fangkong.work.models import Task

from ..models import CareTemplate
from .care import DIALYSIS, DIALYSIS_DAYS, REFILL, TASK_TITLES, WELFARE, WELFARE_DAYS, day_end

EVERY_DAY = "0,1,2,3,4,5,6"
REFILL_AHEAD = 7  # a refill is planned a week before its day, time to fetch the medicine
AHEAD = {WELFARE: WELFARE_DAYS, DIALYSIS: DIALYSIS_DAYS, REFILL: REFILL_AHEAD}


def templates_for(resident: Resident, *, zone_id: int, start: dt.date) -> list[CareTemplate]:
    """The recurring needs of one person (tags and care profile prefetched)."""
    tags = {t.tag for t in resident.tags.all()}
    profile = getattr(resident, "care_profile", None)

    def make(kind: str, weekdays: str = "", every: int = 0) -> CareTemplate:
        return CareTemplate(
            zone_id=zone_id,
            resident=resident,
            area_code=resident.area_code,
            kind=kind,
            weekdays=weekdays,
            every_days=every,
            start=start,
            # The designation plans a refill on its first day only.
            planned_until=start if every else start + dt.timedelta(days=AHEAD[kind] - 1),
        )

    found = []
    if "elderly_alone" in tags:
        found.append(make(WELFARE, weekdays=EVERY_DAY))
    if profile is not None and profile.dialysis_weekdays:
        found.append(make(DIALYSIS, weekdays=profile.dialysis_days))
    if profile is not None and profile.refill_days:
        found.append(make(REFILL, every=profile.refill_days))
    return found


def keep_templates(*, zone_id: int, residents: Iterable[Resident], start: dt.date) -> int:
    """Keep the templates of a designated zone's people; keeping them again changes nothing.

    `planned_until` starts where the designation's own plan ends."""
    rows = [t for r in residents for t in templates_for(r, zone_id=zone_id, start=start)]
    if not rows:
        return 0
    before = CareTemplate.objects.filter(zone_id=zone_id).count()
    CareTemplate.objects.bulk_create(rows, ignore_conflicts=True)
    return CareTemplate.objects.filter(zone_id=zone_id).count() - before


def end_templates(*, zone_id: int) -> int:
    return CareTemplate.objects.filter(zone_id=zone_id, active=True).update(active=False)


def due_days(template: CareTemplate, after: dt.date, until: dt.date) -> list[dt.date]:
    """The template's days in (after, until]."""
    days, day = [], after + dt.timedelta(days=1)
    weekly = template.weekday_list
    while day <= until:
        if weekly:
            if day.weekday() in weekly:
                days.append(day)
        elif (day - template.start).days % template.every_days == 0:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


@dataclass(frozen=True)
class Extension:
    templates: int
    tasks_created: int
    ended: int


def extend_care_templates(*, today: dt.date | None = None) -> Extension:
    """Plan every active template's days up to its horizon from `today`; a template of a
    person no longer living here ends. Running it twice the same day creates nothing."""
    today = today or timezone.localdate()
    templates = list(CareTemplate.objects.filter(active=True).select_related("resident"))
    gone = [t.pk for t in templates if t.resident.status != ResidentStatus.ACTIVE]
    tasks, moved = [], []
    with translation.override(settings.LANGUAGE_CODE):
        for t in templates:
            if t.pk in gone:
                continue
            until = today + dt.timedelta(days=AHEAD[t.kind] - 1)
            if until <= t.planned_until:
                continue
            title = f"{gettext(TASK_TITLES[t.kind])} · {mask_name(t.resident.name)}"
            # Days the worker missed stay missed: their work is not planned after the fact.
            after = max(t.planned_until, today - dt.timedelta(days=1))
            for day in due_days(t, after, until):
                tasks.append(
                    Task(
                        key=f"care:{t.zone_id}:{t.resident_id}:{t.kind}:{day.isoformat()}",
                        kind=t.kind,
                        title=title,
                        area_code=t.area_code,
                        due_at=day_end(day),
                        detail={"zone": t.zone_id, "resident": t.resident_id, "day": str(day)},
                    )
                )
            t.planned_until = until
            moved.append(t)
    with transaction.atomic():
        existing = set(
            Task.objects.filter(key__in=[t.key for t in tasks]).values_list("key", flat=True)
        )
        new = [t for t in tasks if t.key not in existing]
        Task.objects.bulk_create(new, ignore_conflicts=True)
        CareTemplate.objects.bulk_update(moved, ["planned_until"])
        CareTemplate.objects.filter(pk__in=gone).update(active=False)
    return Extension(templates=len(moved), tasks_created=len(new), ended=len(gone))
