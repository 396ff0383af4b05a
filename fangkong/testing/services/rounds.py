"""Rounds, sites, stations and tube labels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import luhn

from fangkong.accounts.permissions import can
from fangkong.accounts.services import require_permission
from fangkong.core.areas import common_ancestor, is_within
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.geo.models import Place, PlaceKind
from fangkong.geo.selectors import area_exists

from ..models import (
    DEFAULT_POOL_SIZES,
    PoolGroup,
    RoundKind,
    RoundStatus,
    SamplingSite,
    Station,
    StationKind,
    TestingRound,
    Tube,
    TubeKind,
)

# How long after its window's end a round still takes samples taken inside the window (a
# tablet that was offline uploads its queue), before its closure is stored.
LATE_UPLOADS = dt.timedelta(hours=12)


def common_area(codes: Sequence[str]) -> str:
    """The deepest area node containing all `codes`."""
    return common_ancestor(codes)


def create_round(
    *,
    name: str,
    scope_codes: Sequence[str],
    user,
    kind: str = RoundKind.MASS,
    pool_group: str = PoolGroup.GENERAL,
    pool_size: int | None = None,
    starts_at: dt.datetime | None = None,
    due_at: dt.datetime | None = None,
    parent: TestingRound | None = None,
) -> TestingRound:
    """Create a round over some areas; the pool size follows the group unless overridden."""
    if not name.strip():
        raise RuleViolation(field="name", code="required", message=_("A name is required."))
    if not scope_codes:
        raise RuleViolation(
            field="scope_codes", code="required", message=_("Pick at least one area.")
        )
    for code in scope_codes:
        if not area_exists(code):
            raise RuleViolation(
                field="scope_codes", code="unknown", message=_("No area has this code.")
            )
        if user is not None and not is_within(code, user.scope_code):
            raise PermissionDeniedError(
                field="scope_codes", code="out_of_scope", message=_("This area is outside yours.")
            )
    if kind not in RoundKind.values:
        raise RuleViolation(field="kind", code="choice", message=_("Unknown round kind."))
    if pool_group not in PoolGroup.values:
        raise RuleViolation(field="pool_group", code="choice", message=_("Unknown group."))
    size = DEFAULT_POOL_SIZES[PoolGroup(pool_group)] if pool_size is None else pool_size
    if not 1 <= size <= 20:
        raise RuleViolation(
            field="pool_size", code="range", message=_("A pool holds 1 to 20 people.")
        )
    starts_at = starts_at or timezone.now()
    if due_at is not None and due_at <= starts_at:
        raise RuleViolation(
            field="due_at",
            code="order",
            message=_("Sampling closes after it starts."),
        )
    hours = (
        settings.FANGKONG_RETEST_DEADLINE_HOURS
        if kind == RoundKind.RETEST
        else settings.FANGKONG_COMPLETION_TARGET_HOURS
    )
    return TestingRound.objects.create(
        name=name.strip(),
        kind=kind,
        scope_codes=list(scope_codes),
        area_code=common_area(scope_codes),
        pool_group=pool_group,
        pool_size=size,
        starts_at=starts_at,
        due_at=due_at or starts_at + dt.timedelta(hours=hours),
        parent=parent,
        created_by=user if getattr(user, "pk", None) and hasattr(user, "password") else None,
    )


def _end_round(
    round: TestingRound, user, status: str, now: dt.datetime | None, *, unsampled: bool = False
) -> TestingRound:
    """Move a sampling (or planned) round to `status` under its row lock; `user` None is a
    service acting on a decision it has checked itself. `unsampled`: refuse if anyone was."""
    if user is not None:
        require_permission(
            actor=user,
            action="manage_rounds",
            area_code=round.area_code,
            object_type="testing_round",
            object_id=round.pk,
        )
    with transaction.atomic():
        current = TestingRound.objects.select_for_update().values_list("status", flat=True)
        round.status = current.get(pk=round.pk)
        if round.status == RoundStatus.CANCELLED:
            raise RuleViolation(
                field="round", code="cancelled", message=_("The round has been cancelled.")
            )
        if round.status == RoundStatus.CLOSED:
            raise RuleViolation(field="round", code="closed", message=_("The round is closed."))
        if unsampled and round.samples.exists():
            raise RuleViolation(
                field="round",
                code="sampled",
                message=_("Samples were taken in this round: close it instead of cancelling it."),
            )
        round.status, round.closed_at = status, now or timezone.now()
        round.save(update_fields=["status", "closed_at", "updated_at"])
    return round


def cancel_round(*, round: TestingRound, user, now: dt.datetime | None = None) -> TestingRound:
    """Call off a round nobody was sampled in (e.g. the zone it was scheduled for has been
    lifted): it takes no tubes or samples from then on.

    A round with samples is not cancelled: its samples and results stand, so it is closed
    instead. `user` None is a service acting on a decision it has checked itself.
    """
    return _end_round(round, user, RoundStatus.CANCELLED, now, unsampled=True)


def close_round(*, round: TestingRound, user, now: dt.datetime | None = None) -> TestingRound:
    """End a round's sampling: from now on it takes no new samples (a tablet's replays are
    still answered); its tubes go on to the lab and its results and coverage stand."""
    return _end_round(round, user, RoundStatus.CLOSED, now)


def close_due_rounds(*, now: dt.datetime | None = None) -> int:
    """Store the closure of every sampling round whose window ended more than `LATE_UPLOADS`
    ago, closed at its window's end (a job: re-running it closes nothing twice). Returns how
    many it closed. Until then samples taken inside the window are still taken (a tablet's
    offline queue), those taken after it refused; every reader already sees it closed."""
    now = now or timezone.now()
    return TestingRound.objects.filter(
        status=RoundStatus.ACTIVE, due_at__isnull=False, due_at__lte=now - LATE_UPLOADS
    ).update(status=RoundStatus.CLOSED, closed_at=F("due_at"), updated_at=now)


def add_station(
    *,
    round: TestingRound,
    place: Place,
    name: str,
    kind: str = StationKind.BOOTH,
    samplers: Sequence = (),
    devices: Sequence = (),
) -> Station:
    if kind not in StationKind.values:
        raise RuleViolation(field="kind", code="choice", message=_("Unknown station kind."))
    if (
        place.kind
        not in (PlaceKind.SAMPLING_SITE, PlaceKind.SCHOOL, PlaceKind.OTHER, PlaceKind.VENUE)
        and kind == StationKind.BOOTH
    ):
        raise RuleViolation(
            field="place", code="kind", message=_("Booths stand at sampling sites.")
        )
    with transaction.atomic():
        site, _created = SamplingSite.objects.get_or_create(
            round=round, place=place, defaults={"area_code": place.area_code}
        )
        station = Station.objects.create(
            site=site, round=round, name=name, kind=kind, area_code=place.area_code
        )
        if samplers:
            station.samplers.add(*samplers)
        if devices:
            station.devices.add(*devices)
    return station


def barcode_for(serial: int) -> str:
    """12 digits: an 11-digit serial and a Luhn check digit, so a mistyped barcode is
    refused at once instead of creating a second tube."""
    body = f"{serial:011d}"
    return body + luhn.calc_check_digit(body)


def valid_barcode(barcode: str) -> bool:
    return len(barcode) == 12 and barcode.isdigit() and luhn.is_valid(barcode)


def pool_rule_violation(*, round: TestingRound, capacity: int) -> RuleViolation | None:
    """Why a people tube of `capacity` breaks the round's pool rule (None if it keeps it).

    A pool may be smaller than the round's rule (the last tube of a queue, a single tube for
    someone with symptoms) but never larger: a single-tube round takes single tubes only.
    """
    if capacity <= round.pool_size:
        return None
    if round.pool_size == 1:
        message = _(
            "This round tests single tubes (one person per tube): a tube of %(capacity)s "
            "people breaks its pool rule."
        ) % {"capacity": capacity}
    else:
        message = _(
            "This round pools at most %(size)s people per tube (%(size)s:1): a tube of "
            "%(capacity)s people breaks its pool rule."
        ) % {"size": round.pool_size, "capacity": capacity}
    return RuleViolation(field="capacity", code="pool_rule", message=message, status_code=409)


@transaction.atomic
def create_tubes(
    *,
    round: TestingRound,
    count: int,
    capacity: int | None = None,
    kind: str = TubeKind.PEOPLE,
    swab_points: int = 0,
    user=None,
) -> list[Tube]:
    """Register `count` new tubes (label sheet) for the round."""
    if (
        user is not None
        and not can(user, "register_samples", round.area_code)
        and not can(user, "view_residents", round.area_code)
    ):
        raise PermissionDeniedError(
            field="round", code="forbidden", message=_("Your role or area does not allow this.")
        )
    if not 1 <= count <= 10_000:
        raise RuleViolation(
            field="count", code="range", message=_("Create 1 to 10,000 tubes at a time.")
        )
    capacity = round.pool_size if capacity is None else capacity
    if not 1 <= capacity <= 20:
        raise RuleViolation(
            field="capacity", code="range", message=_("A pool holds 1 to 20 people.")
        )
    if kind == TubeKind.PEOPLE and (broken := pool_rule_violation(round=round, capacity=capacity)):
        raise broken
    if kind == TubeKind.ENVIRONMENT and swab_points < 1:
        raise RuleViolation(
            field="swab_points",
            code="required",
            message=_("An environmental tube needs its number of swab points."),
        )
    if round.status == RoundStatus.CLOSED:
        raise RuleViolation(field="round", code="closed", message=_("The round is closed."))
    if round.status == RoundStatus.CANCELLED:
        raise RuleViolation(
            field="round", code="cancelled", message=_("The round has been cancelled.")
        )
    # Serials are global so barcodes never repeat across rounds.
    last = Tube.objects.aggregate(m=Max("id"))["m"] or 0
    start = max(last, Tube.objects.count()) + 1
    tubes = [
        Tube(
            barcode=barcode_for(start + i),
            round=round,
            capacity=capacity if kind == TubeKind.PEOPLE else 1,
            kind=kind,
            swab_points=swab_points if kind == TubeKind.ENVIRONMENT else 0,
            area_code=round.area_code,
        )
        for i in range(count)
    ]
    return Tube.objects.bulk_create(tubes, batch_size=2000)
