"""The database part of a sample batch, behind one interface: `store().write_batch(...)`.

Each database has its adapter (`SqliteStore`, `PostgresStore`); both do the same in the
order events allow: the tubes locked, one read of replays, the round's status and who is
already tested, then one write. On PostgreSQL that is three round trips: BEGIN; the lock and
the read (with the people) as two statements sent together; the write, which carries the
COMMIT.

The store owns the batch's transaction. `write_batch` returns only after it has committed,
and the statement that carries the COMMIT is the last one: a guard on the connection refuses
any statement after it, so nothing can be written outside the batch's transaction by mistake.
Inside a caller's atomic block (a test, a CLI batch that registers several) the batch joins
the caller's transaction instead, as a savepoint, and commits nothing of its own.

Plain SQL on purpose: this runs for every sample of a 25-million-person round, and the ORM's
query building cost more than the queries. Every statement is a round trip that costs more
than its work, so there are as few as that order allows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _

from fangkong.core.db import bulk

from ..models import RetestState, RoundKind, RoundStatus, Station, TestingRound, TubeState
from .sample_checks import (
    Facts,
    Tube,
    answer_replays,
    check_tubes,
    facts_query,
    read_facts,
    sample_rows,
    tube_updates,
)
from .sample_items import ItemOutcome, PreparedItem, rule
from .sample_people import PERSON, people_lookup, people_of
from .sample_sql import write_statements


class StatementAfterCommitError(RuntimeError):
    """A statement was sent after the batch's write had committed its transaction: it would
    have run outside that transaction, in one of its own."""


class CommitGuard:
    """An execute wrapper: once the write carried the COMMIT, every other statement on the
    connection is refused until the batch's atomic block has ended."""

    def __init__(self) -> None:
        self.committed = False

    def __call__(self, execute, sql, params, many, context):
        if self.committed:
            raise StatementAfterCommitError(sql[:60])
        return execute(sql, params, many, context)


@dataclass
class Batch:
    station: Station
    round_: TestingRound
    live: list[PreparedItem]  # the items that passed the checks without a database
    now: dt.datetime
    recorded_by: str

    @cached_property
    def keys(self) -> list[str]:
        return [p.item.idempotency_key for p in self.live]

    @cached_property
    def barcodes(self) -> list[str]:
        return sorted({p.item.tube_barcode for p in self.live})

    def tubes_query(self) -> tuple[str, list]:
        """The batch's tubes, locked on PostgreSQL so two batches cannot overfill one
        (SQLite's IMMEDIATE transaction already holds the write lock): a tablet's retry of
        this very batch waits here, then finds its keys committed in the next statement."""
        where, params = bulk.member_of("barcode", self.barcodes, "varchar")
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        sql = (
            "SELECT id, barcode, round_id, kind, state, station_id, sample_count, capacity,"  # noqa: S608 - placeholders only
            f" first_sample_at FROM testing_tube WHERE {where} ORDER BY id{lock}"
        )
        return sql, params


