"""Requests: clocks from the catalogue, progress derived from lines, refusals that write nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from devtools.fixtures import G211
from fangkong.accounts.models import Role
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.services.kinds import request_catalogue
from fangkong.services.models import (
    Progress,
    RequestEvent,
    RequestLine,
    RequestState,
    ServiceRequest,
)
from fangkong.services.selectors import RequestFilter, list_requests, request_board
from fangkong.services.services.requests import (
    LineIn,
    ProgressIn,
    acknowledge_request,
    cancel_request,
    complete_request,
    raise_request,
    record_progress,
)

from .conftest import T0, at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", sorted(request_catalogue().kinds))
def test_every_kind_runs_on_its_catalogue_clocks(raise_for, code):
    kind = request_catalogue().kind(code)
    request = raise_for(kind=code, lines=[LineIn("物品", 1)])
    assert request.acknowledge_due_at == at(T0) + kind.acknowledge.delta
    assert request.fulfil_due_at == at(T0) + kind.fulfil.delta
    assert request.due_at == request.acknowledge_due_at
    assert request.queue_rank == kind.rank
    assert request.catalogue_version == request_catalogue().version


def test_critical_request_runs_on_minutes_and_heads_the_queue(raise_for):
    request = raise_for(kind="medical_trip", priority=4)
    assert request.acknowledge_due_at - at(T0) == dt.timedelta(minutes=5)
    assert request.queue_rank == 0


def test_care_never_waits_behind_supplies():
    catalogue = request_catalogue()
    clinical = [k.rank for k in catalogue.kinds.values() if k.clinical]
    other = [k.rank for k in catalogue.kinds.values() if not k.clinical]
    assert max(clinical) < min(other)


def test_needed_by_brings_the_deadline_forward_never_back(raise_for):
    soon = raise_for(needed_by=at("2026-06-13 12:00"))
    assert soon.fulfil_due_at == at("2026-06-13 12:00")
    late = raise_for(needed_by=at("2026-06-20 12:00"))
    assert late.fulfil_due_at == at(T0) + dt.timedelta(hours=48)


@pytest.mark.parametrize(
    ("extra", "field", "code"),
    [
        ({"kind": "pizza"}, "kind", "unknown"),
        ({"priority": 9}, "priority", "choice"),
        ({"lines": [LineIn("大米", 0)]}, "lines[0].quantity", "range"),
        ({"lines": [LineIn(" ", 1)]}, "lines[0].item", "required"),
        ({"needed_by": at("2026-06-13 08:00")}, "needed_by", "past"),
        ({"resident": None}, "household", "required"),
    ],
)
def test_bad_input_is_refused_with_field_and_rule_and_writes_nothing(raise_for, extra, field, code):
    with pytest.raises(RuleViolation) as err:
        raise_for(**extra)
    assert (err.value.field, err.value.code) == (field, code)
    assert not ServiceRequest.objects.exists()
    assert not RequestLine.objects.exists()


def test_a_grid_worker_cannot_raise_for_another_grid(make_user, residents):
    other = make_user(Role.GRID_WORKER, G211)
    with pytest.raises(PermissionDeniedError):
        raise_request(user=other, kind="supplies", channel="grid_worker", resident=residents[1])


def test_progress_is_derived_from_the_lines(raise_for, grid_worker):
    request = raise_for()
    rice, oil = request.lines.all()
    request = record_progress(
        user=grid_worker,
        request=request,
        progress=[ProgressIn(rice.pk, 2, 2, 0), ProgressIn(oil.pk, 0, 0, 0)],
        now=at("2026-06-13 10:00"),
    )
    assert (request.commit_status, request.transit_status, request.fulfil_status) == (
        Progress.PARTIAL,
        Progress.PARTIAL,
        Progress.NONE,
    )
    request = record_progress(
        user=grid_worker,
        request=request,
        progress=[ProgressIn(rice.pk, 2, 0, 2), ProgressIn(oil.pk, 1, 1, 0)],
        now=at("2026-06-13 11:00"),
    )
    assert request.fulfil_status == Progress.PARTIAL
    assert request.is_open
    request = record_progress(
        user=grid_worker,
        request=request,
        progress=[ProgressIn(oil.pk, 1, 0, 1)],
        now=at("2026-06-13 12:00"),
    )
    assert request.state == RequestState.FULFILLED
    assert request.fulfil_status == Progress.COMPLETE
    assert request.due_at is None
    assert request.fulfilled_at == at("2026-06-13 12:00")


@pytest.mark.parametrize(
    ("figures", "code"),
    [
        ((3, 0, 0), "over_allocation"),
        ((1, 1, 1), "beyond_committed"),
        ((-1, 0, 0), "negative"),
    ],
)
def test_over_allocation_is_refused_and_nothing_half_written(raise_for, grid_worker, figures, code):
    request = raise_for()
    rice, oil = request.lines.all()
    with pytest.raises(RuleViolation) as err:
        record_progress(
            user=grid_worker,
            request=request,
            # The first line is valid; the refusal of the second must undo it too.
            progress=[ProgressIn(oil.pk, 1, 0, 0), ProgressIn(rice.pk, *figures)],
        )
    assert err.value.code == code
    assert err.value.field.startswith("progress[1].")
    assert list(RequestLine.objects.values_list("committed", flat=True)) == [0, 0]
    assert not RequestEvent.objects.filter(action="progress").exists()


def test_acknowledging_starts_the_fulfil_clock(raise_for, grid_worker):
    request = raise_for()
    request = acknowledge_request(user=grid_worker, request=request, now=at("2026-06-13 09:30"))
    assert request.state == RequestState.ACKNOWLEDGED
    assert request.due_at == request.fulfil_due_at
    with pytest.raises(RuleViolation) as err:
        acknowledge_request(user=grid_worker, request=request)
    assert err.value.code == "acknowledged"


def test_a_visit_is_completed_with_its_outcome_and_a_supply_request_is_not(raise_for, grid_worker):
    visit = raise_for(kind="welfare_check")
    with pytest.raises(RuleViolation) as err:
        complete_request(user=grid_worker, request=visit, outcome=" ")
    assert err.value.field == "outcome"
    visit = complete_request(user=grid_worker, request=visit, outcome="老人身体良好，物资充足")
    assert visit.state == RequestState.FULFILLED
    supplies = raise_for()
    with pytest.raises(RuleViolation) as err:
        complete_request(user=grid_worker, request=supplies, outcome="done")
    assert err.value.code == "has_lines"


def test_a_cancelled_request_stops_its_clock_and_takes_no_more_work(raise_for, grid_worker):
    request = cancel_request(user=grid_worker, request=raise_for(), reason="家属已送达")
    assert request.due_at is None and request.state == RequestState.CANCELLED
    with pytest.raises(RuleViolation) as err:
        acknowledge_request(user=grid_worker, request=request)
    assert err.value.code == "finished"


def test_request_stores_the_name_masked(raise_for):
    request = raise_for()
    assert request.subject == "王*"


def test_the_queue_and_the_board_read_in_a_fixed_number_of_queries(
    raise_for, commander, django_assert_max_num_queries
):
    for kind in ("supplies", "medicine", "welfare_check"):
        raise_for(kind=kind, lines=[LineIn("物品", 1)])
    with django_assert_max_num_queries(1):
        rows = list(list_requests(user=commander, filters=RequestFilter(open_only=True))[:50])
    assert [r.kind for r in rows] == ["medicine", "welfare_check", "supplies"]
    with django_assert_max_num_queries(3):
        board = request_board(user=commander)
    assert board.open == 3
