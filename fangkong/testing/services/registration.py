"""The hot path: a sampler's device posts a batch of samples.

Everything that needs no database is checked first (`sample_items`); the batch is then one
transaction, owned by the database's store (`sample_store`), which returns once it has
committed. A replayed idempotency key returns its first answer and writes nothing; a key
reused for another request is refused.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Sequence

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import DeviceToken
from fangkong.accounts.services import deny, require_permission
from fangkong.core.errors import RuleViolation

from ..models import Station
from .sample_items import (
    CLOCK_TOLERANCE,
    MAX_AGE,
    MAX_BATCH,
    BatchResult,
    Clock,
    ItemOutcome,
    SampleItem,
    precheck,
    rule,
)
from .sample_store import store

__all__ = [
    "CLOCK_TOLERANCE",
    "MAX_AGE",
    "MAX_BATCH",
    "BatchResult",
    "ItemOutcome",
    "SampleItem",
    "authorise_station",
    "clear_station_cache",
    "register_samples",
    "station_for",
]

# Stations and their bindings are read on every batch of a 25-million-person round and change
# a few times a day. Like device tokens (accounts.services), a station and a granted binding are
# trusted for STATION_CACHE_SECONDS per worker process; a removed binding stops working within
# that time. Refusals are never cached, and the round's status is read inside each batch's
# transaction, so a closed round takes effect at once.
STATION_CACHE_SECONDS = 10.0
_station_cache: dict[int, tuple[float, Station]] = {}
_binding_cache: dict[tuple[str, int, int], float] = {}


def clear_station_cache() -> None:
    _station_cache.clear()
    _binding_cache.clear()


def station_for(station_id: int) -> Station:
    """The station with its round, or a 404 naming the field."""
    cached = _station_cache.get(station_id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    station = Station.objects.select_related("round").filter(pk=station_id).first()
    if station is None:
        raise RuleViolation(
            field="station",
            code="unknown",
            message=_("No station has this number."),
            status_code=404,
        )
    if len(_station_cache) > 10_000:
        _station_cache.clear()
    _station_cache[station_id] = (time.monotonic() + STATION_CACHE_SECONDS, station)
    return station


def _bound(station: Station, actor) -> bool:
    device = isinstance(actor, DeviceToken)
    key = ("device" if device else "user", station.pk, actor.pk)
    until = _binding_cache.get(key)
    if until is not None and until > time.monotonic():
        return True
    related = station.devices if device else station.samplers
    if not related.filter(pk=actor.pk).exists():
        return False
    if len(_binding_cache) > 10_000:
        _binding_cache.clear()
    _binding_cache[key] = time.monotonic() + STATION_CACHE_SECONDS
    return True


def authorise_station(*, station: Station, actor) -> None:
    """Only the station's own samplers and devices register for its round; refusals audited."""
    require_permission(
        actor=actor,
        action="register_samples",
        area_code=station.area_code,
        object_type="station",
        object_id=station.pk,
    )
    if not _bound(station, actor):
        deny(
            actor=actor,
            action="register_samples",
            area_code=station.area_code,
            object_type="station",
            object_id=station.pk,
        )


def register_samples(
    *, station: Station, items: Sequence[SampleItem], actor, now: dt.datetime | None = None
) -> BatchResult:
    """Validate every item, then write the valid ones in one transaction."""
    if not items:
        raise rule("items", "required", _("A batch has at least one item."))
    if len(items) > MAX_BATCH:
        raise rule("items", "too_many", _("A batch has at most 500 items."))
    authorise_station(station=station, actor=actor)
    round_ = station.round
    now = now or timezone.now()
    clock = Clock.of(now, round_)
    prepared = [precheck(i, item, clock) for i, item in enumerate(items)]
    keys = Counter(p.item.idempotency_key for p in prepared)
    for p in prepared:
        if p.outcome.status == "accepted" and keys[p.item.idempotency_key] > 1:
            p.outcome.reject(
                rule("idempotency_key", "duplicate", _("The same key appears twice in this batch."))
            )
    store().write_batch(
        station=station,
        round_=round_,
        prepared=prepared,
        now=now,
        recorded_by=actor.get_username(),
    )
    outcomes = [p.outcome for p in prepared]
    return BatchResult(
        round_id=round_.pk,
        station_id=station.pk,
        accepted=sum(o.status == "accepted" and not o.replayed for o in outcomes),
        rejected=sum(o.status == "rejected" for o in outcomes),
        replayed=sum(o.replayed for o in outcomes),
        items=outcomes,
    )
