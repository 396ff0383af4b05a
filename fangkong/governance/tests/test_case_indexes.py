"""The desk's list of one kind within an area, and Open311's requests of one service, are
read from their indexes on both databases, not from every case (a million in the bench)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from devtools.fixtures import S1
from fangkong.accounts.models import Role
from fangkong.governance.selectors import CaseFilter, list_cases


def _plan(qs) -> str:
    return _explain(*qs.query.sql_with_params())


def _explain(sql: str, params) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params or None)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        # A few rows only: make the planner say which index it can use at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params or None)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_kind_list_within_an_area_is_counted_from_its_index(report, make_user):
    report()
    staff = make_user(Role.SUBDISTRICT_STAFF, S1)
    qs = list_cases(user=staff, filters=CaseFilter(kind="wage_arrears", open_only=True))
    plan = _plan(qs.order_by().values("id"))
    if connection.vendor == "sqlite":
        # The area is a range seek inside the kind, and the stage is read from the index.
        assert "COVERING INDEX govcase_kind_area_stage (kind=? AND area_code>? AND" in plan, plan
    else:  # which of the two kind-led indexes depends on the table's statistics
        assert "Seq Scan" not in plan and "Index Cond: ((kind)" in plan, plan


def test_the_requests_of_one_service_are_read_newest_first_from_its_index(client, report):
    report(kind="rubbish")
    with CaptureQueriesContext(connection) as queries:
        answer = client.get("/open311/v2/requests.json", {"service_code": "rubbish"})
    assert len(answer.json()) == 1
    (sql,) = [q["sql"] for q in queries.captured_queries if "governance_govcase" in q["sql"]]
    plan = _explain(sql, [])
    if connection.vendor == "sqlite":
        assert "govcase_kind_received" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # no sort of every case of the service
    else:  # its statistics choose between the newest-first indexes (a million: this one)
        assert "Seq Scan" not in plan and "Index Scan Backward" in plan, plan
