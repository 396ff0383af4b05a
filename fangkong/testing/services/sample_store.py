"""The database part of a sample batch, in the order events allow: the tubes locked, one
read of replays, the round's status and who is already tested, then one write. On
PostgreSQL that is three round trips: BEGIN; the lock and the read (with the people) as two
statements sent together; the write, which carries the COMMIT.

Plain SQL on purpose: this runs for every sample of a 25-million-person round, and the ORM's
query building cost more than the queries. Every statement is a round trip that costs more
than its work, so there are as few as that order allows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.utils.translation import gettext_lazy as _

from fangkong.core.db import bulk
from fangkong.core.errors import RuleViolation

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
from .sample_items import PreparedItem, flag_names, rule
from .sample_people import PERSON, Person, people_lookup, people_of

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


_NOBODY = f"SELECT {PERSON} FROM people_resident WHERE false"  # noqa: S608 - names only


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


def write_batch(
    station: Station,
    round_: TestingRound,
    prepared: list[PreparedItem],
    known: list[tuple] | None,
    now: dt.datetime,
    recorded_by: str,
) -> None:
    """The database part of a batch: the tubes, locked; one read of everything else the
    checks need; one write on PostgreSQL. Every statement is a round trip that cost more
    than its work, so they are as few as the order of events allows."""
    live = [p for p in prepared if p.outcome.status == "accepted"]
    if not live:
        return
    barcodes = sorted({p.item.tube_barcode for p in live})
    keys = [p.item.idempotency_key for p in live]
    with connection.cursor() as cursor:
        # 1. The tubes first, locked on PostgreSQL so two batches cannot overfill one
        # (SQLite's IMMEDIATE transaction already holds the write lock): a tablet's retry of
        # this very batch waits here, then finds its keys committed in the next statement.
        # 2. Replays, the round's status now (not as cached: a closed round takes no new
        # samples but still answers replays), and who among the known people is already in
        # these tubes or in this round.
        where, params = bulk.member_of("barcode", barcodes, "varchar")
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        tubes_sql = (
            "SELECT id, barcode, round_id, kind, state, station_id, sample_count, capacity,"  # noqa: S608 - placeholders only
            f" first_sample_at FROM testing_tube WHERE {where} ORDER BY id{lock}"
        )
        if known is None:  # PostgreSQL: the people, the tubes and the facts in one round trip
            lookup = people_lookup(live)
            facts_sql, facts_params = _facts_query(
                round_,
                keys=keys,
                barcodes=barcodes,
                people=lookup or (_NOBODY, []),
            )
            # In the simple query protocol each statement takes its own snapshot when it
            # starts, so the facts are read after the lock is held.
            cursor.execute(f"{tubes_sql}; {facts_sql}", [*params, *facts_params])
            tubes = {row[1]: _Tube(*row) for row in cursor.fetchall()}
            cursor.nextset()
            facts = _read_facts(cursor.fetchall(), known_ids=set())
            known = facts.people
        else:
            cursor.execute(tubes_sql, params)
            tubes = {row[1]: _Tube(*row) for row in cursor.fetchall()}
            cursor.execute(
                *_facts_query(
                    round_,
                    keys=keys,
                    barcodes=barcodes,
                    people_ids=sorted({row[0] for row in known}),
                )
            )
            facts = _read_facts(cursor.fetchall(), known_ids={row[0] for row in known})
        fresh = _answer_replays(live, facts.replays, station)
        if not fresh:
            return
        if facts.status != RoundStatus.ACTIVE:
            closed = rule("station", "round_closed", _("This station's round is not sampling."))
            for p in fresh:
                p.outcome.reject(closed)
            return
        fresh = _check_tubes(fresh, tubes, round_, station)
        person_of = people_of(fresh, known, station)
        fresh = [p for p in fresh if p.outcome.status == "accepted"]
        if not fresh:
            return
        # People without a document matched by name and phone were not among the known
        # (visitors this batch registered cannot be in any tube yet).
        unseen = sorted(
            {person_of[id(p)].id for p in fresh if person_of[id(p)].model is None}
            - facts.people_ids
        )
        if unseen:
            cursor.execute(*_facts_query(round_, keys=[], barcodes=barcodes, people_ids=unseen))
            more = _read_facts(cursor.fetchall(), known_ids=set(unseen))
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
        sample_ids = _store(
            cursor,
            round_.pk,
            sample_rows,
            members,
            updates,
            commit=round_.kind != RoundKind.RETEST and _commits_on_exit(),
        )
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
    people: list[tuple] = field(default_factory=list)  # PERSON rows, when read here


def _facts_query(
    round_: TestingRound,
    *,
    keys: list[str],
    barcodes: list[str],
    people_ids: list[int] | None = None,
    people: tuple[str, list] | None = None,
) -> tuple[str, list]:
    """One statement, four kinds of row: replayed samples with their tubes, the round's
    status, people already in these tubes, people already in the round; with `people` (a
    select of PERSON columns, PostgreSQL only) also the people themselves, and the last two
    kinds are asked of them. The last two name every column of a unique index, so they stay
    index probes even while the planner's statistics still describe the empty tables of a
    new round."""
    in_keys, key_params = bulk.member_of("s.idempotency_key", keys, "varchar")
    tube_where, tube_params = bulk.member_of("barcode", barcodes, "varchar")
    tube_ids = f"SELECT id FROM testing_tube WHERE {tube_where}"  # noqa: S608 - placeholders only
    head, head_params, people_rows = "", [], ""
    if people is None:
        among, people_params = bulk.member_of("resident_id", people_ids or [], "bigint")
    else:
        head, head_params = f"WITH p AS MATERIALIZED ({people[0]}) ", people[1]
        among, people_params = "resident_id = ANY(ARRAY(SELECT id FROM p))", []
        people_rows = (
            " UNION ALL SELECT 'person', id, document_index, NULL, NULL, name, NULL, area_code,"
            " residency FROM p"
        )
    # On PostgreSQL an array from a sub-select keeps the probe of the unique (tube, person)
    # index; `IN (SELECT …)` may become a join that the planner of a new round's empty
    # tables answers by scanning.
    in_tubes = (
        f"tube_id = ANY(ARRAY({tube_ids}))"
        if connection.vendor == "postgresql"
        else f"tube_id IN ({tube_ids})"
    )
    sql = (
        f"{head}SELECT 'replay', s.id, s.idempotency_key, s.station_id, s.flags, t.barcode,"  # noqa: S608 - placeholders only
        " t.sample_count, t.state, NULL FROM testing_sample s"
        f" JOIN testing_tube t ON t.id = s.tube_id WHERE {in_keys}"
        " UNION ALL SELECT 'round', NULL, NULL, NULL, NULL, NULL, NULL, status, NULL"
        " FROM testing_testinground WHERE id = %s"
        " UNION ALL SELECT 'in_tube', resident_id, NULL, tube_id, NULL, NULL, NULL, NULL, NULL"
        f" FROM testing_sample WHERE {in_tubes} AND {among}"
        " UNION ALL SELECT 'in_round', resident_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
        f" FROM testing_roundmember WHERE round_id = %s AND {among}{people_rows}"
    )
    params = [*key_params, round_.pk, *tube_params, *people_params, round_.pk, *people_params]
    return sql, [*head_params, *params]


def _read_facts(rows: list[tuple], *, known_ids: set[int]) -> _Facts:
    facts = _Facts(people_ids=set(known_ids))
    for kind, *row in rows:
        if kind == "replay":
            facts.replays[row[1]] = tuple(row[:7])
        elif kind == "round":
            facts.status = row[6]
        elif kind == "in_tube":
            facts.in_tubes[row[0]].add(row[2])
        elif kind == "in_round":
            facts.in_round.add(row[0])
        else:  # a person, as PERSON: id, document_index, name, area_code, residency
            facts.people.append((row[0], row[1], row[4], row[6], row[7]))
            facts.people_ids.add(row[0])
    return facts


def _answer_replays(
    live: list[PreparedItem], existing: dict, station: Station
) -> list[PreparedItem]:
    """Answer replayed keys with their first answer; the rest are new."""
    fresh = []
    for p in live:
        first = existing.get(p.item.idempotency_key)
        if first is None:
            fresh.append(p)
        elif first[2] != station.pk or first[4] != p.item.tube_barcode:
            p.outcome.reject(
                rule(
                    "idempotency_key", "reused", _("This key was already used for another sample.")
                )
            )
        else:
            o = p.outcome
            o.replayed, o.sample_id, o.flags = True, first[0], flag_names(first[3])
            o.tube_samples, o.tube_sealed = first[5], first[6] != TubeState.OPEN
    return fresh


def _check_tubes(
    fresh: list[PreparedItem], tubes: dict[str, _Tube], round_: TestingRound, station: Station
) -> list[PreparedItem]:
    for p in fresh:
        tube = tubes.get(p.item.tube_barcode)
        try:
            if tube is None:
                raise rule("tube_barcode", "unknown", _("No tube has this barcode: scan it again."))
            if tube.round_id != round_.pk:
                raise rule("tube_barcode", "other_round", _("This tube belongs to another round."))
            if tube.kind != TubeKind.PEOPLE:
                raise rule("tube_barcode", "environment", _("This is an environmental tube."))
            if tube.state != TubeState.OPEN:
                raise rule("tube_barcode", "not_open", _("This tube is sealed: take a new tube."))
            if tube.station_id not in (None, station.pk):
                raise rule(
                    "tube_barcode", "other_station", _("This tube was opened at another station.")
                )
        except RuleViolation as exc:
            p.outcome.reject(exc)
    return [p for p in fresh if p.outcome.status == "accepted"]


def _sample_rows(
    fresh: list[PreparedItem],
    tubes: dict[str, _Tube],
    person_of: dict[int, Person],
    facts: _Facts,
    station: Station,
    round_: TestingRound,
    now: dt.datetime,
    recorded_by: str,
) -> tuple[list[tuple], dict[int, tuple[str, bool]], list[PreparedItem]]:
    """The rows to insert, the round's people among them, and the items they answer;
    items that would put a person twice in a tube or overfill it are refused."""
    # PostgreSQL reads the rows from JSON: ISO strings there save the JSON encoder a call
    # back into Python for each of them.
    taken = (
        dt.datetime.isoformat
        if connection.vendor == "postgresql"
        else connection.ops.adapt_datetimefield_value
    )
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
                rule("document_number", "twice_in_tube", _("This person is already in this tube."))
            )
            continue
        if counts[tube.id] >= tube.capacity:
            p.outcome.reject(
                rule("tube_barcode", "full", _("This tube is full: seal it and take a new tube."))
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
        p.outcome.flags = flag_names(p.flags)
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


def _commits_on_exit() -> bool:
    """Whether the atomic block around this batch is the outermost one and commits when it
    ends: only then may the write carry the COMMIT (not inside a caller's transaction)."""
    return (
        len(connection.atomic_blocks) == 1
        and not connection.savepoint_ids
        and connection.commit_on_exit
    )


def _store(
    cursor,
    round_id: int,
    sample_rows: list[tuple],
    members: dict[int, tuple[str, bool]],
    updates: list[tuple],
    *,
    commit: bool = False,
) -> dict[str, int]:
    """Write the samples, the round's people and tallies, and the tubes' counters; returns
    each key's sample id. The unique (round, person) row decides who is new to the round,
    even when two booths take the same person at once; only the new ones add to their
    grid's tally. Rows go in sorted order, so concurrent batches lock them in the same order
    and never deadlock.

    On PostgreSQL it is one statement (data-modifying WITH clauses all run, once), and with
    `commit` the transaction's COMMIT follows it in the same round trip: nothing else is
    written after it, and psycopg sends no COMMIT of its own for a connection the server
    reports idle, so Django's commit at the end of the atomic block costs nothing. A failed
    write or COMMIT raises here, and the block rolls back as usual. On SQLite, inside the
    process, the statements run one by one."""
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
            f" {_ADD_TO_TALLY}){tubes} SELECT id, idempotency_key FROM s"
            + ("; COMMIT" if commit else ""),
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
