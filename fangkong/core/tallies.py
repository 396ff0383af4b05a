"""Open and overdue counts grouped by one column: the figures the command centre's boards
show for every domain with clocks (requests by kind and grid, cases by kind and grid).

One grouped query per grouping, whatever the number of rows, so a board over a district's
hundred thousand open items costs what a board over ten does.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet


@dataclass(frozen=True)
class Tally:
    key: str
    open: int
    overdue: int


def tally_open_overdue(live: QuerySet, *, by: str, overdue: Q) -> list[Tally]:
    """For each value of `by` among the open rows `live`, how many there are and how many of
    them match `overdue`; the most overdue first, then the most open, then by key."""
    rows = (
        live.order_by()
        .values(by)
        .annotate(n_open=Count("pk"), n_overdue=Count("pk", filter=overdue))
        .values_list(by, "n_open", "n_overdue")
    )
    tallies = [Tally(key, n_open, n_overdue) for key, n_open, n_overdue in rows]
    return sorted(tallies, key=lambda t: (-t.overdue, -t.open, t.key))
