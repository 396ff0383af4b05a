"""Exposures as set-based queries: the person's scans joined to everyone else's at the same
venue within ±W minutes (inclusive), W per kind of venue.

A self-join on (venue, time window), probing the (venue_id, scanned_at) index once per visit
of the person; each other scan comes out once, matched to the person's nearest visit (an
anti-join on the person's few visits, so no sort over the whole answer is needed to pick it).
Three readings of the same pairs, so they always agree: the count of candidates per visit (the
investigator's page), one visit's candidates a page at a time, and every exposure in order,
streamed (the CLI). Times are stored to the second, so on SQLite the bounds computed as text
compare exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction

from fangkong.core.areas import within_q

from .models import Venue
from .scan_store import sqlite_time


@dataclass(frozen=True)
class Exposure:
    source_id: str
    venue_code: str
    venue_name: str
    venue_kind: str
    scanned_at: dt.datetime
    matched_source_id: str
    matched_at: dt.datetime
    seconds_apart: int  # signed: the other scan minus the person's
    document_type: str
    document_masked: str

    @property
    def minutes_apart(self) -> float:
        return round(abs(self.seconds_apart) / 60, 2)


@dataclass(frozen=True)
class Visit:
    """One of the person's scans with the number of candidates matched to it."""

    source_id: str
    venue_code: str
    venue_name: str
    venue_kind: str
    scanned_at: dt.datetime
    minutes: int
    candidates: int


@dataclass(frozen=True)
class ExposureQuery:
    """Whose exposures, over which period, with which windows, at venues in which area."""

    person_index: str
    start: dt.datetime
    end: dt.datetime
    windows: dict[str, int]
    default_minutes: int
    scope_code: str | None  # None: the operator, everywhere


# Each of the person's visits probes the (venue_id, scanned_at) index of the day partitions it
# can touch. PostgreSQL is told so with LATERAL (OFFSET 0 keeps it from being flattened): at 20,000 scans over few venues it otherwise
# prefers a hash join over the whole table, the plan that fails at city scale on hub venues.
# SQLite has no LATERAL and drives the join from the small side by itself.
_PROBE = {
    "postgresql": """CROSS JOIN LATERAL (
                SELECT o.id, o.source_id, o.venue_id, o.scanned_at, o.document_type,
                       o.document_masked
                FROM tracing_venuescan o
                WHERE o.venue_id = m.venue_id AND o.scanned_at >= m.low
                  AND o.scanned_at <= m.high AND o.document_index <> %s
                OFFSET 0
            ) o""",
    "sqlite": """JOIN tracing_venuescan o
              ON o.venue_id = m.venue_id AND o.scanned_at >= m.low
             AND o.scanned_at <= m.high AND o.document_index <> %s""",
}


def _vendor_sql() -> dict[str, str]:
    if connection.vendor == "postgresql":
        return {
            "probe": _PROBE["postgresql"],
            "low": "m.scanned_at - m.minutes * interval '1 minute'",
            "high": "m.scanned_at + m.minutes * interval '1 minute'",
            "epoch": "CAST(EXTRACT(EPOCH FROM {}) AS bigint)",
            "value": "(%s::text, %s::integer)",
        }
    return {
        "probe": _PROBE["sqlite"],
        "low": "datetime(m.scanned_at, '-' || m.minutes || ' minutes')",
        "high": "datetime(m.scanned_at, '+' || m.minutes || ' minutes')",
        "epoch": "CAST(strftime('%%s', {}) AS INTEGER)",
        "value": "(%s, %s)",
    }


def _time(moment: dt.datetime):
    return moment if connection.vendor == "postgresql" else sqlite_time(moment)