class SampleStore:
    """Writes a batch's accepted items in one transaction and fills in every item's answer.
    An adapter says how its database reads the facts and writes the rows."""

    def write_batch(
        self,
        *,
        station: Station,
        round_: TestingRound,
        prepared: list[PreparedItem],
        now: dt.datetime,
        recorded_by: str,
    ) -> None:
        """Write the accepted items; returns once they are committed (or, inside a caller's
        atomic block, part of the caller's transaction). A concurrent retry of the same keys
        that commits first makes the insert fail on the unique key: the batch runs once
        more and is answered as replays."""
        for attempt in range(2):
            live = [p for p in prepared if p.outcome.status == "accepted"]
            if not live:
                return
            batch = Batch(station, round_, live, now, recorded_by)
            try:
                if connection.in_atomic_block:
                    with transaction.atomic():  # a savepoint: the caller commits
                        self._run(batch, guard=None)
                else:
                    self._own_transaction(batch)
                return
            except IntegrityError:
                if attempt:
                    raise
                for p in live:
                    p.outcome = ItemOutcome(
                        index=p.outcome.index,
                        idempotency_key=p.item.idempotency_key,
                        tube_barcode=p.item.tube_barcode,
                    )

    def _own_transaction(self, batch: Batch) -> None:
        before = self.before_transaction(batch)
        guard = CommitGuard()
        with connection.execute_wrapper(guard), transaction.atomic(durable=True):
            self._run(batch, guard=guard, before=before)

    def _run(self, batch: Batch, *, guard: CommitGuard | None, before=None) -> None:
        if before is None:
            before = self.before_transaction(batch)
        with connection.cursor() as cursor:
            tubes, facts = self.read(cursor, batch, before)
            written = self._check(cursor, batch, tubes, facts)
            if not written:
                return
            rows, members, items = written
            updates = tube_updates(tubes, rows, batch.station, batch.now)
            sample_ids = self.write(cursor, batch, rows, members, updates, guard=guard)
        for p in items:
            tube = tubes[p.item.tube_barcode]
            p.outcome.sample_id = sample_ids[p.item.idempotency_key]
            p.outcome.tube_samples = tube.sample_count
            p.outcome.tube_sealed = tube.state != TubeState.OPEN

    def _check(self, cursor, batch: Batch, tubes: dict[str, Tube], facts: Facts):
        """The checks on what was read; the rows to write, or None when nothing is."""
        fresh = answer_replays(batch.live, facts.replays, batch.station)
        if not fresh:
            return None
        if facts.status != RoundStatus.ACTIVE:
            # The round's status as read now (not as cached): a closed round takes no new
            # samples but still answers replays.
            closed = rule("station", "round_closed", _("This station's round is not sampling."))
            for p in fresh:
                p.outcome.reject(closed)
            return None
        fresh = check_tubes(fresh, tubes, batch.round_, batch.station)
        person_of = people_of(fresh, facts.people, batch.station)
        fresh = [p for p in fresh if p.outcome.status == "accepted"]
        if not fresh:
            return None
        # People without a document matched by name and phone were not among those read
        # (visitors this batch registered cannot be in any tube yet).
        unseen = sorted(
            {person_of[id(p)].id for p in fresh if person_of[id(p)].model is None}
            - facts.people_ids
        )
        if unseen:
            cursor.execute(
                *facts_query(batch.round_, keys=[], barcodes=batch.barcodes, people_ids=unseen)
            )
            more = read_facts(cursor.fetchall(), known_ids=set(unseen))
            for resident_id, tube_ids in more.in_tubes.items():
                facts.in_tubes[resident_id] |= tube_ids
            facts.in_round |= more.in_round
        rows, members, items = sample_rows(
            fresh,
            tubes,
            person_of,
            facts,
            batch.station,
            batch.round_,
            batch.now,
            batch.recorded_by,
        )
        return (rows, members, items) if rows else None

    # The adapter's part.
    def before_transaction(self, batch: Batch):
        """Work done before the transaction opens; its result is passed to `read`."""
        return None

    def read(self, cursor, batch: Batch, before) -> tuple[dict[str, Tube], Facts]:
        raise NotImplementedError

    def write(self, cursor, batch, rows, members, updates, *, guard) -> dict[str, int]:
        """Write the rows; returns each key's sample id. With a guard, the transaction is
        the store's own and the write may commit it (then it sets `guard.committed`)."""
        raise NotImplementedError


def _retest_orders(batch: Batch, rows: list[tuple]) -> tuple[str, list] | None:
    """In a retest round, the pending orders of the people sampled become sampled."""
    if batch.round_.kind != RoundKind.RETEST:
        return None
    where, params = bulk.member_of("resident_id", sorted({row[4] for row in rows}), "bigint")
    return (
        "UPDATE testing_retestorder SET state = %s, updated_at = %s"  # noqa: S608 - placeholders only
        f" WHERE retest_round_id = %s AND state = %s AND {where}",
        [
            RetestState.SAMPLED,
            connection.ops.adapt_datetimefield_value(batch.now),
            batch.round_.pk,
            RetestState.PENDING,
            *params,
        ],
    )


