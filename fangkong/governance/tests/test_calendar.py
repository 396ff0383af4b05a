"""The official calendar and the statutory clocks, checked against worked examples."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fangkong.core.errors import RuleViolation
from fangkong.governance.calendar import official_calendar
from fangkong.governance.clocks import kind_clocks
from fangkong.governance.kinds import case_catalogue

D = dt.date


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 10, 1), False),  # 国庆
        (D(2026, 10, 7), False),
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),  # Saturday made a working day (调休)
        (D(2026, 9, 20), True),  # Sunday made a working day
        (D(2026, 2, 14), True),  # Saturday before 春节
        (D(2026, 2, 23), False),  # the ninth day of the 2026 春节 break, a Monday
        (D(2026, 2, 28), True),  # Saturday after it
        (D(2026, 3, 1), False),  # an ordinary Sunday
        (D(2025, 10, 8), False),  # 国庆 and 中秋 together in 2025
        (D(2025, 1, 26), True),
        (D(2022, 12, 31), False),  # 元旦 2023 began in 2022
    ],
)
def test_working_days_follow_the_state_council_arrangement(day, working):
    assert official_calendar().is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "count", "due"),
    [
        # Received Friday before 国庆 2026: the Saturday 10 October is a make-up working day.
        (D(2026, 9, 30), 5, D(2026, 10, 13)),
        (D(2026, 9, 28), 5, D(2026, 10, 10)),
        # The Sunday 20 September 2026 counts; the day of receipt does not.
        (D(2026, 9, 16), 5, D(2026, 9, 22)),
        # Across 春节 2026 (15–23 February rest, 14 and 28 February work).
        (D(2026, 2, 12), 3, D(2026, 2, 24)),
        (D(2026, 2, 24), 4, D(2026, 2, 28)),
        (D(2026, 3, 2), 0, D(2026, 3, 2)),
    ],
)
def test_working_days_skip_holidays_and_count_make_up_days(start, count, due):
    assert official_calendar().add_working_days(start, count) == due


@pytest.mark.parametrize(
    ("start", "count", "due"),
    [
        (D(2026, 9, 16), 15, D(2026, 10, 8)),  # 1 October falls in 国庆: the 8th
        (D(2026, 2, 1), 15, D(2026, 2, 24)),  # 16 February falls in 春节: the 24th
        (D(2026, 3, 2), 5, D(2026, 3, 9)),  # Saturday 7 March: to Monday
        (D(2026, 9, 30), 10, D(2026, 10, 10)),  # a make-up Saturday is a working day
        (D(2026, 3, 2), 2, D(2026, 3, 4)),
    ],
)
def test_a_calendar_day_period_ending_on_a_rest_day_ends_on_the_next_working_day(start, count, due):
    assert official_calendar().add_calendar_days(start, count) == due


def test_a_day_outside_the_calendar_is_refused_not_guessed():
    with pytest.raises(RuleViolation) as exc:
        official_calendar().add_working_days(D(2027, 12, 20), 30)
    assert exc.value.code == "calendar_out_of_range"


def test_a_year_not_yet_announced_marks_its_deadlines_provisional():
    stages = kind_clocks(kind=case_catalogue().kind("wage_arrears"), received=D(2026, 12, 1))
    by_stage = {s.stage: s for s in stages}
    assert not by_stage["accept"].provisional
    assert by_stage["investigate"].provisional
    assert "provisional" in by_stage["investigate"].basis


def _clocks(*args: str) -> dict:
    out = StringIO()
    call_command("governance", "clocks", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_petition_clocks_print_every_stage_in_the_issues_shape():
    answer = _clocks("--kind", "petition", "--received", "2026-09-16", "--accepted", "2026-09-18")
    assert set(answer) == {"kind", "stages"}
    assert answer["kind"] == "petition"
    assert all(set(s) == {"stage", "due", "basis"} for s in answer["stages"])
    due = {s["stage"]: s["due"] for s in answer["stages"]}
    assert due["register"] == "2026-10-08"  # 15 days: 1 October is 国庆
    assert due["objection"] == "2026-09-22"  # 5 working days, Sunday 20 September counted
    assert due["handle"] == "2026-11-17"  # 60 days after 18 September
    assert due["handle_extension"] == "2026-12-17"
    assert due["review_application"] == "2027-01-18"  # 16 January 2027 is a Saturday
    assert list(due)[-2:] == ["re_review_application", "re_review"]


def test_wage_arrears_clocks_count_working_days_from_acceptance():
    answer = _clocks(
        "--kind", "wage_arrears", "--received", "2026-09-28", "--accepted", "2026-09-30"
    )
    due = {s["stage"]: s["due"] for s in answer["stages"]}
    assert due == {
        "accept": "2026-10-10",
        "investigate": "2026-12-29",
        "investigate_extension": "2027-02-12",  # 除夕 5 and 初三 8 February rest
    }


def test_an_unknown_kind_is_an_error_naming_the_known_ones():
    with pytest.raises(CommandError, match="petition"):
        _clocks("--kind", "nonsense", "--received", "2026-09-16")
