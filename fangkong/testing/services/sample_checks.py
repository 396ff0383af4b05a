"""The checks of a sample batch that need the database's facts, and the rows they let
through: replays, the round's status, the tubes, who is already in a tube or the round.

Pure Python over what the store read (`sample_store`): the same on every database.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.utils.translation import gettext_lazy as _

from fangkong.core.db import bulk
from fangkong.core.errors import RuleViolation

from ..models import SampleFlag, Station, TestingRound, TubeKind, TubeState
from .rounds import pool_rule_violation
from .sample_items import PreparedItem, flag_names, rule
from .sample_people import Person

# Answered 409 by the API: the client reuses keys, and one of its two samples would be lost.
REUSED = RuleViolation(
    field="idempotency_key",
    code="reused",
    message=_("This key was already used for another sample: scan this person again."),
    status_code=409,
)


@dataclass
class Tube:
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
class Facts:
    replays: dict[str, tuple] = field(default_factory=dict)
    status: str | None = None
    people_ids: set[int] = field(default_factory=set)
    in_tubes: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    in_round: set[int] = field(default_factory=set)
    people: list[tuple] = field(default_factory=list)  # PERSON rows, when read here


def facts_query(
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
        " t.sample_count, t.state, s.request_digest FROM testing_sample s"
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


def read_facts(rows: list[tuple], *, known_ids: set[int]) -> Facts:
    facts = Facts(people_ids=set(known_ids))
    for kind, *row in rows:
        if kind == "replay":
            facts.replays[row[1]] = tuple(row[:8])
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


def answer_replays(
    live: list[PreparedItem], existing: dict, station: Station
) -> list[PreparedItem]:
    """Answer replayed keys with their first answer; the rest are new. A key already used
    for another request (another station, tube, person, document or time) is refused: as
    a replay the second person would silently not be sampled."""
    fresh = []
    for p in live:
        first = existing.get(p.item.idempotency_key)
        if first is None:
            fresh.append(p)
        elif (
            first[2] != station.pk
            or first[4] != p.item.tube_barcode
            # Samples stored before the digest existed have none: station and tube decide.
            or (first[7] and first[7] != p.digest)
        ):
            p.outcome.reject(REUSED)
        else:
            o = p.outcome
            o.replayed, o.sample_id, o.flags = True, first[0], flag_names(first[3])
            o.tube_samples, o.tube_sealed = first[5], first[6] != TubeState.OPEN
    return fresh


def check_tubes(
    fresh: list[PreparedItem], tubes: dict[str, Tube], round_: TestingRound, station: Station
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
            if broken := pool_rule_violation(round=round_, capacity=tube.capacity):
                raise rule("tube_barcode", broken.code, broken.message)
            if tube.station_id not in (None, station.pk):
                raise rule(
                    "tube_barcode", "other_station", _("This tube was opened at another station.")
                )
        except RuleViolation as exc:
            p.outcome.reject(exc)
    return [p for p in fresh if p.outcome.status == "accepted"]


def sample_rows(
    fresh: list[PreparedItem],
    tubes: dict[str, Tube],
    person_of: dict[int, Person],
    facts: Facts,
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
                p.digest,
            )
        )
        p.outcome.flags = flag_names(p.flags)
        written.append(p)
    return rows, members, written


def tube_updates(
    tubes: dict[str, Tube], rows: list[tuple], station: Station, now: dt.datetime
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
