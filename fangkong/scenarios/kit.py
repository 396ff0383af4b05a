"""What a replay is written with: a scenario clock, event delivery, the sampling pipeline
through the real testing services, and the figures of the rounds as a bulletin prints them.

Nothing here writes a table itself: samples, tubes, boxes and results go through
`fangkong.testing.services`, each call stamped with the scenario's clock.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from fangkong.core.errors import RuleViolation
from fangkong.core.events import deliver
from fangkong.core.models import OutboxEvent
from fangkong.lab.models import Lab
from fangkong.lab.services.boxes import hand_box_to_courier, pack_box, receive_box
from fangkong.lab.services.results import ResultIn, record_results
from fangkong.people.sampling_codes import sampling_code_for
from fangkong.testing.models import Station, TestingRound, Tube, TubeKind, TubeState
from fangkong.testing.selectors import merged_statistics, round_statistics
from fangkong.testing.services.registration import MAX_BATCH, SampleItem, register_samples
from fangkong.testing.services.rounds import create_tubes
from fangkong.testing.services.transport import record_environment_tube, seal_tube

MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Clock:
    """Wall-clock times of the scenario's day in the district's time zone."""

    day: dt.date

    def at(self, hour: int, minute: int = 0, *, days: int = 0) -> dt.datetime:
        tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        return dt.datetime.combine(self.day + dt.timedelta(days=days), dt.time(hour, minute), tz)


def spread(start: dt.datetime, end: dt.datetime, n: int) -> list[dt.datetime]:
    """`n` moments from `start` to `end`, evenly apart, to the second."""
    if n <= 0:
        return []
    if n == 1:
        return [start]
    step = (end - start) / (n - 1)
    return [(start + step * i).replace(microsecond=0) for i in range(n)]


def largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Split the integer `total` in proportion to `weights`; the parts sum to `total`."""
    s = sum(weights)
    if total <= 0 or s <= 0:
        return [0] * len(weights)
    raw = [total * w / s for w in weights]
    parts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def tube_counts(people: Sequence[int], target: int, capacity: int) -> list[int]:
    """Tubes per station: at least enough for its people, at most one per person, and as
    close to `target` in all as that allows (pooled tubes sealed before they are full when a
    queue runs out, as the newspaper's 360 tubes for 6,799 people were)."""
    least = [math.ceil(p / capacity) for p in people]
    extra = largest_remainder(max(target - sum(least), 0), people)
    return [min(low + more, p) for low, more, p in zip(least, extra, people, strict=True)]


def even_sizes(people: int, tubes: int) -> list[int]:
    base, rest = divmod(people, tubes)
    return [base + 1] * rest + [base] * (tubes - rest)


