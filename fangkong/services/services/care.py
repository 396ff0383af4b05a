"""Vulnerable residents first: care profiles, and the proactive tasks a designation creates.

When a zone is designated the people inside who need care get their work at once: a daily
welfare check for each elderly person living alone, dialysis escorts on their session days,
a medicine refill, a maternity contact, a call to the disabled, bedridden and infants'
families. Task keys name the zone, the person, the need and the day, so planning twice (the
event redelivered, the replay re-run) creates nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.masking import mask_name
from fangkong.people.models import Resident
from fangkong.work.models import Task, TaskState

from ..models import MAX_REFILL_DAYS, CareProfile
from .common import bad

WELFARE_DAYS = 7  # daily welfare checks planned ahead; the zone's review comes within a week
DIALYSIS_DAYS = 14  # sessions planned ahead
VULNERABLE_TAGS = (
    "elderly_alone",
    "medical_trips",
    "chronic_illness",
    "pregnant",
    "disabled",
    "bedridden",
    "infant",
)
CONTACT_TAGS = ("disabled", "bedridden", "infant")

# Task kinds this app creates; the work app names them on the boards.
WELFARE, DIALYSIS, REFILL, MATERNITY, CONTACT = (
    "welfare_check",
    "care_dialysis",
    "care_refill",
    "care_maternity",
    "care_contact",
)
TASK_TITLES = {
    WELFARE: _("Welfare check"),
    DIALYSIS: _("Dialysis escort"),
    REFILL: _("Medicine refill"),
    MATERNITY: _("Maternity contact"),
    CONTACT: _("Care call"),
}


def set_care_profile(
    *,
    user,
    resident: Resident,
    no_smartphone: bool = False,
    dialysis_days: Iterable[int] = (),
    refill_days: int = 0,
    due_date: dt.date | None = None,
) -> CareProfile:
    """What the registry's tags do not say about a person's care, kept for planning."""
    require_permission(
        actor=user,
        action="handle_requests",
        area_code=resident.area_code,
        object_type="resident",
        object_id=resident.pk,
    )
    days = sorted(set(dialysis_days))
    if any(not 0 <= d <= 6 for d in days):
        raise bad("dialysis_days", "choice", _("Dialysis days are weekdays, Monday 0 to Sunday 6."))
    if not 0 <= refill_days <= MAX_REFILL_DAYS:
        raise bad("refill_days", "range", _("A medicine refill covers at most a 90-day supply."))
    profile, _created = CareProfile.objects.update_or_create(
        resident=resident,
        defaults={
            "area_code": resident.area_code,
            "no_smartphone": no_smartphone,
            "dialysis_days": ",".join(map(str, days)),
            "refill_days": refill_days,
            "due_date": due_date,
            "updated_by": user,
        },
    )
    return profile


@dataclass(frozen=True)
class Need:
    resident_id: int
    area_code: str
    name: str
    kind: str
    day: dt.date


def day_end(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(20, 0)))


def care_needs(residents: Iterable[Resident], start: dt.date) -> list[Need]:
    """Each person's proactive work from `start`, from their tags and care profile (prefetched)."""
    needs: list[Need] = []
    for r in residents:
        tags = {t.tag for t in r.tags.all()}
        profile = getattr(r, "care_profile", None)

        def add(kind: str, day: dt.date, r=r) -> None:
            needs.append(Need(r.pk, r.area_code, r.name, kind, day))

        if "elderly_alone" in tags:
            for offset in range(WELFARE_DAYS):
                add(WELFARE, start + dt.timedelta(days=offset))
        if profile is not None and profile.dialysis_weekdays:
            for offset in range(DIALYSIS_DAYS):
                day = start + dt.timedelta(days=offset)
                if day.weekday() in profile.dialysis_weekdays:
                    add(DIALYSIS, day)
        if "chronic_illness" in tags or (profile is not None and profile.refill_days):
            add(REFILL, start)
        if "pregnant" in tags or (profile is not None and profile.due_date):
            add(MATERNITY, start)
        if tags & set(CONTACT_TAGS):
            add(CONTACT, start)
    return needs


def plan_care_tasks(*, zone_id: int, residents: Iterable[Resident], start: dt.date) -> int:
    """Create the proactive tasks of the people in a zone; returns how many were new."""
    needs = care_needs(residents, start)
    with translation.override(settings.LANGUAGE_CODE):
        tasks = [
            Task(
                key=f"care:{zone_id}:{n.resident_id}:{n.kind}:{n.day.isoformat()}",
                kind=n.kind,
                title=f"{gettext(TASK_TITLES[n.kind])} · {mask_name(n.name)}",
                area_code=n.area_code,
                due_at=day_end(n.day),
                detail={"zone": zone_id, "resident": n.resident_id, "day": n.day.isoformat()},
            )
            for n in needs
        ]
    if not tasks:
        return 0
    keys = [t.key for t in tasks]
    with transaction.atomic():
        existing = set(Task.objects.filter(key__in=keys).values_list("key", flat=True))
        new = [t for t in tasks if t.key not in existing]
        Task.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def cancel_care_tasks(*, zone_id: int, after: dt.datetime) -> int:
    """A lifted zone's care tasks of the days after the lift are cancelled; today's stand."""
    end_of_day = timezone.make_aware(
        dt.datetime.combine(timezone.localtime(after).date(), dt.time.max)
    )
    return Task.objects.filter(
        key__startswith=f"care:{zone_id}:", state=TaskState.OPEN, due_at__gt=end_of_day
    ).update(state=TaskState.CANCELLED)