class SqliteStore(SampleStore):
    """SQLite: the people are read before the transaction, which holds the database's one
    write lock (a read needs no lock in WAL mode); the statements run one by one."""

    def before_transaction(self, batch: Batch) -> list[tuple]:
        lookup = people_lookup(batch.live)
        if lookup is None:
            return []
        with connection.cursor() as cursor:
            cursor.execute(*lookup)
            return list(cursor.fetchall())

    def read(self, cursor, batch: Batch, before: list[tuple]) -> tuple[dict[str, Tube], Facts]:
        cursor.execute(*batch.tubes_query())
        tubes = {row[1]: Tube(*row) for row in cursor.fetchall()}
        ids = {row[0] for row in before}
        cursor.execute(
            *facts_query(
                batch.round_, keys=batch.keys, barcodes=batch.barcodes, people_ids=sorted(ids)
            )
        )
        facts = read_facts(cursor.fetchall(), known_ids=ids)
        facts.people = before
        return tubes, facts

    def write(self, cursor, batch, rows, members, updates, *, guard) -> dict[str, int]:
        statements = write_statements(batch.round_.pk, rows, members, updates)
        cursor.execute(*statements.samples)
        sample_ids = {key: pk for pk, key in cursor.fetchall()}
        cursor.execute(*statements.members)
        tally = statements.tally(cursor.fetchall())
        if tally:
            cursor.execute(*tally)
        for update in statements.tube_updates:
            cursor.execute(*update)
        retest = _retest_orders(batch, rows)
        if retest:
            cursor.execute(*retest)
        return sample_ids  # committed when the store's atomic block ends


class PostgresStore(SampleStore):
    """PostgreSQL: the people, the tubes and the facts in one round trip; the write is one
    statement, and in the store's own transaction it carries the COMMIT."""

    def read(self, cursor, batch: Batch, before) -> tuple[dict[str, Tube], Facts]:
        tubes_sql, params = batch.tubes_query()
        nobody = f"SELECT {PERSON} FROM people_resident WHERE false"  # noqa: S608 - names only
        facts_sql, facts_params = facts_query(
            batch.round_,
            keys=batch.keys,
            barcodes=batch.barcodes,
            people=people_lookup(batch.live) or (nobody, []),
        )
        # In the simple query protocol each statement takes its own snapshot when it starts,
        # so the facts are read after the lock is held.
        cursor.execute(f"{tubes_sql}; {facts_sql}", [*params, *facts_params])
        tubes = {row[1]: Tube(*row) for row in cursor.fetchall()}
        cursor.nextset()
        return tubes, read_facts(cursor.fetchall(), known_ids=set())

    def write(self, cursor, batch, rows, members, updates, *, guard) -> dict[str, int]:
        """One statement: data-modifying WITH clauses all run, once. With the guard, the
        COMMIT follows in the same round trip: psycopg sends no COMMIT of its own for a
        connection the server reports idle, so the atomic block's commit costs nothing. A
        failed write or COMMIT raises here, and the block rolls back as usual."""
        sql, params = write_statements(batch.round_.pk, rows, members, updates).as_one(
            _retest_orders(batch, rows)
        )
        if guard is None:
            cursor.execute(sql, params)
            return {key: pk for pk, key in cursor.fetchall()}
        cursor.execute(f"{sql}; COMMIT", params)
        guard.committed = True
        return {key: pk for pk, key in cursor.fetchall()}


_STORES: dict[str, SampleStore] = {"sqlite": SqliteStore(), "postgresql": PostgresStore()}


def store() -> SampleStore:
    """The adapter of the database in use."""
    return _STORES[connection.vendor]
