"""`within_q`, the one query for "this area or below it", on the database the suite runs on:
the same rows as `is_within`, and a plan that reads the index instead of every row."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from fangkong.core.areas import is_within, level_of, within_q
from fangkong.core.models import OutboxDelivery, OutboxEvent

CODES = [
    "410172",
    "410172-001",
    "410172-001-002",
    "410172-001-002-003",
    "410172-001-002-003-004-A1",
    "410172-001-002-003-004-A12",  # a household whose number extends a sibling's
    "410172-0010",  # malformed, but text-prefixed by 410172-001
    "410172-001.",  # the range's upper bound itself
    "410172-002",
    "410172-002-001",
    "410173-001",
    "410172-001-",  # an empty segment: still text-prefixed by 410172-001-
    "",
]


@pytest.fixture
def events(db):
    at = timezone.now() - dt.timedelta(days=1)
    OutboxEvent.objects.bulk_create(
        OutboxEvent(kind="test", area_code=code, occurred_at=at) for code in CODES
    )


@pytest.mark.parametrize(
    "scope",
    [
        "410172",
        "410172-001",
        "410172-001-002-003",
        "410172-001-002-003-004-A1",
        "410172-002",
        "410173",
        "410172-001-002-003-004-A12",
    ],
)
def test_within_q_selects_what_is_within_selects(events, scope):
    found = set(OutboxEvent.objects.filter(within_q(scope)).values_list("area_code", flat=True))
    assert found == {c for c in CODES if is_within(c, scope)}


def test_a_household_does_not_hold_the_sibling_its_number_prefixes(events):
    found = OutboxEvent.objects.filter(within_q("410172-001-002-003-004-A1"))
    assert list(found.values_list("area_code", flat=True)) == ["410172-001-002-003-004-A1"]


def test_the_scope_itself_is_included_and_its_parent_and_siblings_are_not(events):
    found = set(
        OutboxEvent.objects.filter(within_q("410172-001")).values_list("area_code", flat=True)
    )
    assert "410172-001" in found
    assert not found & {"410172", "410172-0010", "410172-001.", "410172-002"}


@pytest.mark.parametrize("code", ["410172-001 ", "410172-001!", "410172-001,002", "410172-001+"])
def test_no_area_code_continues_with_a_character_sorting_below_the_dash(code):
    """SQLite's range from `code` to `code.` would also hold such a string: none is a code."""
    with pytest.raises(ValueError):
        level_of(code)


def test_within_q_follows_a_relation(events):
    """The field may be reached through a join, as `segment__area_code` is."""
    OutboxDelivery.objects.bulk_create(
        OutboxDelivery(event=e, handler="h") for e in OutboxEvent.objects.all()
    )
    found = OutboxDelivery.objects.filter(within_q("410172-001-002", "event__area_code"))
    assert sorted(found.values_list("event__area_code", flat=True)) == [
        "410172-001-002",
        "410172-001-002-003",
        "410172-001-002-003-004-A1",
        "410172-001-002-003-004-A12",
    ]


def _plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        # A handful of rows: make the planner show whether it can use an index at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_database_serves_within_q_from_the_index_on_the_field(events):
    qs = OutboxEvent.objects.filter(within_q("410172-001")).values_list("id")
    sql, params = qs.query.sql_with_params()
    plan = _plan(sql, params)
    assert "area_code" in plan
    if connection.vendor == "sqlite":
        assert "SCAN core_outboxevent" not in plan, plan
        assert "(area_code>? AND area_code<?)" in plan, plan
        assert "MULTI-INDEX OR" not in plan, plan
    else:
        assert "Seq Scan" not in plan, plan
        assert "Index" in plan, plan
