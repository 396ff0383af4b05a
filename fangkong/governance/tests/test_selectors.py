"""Reads: scope, filters and the three rates, with their definitions pinned."""

from __future__ import annotations

import pytest

from devtools.fixtures import C11, G111, G112, G211
from fangkong.accounts.models import Role
from fangkong.core.errors import PermissionDeniedError
from fangkong.governance.selectors import (
    CaseFilter,
    list_cases,
    rates_by_grid,
    rates_by_unit,
    units_in_scope,
)
from fangkong.governance.services.followup import record_callback
from fangkong.governance.services.workflow import accept_case, close_case

from .conftest import at


def test_response_resolution_and_satisfaction_rates(report, commander, units):
    late = report()  # response due at the end of 10 October, never answered
    on_time = report(title="答复", now=at("2026-09-28 09:00"))
    accept_case(case=on_time, user=commander, now=at("2026-09-29 09:00"))
    spot = report(kind="grid_matter", title="现场处置", handled_on_spot=True)
    record_callback(case=spot, user=commander, satisfaction="basic")
    special = accept_case(case=report(title="特殊"), user=commander, now=at("2026-09-29 09:00"))
    close_case(case=special, user=commander, closure_type="special", reason="当事人撤诉")
    (row,) = rates_by_unit(user=commander, now=at("2026-10-20 09:00"))
    assert (row.key, row.received) == ("wawuli", 4)
    assert row.response_rate == 0.75  # 3 of 4 answered by their deadline
    assert row.resolution_rate == 0.5  # closed: the spot one resolved, the special one not
    assert row.satisfaction_rate == 1.0
    assert (row.open, row.overdue) == (2, 1)  # the accepted one runs to December
    assert late.pk


def test_rates_by_grid_name_the_grid(report, commander, units):
    report()
    report(area_code=C11, title="社区事项", user=commander)  # not at a grid: not in any grid's row
    (row,) = rates_by_grid(user=commander)
    assert (row.key, row.name, row.received) == (G111, "第一网格", 1)


def test_an_area_filter_outside_the_scope_finds_nothing(report, make_user, units, commander):
    report()
    report(area_code=G211, user=commander)
    worker = make_user(Role.GRID_WORKER, G112)
    assert list(list_cases(user=worker, filters=CaseFilter(area_code=G111))) == []
    assert list_cases(user=commander, filters=CaseFilter(area_code=C11)).count() == 1


def test_overdue_filter(report, commander):
    report()
    assert (
        list_cases(
            user=commander, filters=CaseFilter(overdue=True), now=at("2026-10-09 09:00")
        ).count()
        == 0
    )
    assert (
        list_cases(
            user=commander, filters=CaseFilter(overdue=True), now=at("2026-10-11 09:00")
        ).count()
        == 1
    )


def test_units_offered_are_those_at_or_above_or_below_the_scope(make_user, units):
    worker = make_user(Role.COMMUNITY_STAFF, C11)
    assert {u.code for u in units_in_scope(user=worker)} == {"hr-bureau", "wutong", "wawuli"}


def test_roles_without_the_permission_read_nothing(make_user, district):
    with pytest.raises(PermissionDeniedError):
        list_cases(user=make_user(Role.SAMPLER, district), filters=CaseFilter())