def _read_time(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


def _pairs(q: ExposureQuery, *, visit: str | None = None) -> tuple[str, list]:
    """The common table expressions `mine` (the person's visits in scope, with their windows)
    and `found` (each other scan once, with the visit it is matched to); `visit` keeps the
    candidates of that one visit of the person."""
    sql = _vendor_sql()
    pairs = list(q.windows.items()) or [("", q.default_minutes)]
    values = ", ".join([sql["value"]] * len(pairs))
    scope_sql, scope_params = "", []
    if q.scope_code is not None:
        # The shared scope rule, compiled by the ORM: each database's own indexed form of it.
        venues = Venue.objects.filter(within_q(q.scope_code)).order_by().values("id")
        inner, scope_params = venues.query.sql_with_params()
        scope_sql = f"WHERE s.venue_id IN ({inner})"
    visit_sql, visit_params = ("WHERE m.source_id = %s", [visit]) if visit is not None else ("", [])
    epoch_o, epoch_m = sql["epoch"].format("o.scanned_at"), sql["epoch"].format("m.scanned_at")
    ctes = f"""
        WITH windows(kind, minutes) AS (VALUES {values}),
        own AS MATERIALIZED (
            -- The person's few scans first, from their own index, whatever the planner
            -- believes of the venues: led by the venues in scope, it probed every venue's
            -- scans of every day (2 s at a thousand venues, with their statistics stale).
            SELECT s.source_id, s.venue_id, s.scanned_at
            FROM tracing_venuescan s
            WHERE s.document_index = %s AND s.scanned_at >= %s AND s.scanned_at <= %s
        ),
        visits AS (
            SELECT s.source_id, s.venue_id, s.scanned_at,
                   COALESCE(w.minutes, %s) AS minutes
            FROM own s
            JOIN tracing_venue v ON v.id = s.venue_id
            LEFT JOIN windows w ON w.kind = v.kind
            {scope_sql}
        ),
        mine AS (
            SELECT m.source_id, m.venue_id, m.scanned_at, m.minutes, {epoch_m} AS epoch,
                   {sql["low"]} AS low, {sql["high"]} AS high
            FROM visits m
        ),
        pairs AS (
            SELECT o.id, o.source_id, o.venue_id, o.scanned_at, o.document_type,
                   o.document_masked, m.source_id AS matched, m.scanned_at AS matched_at,
                   m.epoch AS matched_epoch, {epoch_o} - m.epoch AS apart
            FROM mine m
            {sql["probe"]}
            {visit_sql}
        ),
        found AS (
            SELECT p.* FROM pairs p
            WHERE NOT EXISTS (
                SELECT 1 FROM mine n
                WHERE n.venue_id = p.venue_id AND n.source_id <> p.matched
                  AND p.scanned_at >= n.low AND p.scanned_at <= n.high
                  AND (ABS(p.apart + p.matched_epoch - n.epoch) < ABS(p.apart)
                       OR (ABS(p.apart + p.matched_epoch - n.epoch) = ABS(p.apart)
                           AND (n.scanned_at < p.matched_at
                                OR (n.scanned_at = p.matched_at AND n.source_id < p.matched))))
            )
        )"""  # noqa: S608 - only fixed fragments and the ORM's own SQL are formatted in
    params = [x for pair in pairs for x in pair]
    params += [q.person_index, _time(q.start), _time(q.end), q.default_minutes, *scope_params]
    params += [q.person_index, *visit_params]
    return ctes, params


def _settings(cursor) -> None:
    if connection.vendor == "postgresql":
        # A hub venue's visits cost more than the JIT threshold: compiling the plan took
        # 5.9 of 9.6 s at 10 million scans, for a query that runs once. The full answer's
        # sort stays in memory instead of spilling to disk. Both end with the transaction.
        cursor.execute(
            "SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)"
        )


_EXPOSURE_COLUMNS = """p.source_id, v.code, v.name, v.kind, p.scanned_at, p.matched,
               p.matched_at, p.apart, p.document_type, p.document_masked"""


def _exposure(r) -> Exposure:
    return Exposure(
        source_id=r[0],
        venue_code=r[1],
        venue_name=r[2],
        venue_kind=r[3],
        scanned_at=_read_time(r[4]),
        matched_source_id=r[5],
        matched_at=_read_time(r[6]),
        seconds_apart=int(r[7]),
        document_type=r[8],
        document_masked=r[9],
    )


def count_by_visit(q: ExposureQuery) -> list[Visit]:
    """The person's visits that have candidates, each with their number, in time order: one
    grouped query, however many candidates there are."""
    ctes, params = _pairs(q)
    query = f"""{ctes}
        SELECT m.source_id, v.code, v.name, v.kind, m.scanned_at, m.minutes, c.n
        FROM (SELECT matched, COUNT(*) AS n FROM found GROUP BY matched) c
        JOIN mine m ON m.source_id = c.matched
        JOIN tracing_venue v ON v.id = m.venue_id
        ORDER BY m.scanned_at, m.source_id
    """  # noqa: S608 - fixed fragments only
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        _settings(cursor)
        cursor.execute(query, params)
        rows = cursor.fetchall()
    return [
        Visit(
            source_id=r[0],
            venue_code=r[1],
            venue_name=r[2],
            venue_kind=r[3],
            scanned_at=_read_time(r[4]),
            minutes=int(r[5]),
            candidates=int(r[6]),
        )
        for r in rows
    ]


def visit_candidates(q: ExposureQuery, *, visit: str, offset: int, limit: int) -> list[Exposure]:
    """One page of the candidates matched to the person's visit `visit` (its source id), in
    the order they entered."""
    ctes, params = _pairs(q, visit=visit)
    query = f"""{ctes}
        SELECT {_EXPOSURE_COLUMNS}
        FROM found p JOIN tracing_venue v ON v.id = p.venue_id
        ORDER BY p.scanned_at, p.source_id
        LIMIT %s OFFSET %s
    """  # noqa: S608 - fixed fragments only
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        _settings(cursor)
        cursor.execute(query, [*params, limit, offset])
        return [_exposure(r) for r in cursor.fetchall()]


STREAM_ROWS = 2000


def iter_exposures(q: ExposureQuery) -> Iterator[Exposure]:
    """Every exposure once, by venue, visit and entry, read a few thousand rows at a time
    (a server-side cursor on PostgreSQL), so an answer of any size is printed in flat memory."""
    ctes, params = _pairs(q)
    query = f"""{ctes}
        SELECT {_EXPOSURE_COLUMNS}
        FROM found p JOIN tracing_venue v ON v.id = p.venue_id
        ORDER BY v.code, p.matched_at, p.scanned_at, p.source_id
    """  # noqa: S608 - fixed fragments only
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            _settings(cursor)
        with connection.chunked_cursor() as cursor:
            cursor.execute(query, params)
            while rows := cursor.fetchmany(STREAM_ROWS):
                yield from map(_exposure, rows)
