"""River chiefs: segments and their chiefs, patrol logs, and hazards from found to 销号."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import User
from fangkong.accounts.services import require_permission
from fangkong.geo.selectors import area_exists

from ..clocks import end_of_day
from ..models import (
    ChiefLevel,
    GovCase,
    Hazard,
    HazardCategory,
    PatrolLog,
    Photo,
    River,
    RiverChief,
    RiverSegment,
    Source,
    Stage,
    Unit,
)
from ..patrol_plans import patrol_plans
from .common import bad, locked, log_event
from .intake import report_case
from .photos import PreparedPhoto, save_photos, stored_files
from .workflow import accept_case, dispatch_case, file_case

EARTH_RADIUS_M = 6_371_000


def create_segment(*, river: River, name: str, area_code: str) -> RiverSegment:
    if not area_exists(area_code):
        raise bad("area_code", "unknown", _("No area has this code."))
    return RiverSegment.objects.create(river=river, name=name.strip(), area_code=area_code)


def appoint_chief(*, segment: RiverSegment, user: User, level: str) -> RiverChief:
    if level not in ChiefLevel.values:
        raise bad("level", "invalid", _("Choose the chief's level."))
    if RiverChief.objects.filter(segment=segment, level=level).exists():
        raise bad("level", "taken", _("This segment already has a chief at this level."))
    return RiverChief.objects.create(segment=segment, user=user, level=level)


def track_length_m(track: Sequence[Sequence[float]]) -> int:
    """The length of a track of [lon, lat] points along the great circle (haversine)."""
    total = 0.0
    for (lon1, lat1), (lon2, lat2) in itertools.pairwise(track):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        dp, dl = p2 - p1, math.radians(lon2 - lon1)
        a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        total += 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
    return round(total)


def _check_track(track: object) -> list[list[float]]:
    if not isinstance(track, list) or not all(
        isinstance(p, list | tuple)
        and len(p) == 2
        and all(isinstance(v, int | float) for v in p)
        and -180 <= p[0] <= 180
        and -90 <= p[1] <= 90
        for p in track
    ):
        raise bad("track", "invalid", _("The track is a list of [longitude, latitude] points."))
    return [[float(p[0]), float(p[1])] for p in track]


def log_patrol(
    *,
    user,
    chief: RiverChief,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    track: object = (),
    photos: Sequence[PreparedPhoto] = (),
    problems: str = "",
) -> PatrolLog:
    """A chief's own patrol; it counts towards the plan when long enough in time and way."""
    if chief.user_id != getattr(user, "pk", None):
        raise bad("chief", "not_yours", _("Log only your own patrols."))
    if ended_at <= started_at:
        raise bad("ended_at", "before_start", _("A patrol ends after it starts."))
    if ended_at > timezone.now() + dt.timedelta(minutes=5):
        raise bad("ended_at", "future", _("A patrol cannot end in the future."))
    points = _check_track(list(track))
    plans = patrol_plans()
    distance = track_length_m(points)
    minutes = (ended_at - started_at).total_seconds() / 60
    with stored_files() as names, transaction.atomic():
        log = PatrolLog.objects.create(
            chief=chief,
            started_at=started_at,
            ended_at=ended_at,
            track=points,
            distance_m=distance,
            problems=problems.strip(),
            counts=minutes >= plans.min_minutes and distance >= plans.min_km * 1000,
        )
        save_photos(photos, names=names, user=user, patrol=log)
    return log


def report_hazard(
    *,
    user,
    segment: RiverSegment,
    category: str,
    title: str,
    description: str = "",
    media_url: str = "",
    photos: Sequence[PreparedPhoto] = (),
    patrol: PatrolLog | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> GovCase:
    """发现: a hazard of one of the four categories becomes a case on the segment's area."""
    if category not in HazardCategory.values:
        raise bad("category", "invalid", _("Choose one of the four categories."))
    with transaction.atomic():
        case = report_case(
            user=user,
            kind="river_hazard",
            source=Source.RIVER_PATROL,
            title=title,
            description=description,
            area_code=segment.area_code,
            media_url=media_url,
            photos=photos,
            latitude=latitude,
            longitude=longitude,
        )
        Hazard.objects.create(case=case, segment=segment, category=category, patrol=patrol)
        if patrol is not None and not photos:
            # The hazard was seen on the patrol: its photos are the hazard's evidence too.
            Photo.objects.filter(patrol=patrol, case__isnull=True).update(case=case)
    return case


def assign_hazard(*, case: GovCase, user, unit: Unit, deadline: dt.date) -> GovCase:
    """交办: the chief gives the hazard to a responsible unit with a deadline of their own."""
    if deadline <= timezone.localdate():
        raise bad("deadline", "past", _("The deadline must be in the future."))
    if not Hazard.objects.filter(case=case).exists():
        raise bad("case", "kind", _("This case is not a river hazard."))
    require_permission(
        actor=user,
        action="handle_cases",
        area_code=case.area_code,
        object_type="gov_case",
        object_id=case.pk,
    )
    with transaction.atomic():
        if case.stage == Stage.REPORTED:
            case = accept_case(case=case, user=user)
        if case.stage == Stage.ACCEPTED:
            case = file_case(case=case, user=user)
        case = dispatch_case(case=case, user=user, handler_unit=unit)
        row = locked(case)
        row.due_at = end_of_day(deadline)
        row.save(update_fields=["due_at", "updated_at"])
        log_event(
            row,
            action="set_deadline",
            user=user,
            from_stage=row.stage,
            detail={"deadline": deadline.isoformat()},
        )
    return row