def chunks(seq: Sequence, size: int) -> Iterator[Sequence]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def deliver_new_events(after_id: int) -> int:
    """Apply the handlers of the events written since `after_id` now; returns the last id.

    Events are delivered when the service's transaction commits; a replay runs inside one
    transaction of its own (all of it or nothing), so it delivers what it wrote as it goes.
    Delivery is once per handler, so the on-commit delivery later finds nothing to do; a
    handler that fails is left to the outbox worker, as after any commit.
    """
    ids = list(
        OutboxEvent.objects.filter(pk__gt=after_id, processed_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        deliver(pk)
    return max([after_id, *ids])


def last_event_id() -> int:
    return OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


class ReplayError(RuleViolation):
    """A service refused a step of the replay: the replay is rolled back whole."""


@dataclass
class SentBox:
    box_id: int
    barcodes: list[str]
    received_at: dt.datetime


@dataclass
class Pipeline:
    """One night's tubes: registered at stations, sealed, boxed, carried, received, resulted.

    `run` makes idempotency keys and box codes unique to this replay, so a replay can be run
    again on the same database.
    """

    run: str
    lab: Lab
    lab_actor: object
    courier: str = "转运专班"
    received_by: str = "实验室接收员"
    boxes: list[SentBox] = field(default_factory=list)
    _box_number: int = 0

    def sample(
        self,
        *,
        station: Station,
        actor,
        people: Sequence[int],
        tubes: int,
        start: dt.datetime,
        end: dt.datetime,
        capacity: int | None = None,
        transit: dt.timedelta = dt.timedelta(minutes=50),
    ) -> list[Tube]:
        """Register `people` (resident ids, by sampling code) at `station` into `tubes` tubes
        between `start` and `end`, in batches; each batch's tubes are sealed, boxed and sent
        to the lab as the batch closes."""
        if not people:
            return []
        round_ = station.round
        made = create_tubes(round=round_, count=tubes, capacity=capacity, user=actor)
        rows = self.plan_rows(people, made, start, end)
        for first in range(0, len(rows), MAX_BATCH):
            batch = rows[first : first + MAX_BATCH]
            now = batch[-1][2] + MINUTE
            items = [
                SampleItem(
                    idempotency_key=f"{self.run}:{round_.pk}:{rid}",
                    tube_barcode=tube.barcode,
                    taken_at=at,
                    sampling_code=sampling_code_for(rid),
                )
                for rid, tube, at in batch
            ]
            result = register_samples(station=station, items=items, actor=actor, now=now)
            refused = [o for o in result.items if o.status != "accepted"]
            if refused:
                raise ReplayError(
                    field=refused[0].field or "items",
                    code=refused[0].code or "refused",
                    message=refused[0].message or _("A sample was refused."),
                )
            self.seal_and_send(
                station=station, actor=actor, rows=rows, first=first, now=now, transit=transit
            )
        return made

    @staticmethod
    def plan_rows(
        people: Sequence[int], made: list[Tube], start: dt.datetime, end: dt.datetime
    ) -> list[tuple[int, Tube, dt.datetime]]:
        """(resident, tube, taken at) in queue order: people evenly over the tubes and the hours."""
        sizes = even_sizes(len(people), len(made))
        slots = [tube for tube, size in zip(made, sizes, strict=True) for _ in range(size)]
        return list(zip(people, slots, spread(start, end, len(people)), strict=True))

    def seal_and_send(
        self,
        *,
        station: Station,
        actor,
        rows: list[tuple[int, Tube, dt.datetime]],
        first: int,
        now: dt.datetime,
        transit: dt.timedelta,
    ) -> None:
        """The tubes whose last person is in rows[first:first + MAX_BATCH] are done: seal those
        not yet full and send them to the lab in one box."""
        batch = rows[first : first + MAX_BATCH]
        last_row = {tube.pk: i for i, (_, tube, _) in enumerate(rows)}
        last = first + len(batch) - 1
        done = [t for t in dict.fromkeys(tube for _, tube, _ in batch) if last_row[t.pk] <= last]
        states = dict(Tube.objects.filter(pk__in=[t.pk for t in done]).values_list("pk", "state"))
        for tube in done:
            if states[tube.pk] == TubeState.OPEN:
                seal_tube(barcode=tube.barcode, actor=actor, now=now)
        self.send(
            round_=station.round,
            actor=actor,
            barcodes=[t.barcode for t in done],
            at=now,
            by=station.name,
            transit=transit,
        )

    def flush(self) -> None:
        """Finish the work `sample` queued: nothing here, where `sample` works at once."""

    def environment(
        self,
        *,
        station: Station,
        actor,
        tubes: int,
        points_per_tube: int,
        start: dt.datetime,
        end: dt.datetime,
    ) -> list[Tube]:
        """Environmental swabs (lift buttons, door handles, the booth): sealed as collected."""
        if tubes <= 0:
            return []
        made = create_tubes(
            round=station.round,
            count=tubes,
            kind=TubeKind.ENVIRONMENT,
            swab_points=points_per_tube,
            user=actor,
        )
        times = spread(start, end, tubes)
        for tube, at in zip(made, times, strict=True):
            record_environment_tube(
                barcode=tube.barcode, swab_points=points_per_tube, actor=actor, now=at
            )
        self.send(
            round_=station.round,
            actor=actor,
            barcodes=[t.barcode for t in made],
            at=times[-1] + MINUTE,
            by=station.name,
        )
        return made

    def send(
        self,
        *,
        round_: TestingRound,
        actor,
        barcodes: list[str],
        at: dt.datetime,
        by: str,
        transit: dt.timedelta = dt.timedelta(minutes=50),
    ):
        if not barcodes:
            return None
        self._box_number += 1
        code = f"{self.run}-{self._box_number:03d}"
        packed = at + 5 * MINUTE
        box = pack_box(code=code, round=round_, barcodes=barcodes, actor=actor, by=by, now=packed)
        handed = packed + 10 * MINUTE
        hand_box_to_courier(box=box, courier=self.courier, actor=actor, now=handed)
        received = handed + transit
        receive_box(box=box, lab=self.lab, actor=self.lab_actor, by=self.received_by, now=received)
        self.boxes.append(SentBox(box.pk, list(barcodes), received))
        return box

    def report(self, items: list[ResultIn], *, at: dt.datetime) -> None:
        """Post results as the lab does, refusing nothing."""
        for batch in chunks(items, 1000):
            out = record_results(lab=self.lab, items=list(batch), actor=self.lab_actor, now=at)
            refused = [o for o in out.items if o.status not in ("accepted", "unchanged")]
            if refused:
                raise ReplayError(
                    field=refused[0].field or "results",
                    code=refused[0].code or "refused",
                    message=refused[0].message or _("A result was refused."),
                )


# ---------------------------------------------------------------------------------------------
# Figures, counted from the rows


@dataclass(frozen=True)
class RoundFigures:
    round_id: int
    name: str
    pool_size: int
    tubes: int
    people: int
    environment_tubes: int
    environment_points: int

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "pool_size": self.pool_size,
            "tubes": self.tubes,
            "people": self.people,
            "environment_tubes": self.environment_tubes,
            "environment_points": self.environment_points,
        }


def round_figures(round_: TestingRound) -> RoundFigures:
    """A round's tubes, people and environmental tubes and points, from its rows. The pool
    size is the capacity of the tubes people were sampled into (the round's setting when
    none were)."""
    stats = round_statistics(round_ids=[round_.pk])[round_.pk]
    capacities = [r["capacity"] for r in stats["people"]]
    return RoundFigures(
        round_id=round_.pk,
        name=round_.name,
        pool_size=max(capacities) if capacities else round_.pool_size,
        tubes=stats["people_tubes"],
        people=stats["people_total"],
        environment_tubes=stats["environment"]["tubes"],
        environment_points=stats["environment"]["points"],
    )


def rounds_statistics(rounds: Sequence[TestingRound]) -> dict:
    """The rounds' statistics summed (testing's `merged_statistics`), for bulletin_phrase."""
    return merged_statistics(round_statistics(round_ids=[r.pk for r in rounds]).values())
