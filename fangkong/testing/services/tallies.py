"""Who was tested in a round, counted from the samples: the repair for `RoundMember` and
`RoundTally`, which registration keeps as it writes (see sample_sql).

Run it after loading samples by other means (the benchmarks' bulk fill) or to check the live
counts; it recounts the given rounds in one transaction. Registration should be paused for
those rounds while it runs, or its batches wait for the lock.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, transaction

from fangkong.people.models import Residency


def rebuild_round_tallies(round_ids: Sequence[int]) -> int:
    """Recount the rounds' people and tallies from their samples; returns the people counted.

    A person counts in the grid of their first sample in the round, as a visitor when the
    registry holds them as one.
    """
    ids = sorted(set(round_ids))
    if not ids:
        return 0
    marks = ", ".join(["%s"] * len(ids))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM testing_roundtally WHERE round_id IN ({marks})", ids)  # noqa: S608 - placeholders only
        cursor.execute(f"DELETE FROM testing_roundmember WHERE round_id IN ({marks})", ids)  # noqa: S608 - placeholders only
        cursor.execute(
            "INSERT INTO testing_roundmember (round_id, resident_id, area_code, visitor) "  # noqa: S608 - placeholders only
            "SELECT s.round_id, s.resident_id, s.area_code, "
            "CASE WHEN r.residency = %s THEN %s ELSE %s END "
            "FROM testing_sample s JOIN people_resident r ON r.id = s.resident_id "
            "WHERE s.id IN (SELECT MIN(id) FROM testing_sample "
            f"WHERE round_id IN ({marks}) GROUP BY round_id, resident_id)",
            [Residency.VISITOR, True, False, *ids],
        )
        people = cursor.rowcount
        cursor.execute(
            "INSERT INTO testing_roundtally (round_id, area_code, tested, visitors) "  # noqa: S608 - placeholders only
            "SELECT round_id, area_code, "
            "SUM(CASE WHEN visitor THEN 0 ELSE 1 END), SUM(CASE WHEN visitor THEN 1 ELSE 0 END) "
            f"FROM testing_roundmember WHERE round_id IN ({marks}) GROUP BY round_id, area_code",
            ids,
        )
    return people
