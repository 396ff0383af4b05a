"""A local measure outside the protocol's tiers: a person and their household under orders."""

from __future__ import annotations

import datetime as dt

import pytest

from fangkong.core.errors import RuleViolation
from fangkong.tracing.notice_pdf import notice_blocks
from fangkong.tracing.services.orders import isolate_household

DAY = dt.date(2022, 6, 13)


def test_the_household_is_isolated_once_with_the_reason_on_the_notice(commander, residents):
    zhang = next(r for r in residents if r.name == "张伟")
    orders = isolate_household(
        user=commander, resident=zhang, kind="home_quarantine", start=DAY, days=7, reason="指标稍高"
    )
    assert sorted(o.person_name for o in orders) == ["张伟", "李娜"]
    assert {(o.start, o.end, o.tier) for o in orders} == {(DAY, dt.date(2022, 6, 20), "")}
    blocks = notice_blocks(orders[0])
    assert "指标稍高" in [t for _s, t in blocks]
    # Dated the day the order begins (the event's), not the day it was typed in.
    assert blocks[-1] == ("sign", "2022年6月13日")
    again = isolate_household(
        user=commander, resident=zhang, kind="home_quarantine", start=DAY, days=7, reason="再次"
    )
    assert again == []


def test_a_measure_needs_its_reason_and_a_grid_worker_cannot_order_it(
    commander, grid_worker, residents
):
    zhang = next(r for r in residents if r.name == "张伟")
    with pytest.raises(RuleViolation):
        isolate_household(
            user=commander, resident=zhang, kind="home_quarantine", start=DAY, days=7, reason=""
        )
    with pytest.raises(RuleViolation):
        isolate_household(
            user=grid_worker, resident=zhang, kind="home_quarantine", start=DAY, days=7, reason="x"
        )
