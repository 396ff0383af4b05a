"""The statements of a sample batch's write: the samples, the round's people and tallies,
and the tubes' counters. The store runs them one by one (SQLite) or as one (PostgreSQL).

The unique (round, person) row decides who is new to the round, even when two booths take
the same person at once; only the new ones add to their grid's tally. Rows go in sorted
order, so concurrent batches lock them in the same order and never deadlock.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from fangkong.core.db import bulk

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
    "request_digest": "varchar",
}
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
_UPDATE_TUBE = f"UPDATE testing_tube SET {' = %s, '.join(TUBE_UPDATE)} = %s WHERE id = %s"  # noqa: S608 - names from this module


@dataclass
class WriteStatements:
    round_id: int
    samples: tuple[str, list]  # RETURNING id, idempotency_key
    members: tuple[str, list]  # RETURNING area_code, visitor of the people new to the round
    tube_updates: list[tuple[str, tuple]]

    def tally(self, new_members: list[tuple]) -> tuple[str, list] | None:
        """The tallies' increments from the new members' rows (run one by one)."""
        tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for area, visitor in new_members:
            tallies[area][1 if visitor else 0] += 1
        if not tallies:
            return None
        return bulk.insert(
            "testing_roundtally",
            TALLY_COLUMNS,
            [(self.round_id, area, *tallies[area]) for area in sorted(tallies)],
            _ADD_TO_TALLY,
        )

    def as_one(self, extra: tuple[str, list] | None) -> tuple[str, list]:
        """Everything as one PostgreSQL statement (data-modifying WITH clauses all run,
        once), `extra` (a data-modifying statement) among them; it answers the samples'
        ids and keys."""
        samples_sql, samples_params = self.samples
        members_sql, members_params = self.members
        # One UPDATE per tube (a batch of 20 fills one): joined to a list of rows, the
        # planner guessed 100 of them and scanned the whole tube table instead.
        tubes = "".join(f", tube{i} AS ({sql})" for i, (sql, _p) in enumerate(self.tube_updates))
        tail = f", extra AS ({extra[0]})" if extra else ""
        sql = (
            f"WITH s AS ({samples_sql}), new AS ({members_sql}), "  # noqa: S608 - SQL from this module
            "tally AS (INSERT INTO testing_roundtally (round_id, area_code, tested, visitors)"
            " SELECT %s::bigint, area_code, count(*) FILTER (WHERE NOT visitor),"
            " count(*) FILTER (WHERE visitor) FROM new GROUP BY area_code ORDER BY area_code"
            f" {_ADD_TO_TALLY}){tubes}{tail} SELECT id, idempotency_key FROM s"
        )
        params = [
            *samples_params,
            *members_params,
            self.round_id,
            *[v for _sql, update in self.tube_updates for v in update],
            *(extra[1] if extra else []),
        ]
        return sql, params


def write_statements(
    round_id: int,
    sample_rows: list[tuple],
    members: dict[int, tuple[str, bool]],
    updates: list[tuple],
) -> WriteStatements:
    return WriteStatements(
        round_id=round_id,
        samples=bulk.insert(
            "testing_sample", SAMPLE_COLUMNS, sample_rows, "RETURNING id, idempotency_key"
        ),
        members=bulk.insert(
            "testing_roundmember",
            MEMBER_COLUMNS,
            [(round_id, pk, *members[pk]) for pk in sorted(members)],
            "ON CONFLICT (round_id, resident_id) DO NOTHING RETURNING area_code, visitor",
        ),
        tube_updates=[(_UPDATE_TUBE, update) for update in updates],
    )
