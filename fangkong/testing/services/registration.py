"""The hot path: a sampler's device posts a batch of samples.

Everything that needs no database (document checksums, signatures, clocks) is checked before
the transaction opens; inside it, a handful of set-based queries check tubes, people and
replays, then one bulk insert writes the accepted items. A batch is one transaction; a
replayed idempotency key returns its first answer and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import DeviceToken
from fangkong.accounts.services import deny, require_permission
from fangkong.core.db import bulk
from fangkong.core.documents import DocumentType, validate_document
from fangkong.core.errors import RuleViolation
from fangkong.people.models import Residency, Resident
from fangkong.people.sampling_codes import resident_id_from_code
from fangkong.people.services import document_index, normalise_phone, phone_index, prepare_resident

from ..models import (
    RetestOrder,
    RetestState,
    RoundKind,
    RoundStatus,
    SampleFlag,
    Station,
    TestingRound,
    TubeKind,
    TubeState,
)

MAX_BATCH = 500
# A tablet clock a few minutes fast is normal; more than this is a wrong clock or a typo.
CLOCK_TOLERANCE = dt.timedelta(minutes=15)
MAX_AGE = dt.timedelta(days=2)


@dataclass
class SampleItem:
    idempotency_key: str
    tube_barcode: str
    taken_at: dt.datetime
    document_type: str | None = None
    document_number: str | None = None
    sampling_code: str | None = None
    name: str | None = None
    phone: str | None = None
    guardian: str | None = None


@dataclass
class ItemOutcome:
    index: int
    idempotency_key: str
    status: str = "accepted"  # accepted | rejected
    replayed: bool = False
    sample_id: int | None = None
    tube_barcode: str = ""
    tube_samples: int | None = None
    tube_sealed: bool = False
    flags: list[str] = field(default_factory=list)
    field: str | None = None
    code: str | None = None
    message: str | None = None

    def reject(self, exc: RuleViolation) -> None:
        self.status, self.field, self.code, self.message = (
            "rejected",
            exc.field,
            exc.code,
            force_str(exc.message),
        )


@dataclass
class BatchResult:
    round_id: int
    station_id: int
    accepted: int
    rejected: int
    replayed: int
    items: list[ItemOutcome]


@dataclass
class _Prepared:
    item: SampleItem
    outcome: ItemOutcome
    document: object = None
    index: str | None = None
    code_resident: int | None = None
    phone: str = ""
    flags: int = 0
    taken_at: dt.datetime | None = None
    resident_id: int | None = None


@functools.cache
def _flag_tuple(flags: int) -> tuple[str, ...]:
    return tuple(f.name.lower() for f in SampleFlag if flags & f)


def _flag_names(flags: int) -> list[str]:
    return list(_flag_tuple(int(flags)))


def _rule(field_: str, code: str, message) -> RuleViolation:
    return RuleViolation(field=field_, code=code, message=message)


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


@dataclass(frozen=True)
class _Clock:
    now: dt.datetime
    latest: dt.datetime  # later than this is a wrong device clock
    earliest: dt.datetime  # before the round could start

    @classmethod
    def of(cls, now: dt.datetime, round_: TestingRound) -> _Clock:
        return cls(now, now + CLOCK_TOLERANCE, round_.starts_at - MAX_AGE)


def _precheck(i: int, item: SampleItem, clock: _Clock) -> _Prepared:
    """Checks that need no database, done before the transaction opens."""
    p = _Prepared(
        item=item,
        outcome=ItemOutcome(
            index=i, idempotency_key=item.idempotency_key, tube_barcode=item.tube_barcode
        ),
    )
    try:
        if not item.idempotency_key or len(item.idempotency_key) > 128:
            raise _rule(
                "idempotency_key",
                "invalid",
                _("An idempotency key of 1 to 128 characters is required."),
            )
        if item.taken_at.tzinfo is None:
            raise _rule("taken_at", "timezone", _("taken_at needs a time zone offset."))
        if item.taken_at > clock.latest:
            raise _rule(
                "taken_at", "future", _("taken_at is in the future: check the device clock.")
            )
        if item.taken_at > clock.now:
            p.flags |= SampleFlag.CLOCK_SKEW
        if item.taken_at < clock.earliest:
            raise _rule("taken_at", "too_old", _("taken_at is before this round started."))
        p.taken_at = min(item.taken_at, clock.now)
        if item.sampling_code:
            p.code_resident = resident_id_from_code(item.sampling_code)
            p.flags |= SampleFlag.SAMPLING_CODE
        elif item.document_number not in (None, ""):
            doc = validate_document(
                item.document_type or DocumentType.RESIDENT_ID, item.document_number
            )
            p.document = doc
            p.index = document_index(doc.type, doc.number)
        else:
            # No document: taken with name, phone and guardian, and followed up later.
            if not (item.name or "").strip():
                raise _rule(
                    "name", "required", _("Without a document, the person's name is required.")
                )
            if not (item.phone or item.guardian):
                raise _rule(
                    "phone", "required", _("Without a document, give a phone number or a guardian.")
                )
            p.flags |= SampleFlag.NO_DOCUMENT
        if item.phone:
            p.phone = normalise_phone(item.phone)
    except RuleViolation as exc:
        p.outcome.reject(exc)
    return p


def register_samples(
    *, station: Station, items: Sequence[SampleItem], actor, now: dt.datetime | None = None
) -> BatchResult:
    """Validate every item, then write the valid ones in one transaction."""
    if not items:
        raise _rule("items", "required", _("A batch has at least one item."))
    if len(items) > MAX_BATCH:
        raise _rule("items", "too_many", _("A batch has at most 500 items."))
    authorise_station(station=station, actor=actor)
    round_ = station.round
    now = now or timezone.now()
    clock = _Clock.of(now, round_)
    prepared = [_precheck(i, item, clock) for i, item in enumerate(items)]
    keys = Counter(p.item.idempotency_key for p in prepared)
    for p in prepared:
        if p.outcome.status == "accepted" and keys[p.item.idempotency_key] > 1:
            p.outcome.reject(
                _rule(
                    "idempotency_key", "duplicate", _("The same key appears twice in this batch.")
                )
            )
    recorded_by = actor.get_username()
    for attempt in range(2):
        known = _known_people(prepared)
        try:
            with transaction.atomic():
                _write(station, round_, prepared, known, now, recorded_by)
            break
        except IntegrityError:
            # A concurrent retry of the same keys committed first: run again, now as replays.
            if attempt:
                raise
            for p in prepared:
                if p.outcome.status == "accepted":
                    p.outcome = ItemOutcome(
                        index=p.outcome.index,
                        idempotency_key=p.item.idempotency_key,
                        tube_barcode=p.item.tube_barcode,
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


SAMPLE_COLUMNS = {
    "idempotency_key": "varchar",
    "round_id": "bigint",
    "tube_id": "bigint",
    "station_id": "bigint",
    "resident_id": "bigint",
    "area_code": "varchar",
    "taken_at": "timestamptz",
    "recorded_at": "timestamptz",
    "flags": "smallint",
    "name_given": "varchar",
    "recorded_by": "varchar",
}


PERSON = "id, document_index, name, area_code, residency"


@dataclass
class _Tube:
    id: int
    barcode: str
    round_id: int
    kind: str
    state: str
    station_id: int | None
    sample_count: int
    capacity: int
    first_sample_at: object


@dataclass
class _Person:
    id: int | None
    name: str
    area_code: str
    visitor: bool
    model: Resident | None = None  # set for people created by this batch


def _known_people(prepared: list[_Prepared]) -> list[tuple]:
    """The registered people the batch names, by blind index or sampling code. Read before
    the batch's transaction: on SQLite that transaction holds the database's one write lock,
    and a read needs no lock in WAL mode. One select per kind of lookup: SQLite answers an OR
    of the two by scanning the whole table."""
    live = [p for p in prepared if p.outcome.status == "accepted"]
    selects, params = [], []
    for column, values, kind in (
        ("document_index", sorted({p.index for p in live if p.index}), "varchar"),
        ("id", sorted({p.code_resident for p in live if p.code_resident}), "bigint"),
    ):
        if values:
            where, where_params = bulk.member_of(column, values, kind)
            selects.append(f"SELECT {PERSON} FROM people_resident WHERE {where}")  # noqa: S608 - placeholders only
            params += where_params
    if not selects:
        return []
    with connection.cursor() as cursor:
        cursor.execute(" UNION ".join(selects), params)
        return list(cursor.fetchall())


def _write(
    station: Station,
    round_: TestingRound,
    prepared: list[_Prepared],
    known: list[tuple],
    now: dt.datetime,
    recorded_by: str,
) -> None:
    """The database part of a batch: the tubes, locked; one read of everything else the
    checks need; one write on PostgreSQL. Every statement is a round trip that cost more
    than its work, so they are as few as the order of events allows."""
    live = [p for p in prepared if p.outcome.status == "accepted"]
    if not live:
        return
    with connection.cursor() as cursor:
        # 1. The tubes first, locked on PostgreSQL so two batches cannot overfill one
        # (SQLite's IMMEDIATE transaction already holds the write lock): a tablet's retry of
        # this very batch waits here, then finds its keys committed in the next statement.
        where, params = bulk.member_of(
            "barcode", sorted({p.item.tube_barcode for p in live}), "varchar"
        )
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        cursor.execute(
            "SELECT id, barcode, round_id, kind, state, station_id, sample_count, capacity,"  # noqa: S608 - placeholders only
            f" first_sample_at FROM testing_tube WHERE {where} ORDER BY id{lock}",
            params,
        )
        tubes = {row[1]: _Tube(*row) for row in cursor.fetchall()}
        # 2. Replays, the round's status now (not as cached: a closed round takes no new
        # samples but still answers replays), and who among the known people is already in
        # these tubes or in this round.
        facts = _batch_facts(
            cursor,
            round_,
            keys=[p.item.idempotency_key for p in live],
            tube_ids=sorted({t.id for t in tubes.values()}),
            people_ids=sorted({row[0] for row in known}),
        )
        fresh = _answer_replays(live, facts.replays, station)
        if not fresh:
            return
        if facts.status != RoundStatus.ACTIVE:
            closed = _rule("station", "round_closed", _("This station's round is not sampling."))
            for p in fresh:
                p.outcome.reject(closed)
            return
        fresh = _check_tubes(fresh, tubes, round_, station)
        person_of = _people(fresh, known, station)
        fresh = [p for p in fresh if p.outcome.status == "accepted"]
        if not fresh:
            return
        # People without a document matched by name and phone were not among the known.
        unseen = sorted({person_of[id(p)].id for p in fresh} - facts.people_ids)
        if unseen:
            more = _batch_facts(
                cursor, round_, keys=[], tube_ids=[t.id for t in tubes.values()], people_ids=unseen
            )
            for resident_id, tube_ids in more.in_tubes.items():
                facts.in_tubes[resident_id] |= tube_ids
            facts.in_round |= more.in_round
        sample_rows, members, written = _sample_rows(
            fresh, tubes, person_of, facts, station, round_, now, recorded_by
        )
        if not sample_rows:
            return
        # 3. The samples, the round's people and tallies, and the tubes' counters.
        updates = _tube_updates(tubes, sample_rows, station, now)
        sample_ids = _store(cursor, round_.pk, sample_rows, members, updates)
    if round_.kind == RoundKind.RETEST:
        RetestOrder.objects.filter(
            retest_round=round_,
            resident_id__in=[row[4] for row in sample_rows],
            state=RetestState.PENDING,
        ).update(state=RetestState.SAMPLED, updated_at=now)
    for p in written:
        tube = tubes[p.item.tube_barcode]
        p.outcome.sample_id = sample_ids[p.item.idempotency_key]
        p.outcome.tube_samples = tube.sample_count
        p.outcome.tube_sealed = tube.state != TubeState.OPEN


@dataclass
class _Facts:
    replays: dict[str, tuple] = field(default_factory=dict)
    status: str | None = None
    people_ids: set[int] = field(default_factory=set)
    in_tubes: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    in_round: set[int] = field(default_factory=set)


def _batch_facts(
    cursor, round_: TestingRound, *, keys: list[str], tube_ids: list[int], people_ids: list[int]
) -> _Facts:
    """One statement, four kinds of row: replayed samples with their tubes, the round's
    status, people already in these tubes, people already in the round. The last two name
    every column of a unique index, so they stay index probes even while the planner's
    statistics still describe the empty tables of a new round."""
    in_keys, key_params = bulk.member_of("s.idempotency_key", keys, "varchar")
    in_tubes, tube_params = bulk.member_of("tube_id", tube_ids, "bigint")
    among, people_params = bulk.member_of("resident_id", people_ids, "bigint")
    cursor.execute(
        "SELECT 'replay', s.id, s.idempotency_key, s.station_id, s.flags, t.barcode,"  # noqa: S608 - placeholders only
        " t.sample_count, t.state FROM testing_sample s JOIN testing_tube t ON t.id = s.tube_id"
        f" WHERE {in_keys}"
        " UNION ALL SELECT 'round', NULL, NULL, NULL, NULL, NULL, NULL, status"
        " FROM testing_testinground WHERE id = %s"
        " UNION ALL SELECT 'in_tube', resident_id, NULL, tube_id, NULL, NULL, NULL, NULL"
        f" FROM testing_sample WHERE {in_tubes} AND {among}"
        " UNION ALL SELECT 'in_round', resident_id, NULL, NULL, NULL, NULL, NULL, NULL"
        f" FROM testing_roundmember WHERE round_id = %s AND {among}",
        [*key_params, round_.pk, *tube_params, *people_params, round_.pk, *people_params],
    )
    facts = _Facts(people_ids=set(people_ids))
    for kind, *row in cursor.fetchall():
        if kind == "replay":
            facts.replays[row[1]] = tuple(row)
        elif kind == "round":
            facts.status = row[6]
        elif kind == "in_tube":
            facts.in_tubes[row[0]].add(row[2])
        else:
            facts.in_round.add(row[0])
    return facts


def _answer_replays(live: list[_Prepared], existing: dict, station: Station) -> list[_Prepared]:
    """Answer replayed keys with their first answer; the rest are new."""
    fresh = []
    for p in live:
        first = existing.get(p.item.idempotency_key)
        if first is None:
            fresh.append(p)
        elif first[2] != station.pk or first[4] != p.item.tube_barcode:
            p.outcome.reject(
                _rule(
                    "idempotency_key", "reused", _("This key was already used for another sample.")
                )
            )
        else:
            o = p.outcome
            o.replayed, o.sample_id, o.flags = True, first[0], _flag_names(first[3])
            o.tube_samples, o.tube_sealed = first[5], first[6] != TubeState.OPEN
    return fresh


def _check_tubes(
    fresh: list[_Prepared], tubes: dict[str, _Tube], round_: TestingRound, station: Station
) -> list[_Prepared]:
    for p in fresh:
        tube = tubes.get(p.item.tube_barcode)
        try:
            if tube is None:
                raise _rule(
                    "tube_barcode", "unknown", _("No tube has this barcode: scan it again.")
                )
            if tube.round_id != round_.pk:
                raise _rule("tube_barcode", "other_round", _("This tube belongs to another round."))
            if tube.kind != TubeKind.PEOPLE:
                raise _rule("tube_barcode", "environment", _("This is an environmental tube."))
            if tube.state != TubeState.OPEN:
                raise _rule("tube_barcode", "not_open", _("This tube is sealed: take a new tube."))
            if tube.station_id not in (None, station.pk):
                raise _rule(
                    "tube_barcode", "other_station", _("This tube was opened at another station.")
                )
        except RuleViolation as exc:
            p.outcome.reject(exc)
    return [p for p in fresh if p.outcome.status == "accepted"]


def _people(fresh: list[_Prepared], known: list[tuple], station: Station) -> dict[int, _Person]:
    """Each item's person: found by blind index or sampling code; someone unknown becomes a
    visitor (created here, in the batch's transaction), never a refusal."""
    by_index: dict[str, _Person] = {}
    by_id: dict[int, _Person] = {}
    for pk, index, name, area_code, residency in known:
        person = _Person(pk, name, area_code, residency == Residency.VISITOR)
        by_id[pk] = person
        if index:
            by_index[index] = person
    new_people: dict[str, _Person] = {}
    person_of: dict[int, _Person] = {}
    for p in fresh:
        if p.code_resident:
            person = by_id.get(p.code_resident)
            if person is None:
                p.outcome.reject(
                    _rule(
                        "sampling_code",
                        "unknown",
                        _("The sampling code's person is no longer registered."),
                    )
                )
                continue
        elif p.index:
            person = by_index.get(p.index) or new_people.get(p.index)
            if person is None:
                model = _visitor(p, station)
                person = _Person(None, model.name, model.area_code, True, model)
                new_people[p.index] = person
                p.flags |= SampleFlag.VISITOR
        else:
            model = _no_document_person(p, station)
            person = _Person(
                model.pk, model.name, model.area_code, model.residency == Residency.VISITOR
            )
        if p.item.name and person.name and p.item.name.strip() != person.name:
            p.flags |= SampleFlag.NAME_MISMATCH
        person_of[id(p)] = person
    if new_people:
        created = Resident.objects.bulk_create([person.model for person in new_people.values()])
        for person, model in zip(new_people.values(), created, strict=True):
            person.id = model.pk
    return person_of


def _sample_rows(
    fresh: list[_Prepared],
    tubes: dict[str, _Tube],
    person_of: dict[int, _Person],
    facts: _Facts,
    station: Station,
    round_: TestingRound,
    now: dt.datetime,
    recorded_by: str,
) -> tuple[list[tuple], dict[int, tuple[str, bool]], list[_Prepared]]:
    """The rows to insert, the round's people among them, and the items they answer;
    items that would put a person twice in a tube or overfill it are refused."""
    taken = connection.ops.adapt_datetimefield_value
    recorded = taken(now)
    counts = {t.id: t.sample_count for t in tubes.values()}
    in_batch: set[tuple[int, int]] = set()
    members: dict[int, tuple[str, bool]] = {}
    rows, written = [], []
    for p in fresh:
        tube, person = tubes[p.item.tube_barcode], person_of[id(p)]
        pair = (tube.id, person.id)
        if tube.id in facts.in_tubes.get(person.id, ()) or pair in in_batch:
            p.outcome.reject(
                _rule("document_number", "twice_in_tube", _("This person is already in this tube."))
            )
            continue
        if counts[tube.id] >= tube.capacity:
            p.outcome.reject(
                _rule("tube_barcode", "full", _("This tube is full: seal it and take a new tube."))
            )
            continue
        if person.id in facts.in_round:
            p.flags |= SampleFlag.REPEAT_IN_ROUND
        if person.visitor:
            p.flags |= SampleFlag.VISITOR
        area = person.area_code or station.area_code
        members.setdefault(person.id, (area, person.visitor))
        in_batch.add(pair)
        counts[tube.id] += 1
        rows.append(
            (
                p.item.idempotency_key,
                round_.pk,
                tube.id,
                station.pk,
                person.id,
                area,
                taken(p.taken_at),
                recorded,
                int(p.flags),
                (p.item.name or "")[:64],
                recorded_by,
            )
        )
        p.outcome.flags = _flag_names(p.flags)
        written.append(p)
    return rows, members, written


def _tube_updates(
    tubes: dict[str, _Tube], rows: list[tuple], station: Station, now: dt.datetime
) -> list[tuple]:
    """The tubes' new counters, first use and auto-seal at capacity (the tubes change here)."""
    recorded = connection.ops.adapt_datetimefield_value(now)
    added = Counter(row[2] for row in rows)
    updates = []
    for tube in tubes.values():
        if not added[tube.id]:
            continue
        tube.sample_count += added[tube.id]
        tube.station_id = station.pk
        tube.first_sample_at = tube.first_sample_at or recorded
        sealed = tube.sample_count >= tube.capacity
        tube.state = TubeState.SEALED if sealed else TubeState.OPEN
        updates.append(
            (
                tube.sample_count,
                station.pk,
                tube.first_sample_at,
                tube.state,
                recorded if sealed else None,
                recorded,
                tube.id,
            )
        )
    return updates


MEMBER_COLUMNS = {
    "round_id": "bigint",
    "resident_id": "bigint",
    "area_code": "varchar",
    "visitor": "boolean",
}
TALLY_COLUMNS = {
    "round_id": "bigint",
    "area_code": "varchar",
    "tested": "integer",
    "visitors": "integer",
}
_ADD_TO_TALLY = (
    "ON CONFLICT (round_id, area_code) DO UPDATE SET"
    " tested = testing_roundtally.tested + excluded.tested,"
    " visitors = testing_roundtally.visitors + excluded.visitors"
)


TUBE_UPDATE = ("sample_count", "station_id", "first_sample_at", "state", "sealed_at", "updated_at")


def _store(
    cursor,
    round_id: int,
    sample_rows: list[tuple],
    members: dict[int, tuple[str, bool]],
    updates: list[tuple],
) -> dict[str, int]:
    """Write the samples, the round's people and tallies, and the tubes' counters; returns
    each key's sample id. The unique (round, person) row decides who is new to the round,
    even when two booths take the same person at once; only the new ones add to their
    grid's tally. Rows go in sorted order, so concurrent batches lock them in the same order
    and never deadlock.

    On PostgreSQL it is one statement (data-modifying WITH clauses all run, once). On SQLite,
    inside the process, the statements run one by one."""
    samples_sql, samples_params = bulk.insert(
        "testing_sample", SAMPLE_COLUMNS, sample_rows, "RETURNING id, idempotency_key"
    )
    members_sql, members_params = bulk.insert(
        "testing_roundmember",
        MEMBER_COLUMNS,
        [(round_id, pk, *members[pk]) for pk in sorted(members)],
        "ON CONFLICT (round_id, resident_id) DO NOTHING RETURNING area_code, visitor",
    )
    update_sql = f"UPDATE testing_tube SET {' = %s, '.join(TUBE_UPDATE)} = %s WHERE id = %s"  # noqa: S608 - names from this module
    if connection.vendor == "postgresql":
        # One UPDATE per tube (a batch of 20 fills one): joined to a list of rows, the
        # planner guessed 100 of them and scanned the whole tube table instead.
        tubes = "".join(f", tube{i} AS ({update_sql})" for i in range(len(updates)))
        cursor.execute(
            f"WITH s AS ({samples_sql}), new AS ({members_sql}), "  # noqa: S608 - SQL from this module
            "tally AS (INSERT INTO testing_roundtally (round_id, area_code, tested, visitors)"
            " SELECT %s::bigint, area_code, count(*) FILTER (WHERE NOT visitor),"
            " count(*) FILTER (WHERE visitor) FROM new GROUP BY area_code ORDER BY area_code"
            f" {_ADD_TO_TALLY}){tubes} SELECT id, idempotency_key FROM s",
            [*samples_params, *members_params, round_id, *[v for u in updates for v in u]],
        )
        return {key: pk for pk, key in cursor.fetchall()}
    cursor.execute(samples_sql, samples_params)
    sample_ids = {key: pk for pk, key in cursor.fetchall()}
    cursor.execute(members_sql, members_params)
    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for area, visitor in cursor.fetchall():
        tallies[area][1 if visitor else 0] += 1
    if tallies:
        cursor.execute(
            *bulk.insert(
                "testing_roundtally",
                TALLY_COLUMNS,
                [(round_id, area, *tallies[area]) for area in sorted(tallies)],
                _ADD_TO_TALLY,
            )
        )
    for update in updates:
        cursor.execute(update_sql, update)
    return sample_ids


def _visitor(p: _Prepared, station: Station) -> Resident:
    """Someone not in the registry: registered as a visitor at the station's area, not refused."""
    data = prepare_resident(
        name=(p.item.name or "").strip() or force_str(_("Unregistered visitor")),
        document_type=p.document.type,
        document_number=p.document.number,
        phone=p.phone,
        residency=Residency.VISITOR,
    )
    resident = data.to_model()
    resident.area_code = station.area_code
    resident.needs_follow_up = True
    resident.note = force_str(_("Registered at sampling"))[:200]
    return resident


def _no_document_person(p: _Prepared, station: Station) -> Resident:
    """A person without a document: matched by name and phone if seen before, else created."""
    name = p.item.name.strip()
    if p.phone:
        known = Resident.objects.filter(
            name=name, phone_index=phone_index(p.phone), document_index__isnull=True
        ).first()
        if known is not None:
            return known
    data = prepare_resident(
        name=name,
        document_type=None,
        document_number="",
        phone=p.phone,
        residency=Residency.VISITOR,
    )
    resident = data.to_model()
    resident.area_code = station.area_code
    resident.needs_follow_up = True
    resident.note = (f"监护人/guardian: {p.item.guardian}" if p.item.guardian else "")[:200]
    resident.save()
    return resident
