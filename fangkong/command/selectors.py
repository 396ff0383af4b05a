"""Reads of the command centre: incidents, timelines, the task board, bulletins and the inbox.

Every read takes the requesting user and keeps to their scope; there is no unscoped path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.permissions import can
from fangkong.core.errors import PermissionDeniedError, out_of_scope
from fangkong.core.http import PAGE_SIZE
from fangkong.testing.models import RetestState
from fangkong.testing.selectors import open_retests
from fangkong.work.models import Task, TaskState

from .models import (
    Bulletin,
    Channel,
    Incident,
    IncidentStatus,
    Notification,
    RollCall,
    TimelineEntry,
)
from .scope import meets, meets_q, narrower, within_q

RETEST_LIMIT = 200


def require_view(user) -> None:
    if not can(user, "view_incidents"):
        raise PermissionDeniedError(
            field="incidents", code="forbidden", message=_("Your role or area does not allow this.")
        )


def incidents_for_user(user, *, status: str | None = None) -> QuerySet[Incident]:
    """Incidents below the user's node, or above it on the path to it; newest first."""
    require_view(user)
    qs = Incident.objects.filter(meets_q(user.scope_code)).select_related("commander")
    if status:
        qs = qs.filter(status=status)
    return qs


def get_incident(*, user, pk: int) -> Incident | None:
    """The incident, or None when there is none; one outside the user's area is refused."""
    require_view(user)
    incident = (
        Incident.objects.select_related("commander", "opened_by", "source_event")
        .filter(pk=pk)
        .first()
    )
    if incident is not None and not meets(incident.area_code, user.scope_code):
        raise out_of_scope(object_type="incident", object_id=pk, area_code=incident.area_code)
    return incident


def timeline(incident: Incident) -> list[TimelineEntry]:
    return list(incident.timeline.select_related("author").order_by("at", "id"))


def board_area(user, incident: Incident) -> str:
    """The part of the incident's area the user sees: the deeper of the two nodes."""
    return narrower(incident.area_code, user.scope_code) or incident.area_code


# ---------------------------------------------------------------------------------------------
# The task board


@dataclass
class Lane:
    """One assignee's tasks on the board, by state."""

    assignee: object  # a User, or None for unassigned tasks
    open: list[Task] = field(default_factory=list)
    done: list[Task] = field(default_factory=list)
    cancelled: list[Task] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.assignee) if self.assignee is not None else ""


@dataclass
class RetestMirror:
    """Retest orders of testing (pending and re-sampled) shown on the board, read live."""

    by_state: dict[str, int] = field(default_factory=dict)
    by_team: list[tuple[str, int, int]] = field(default_factory=list)  # team, pending, sampled
    rows: list = field(default_factory=list)  # orders with residents (staff who may see them)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


@dataclass
class Board:
    lanes: list[Lane]
    counts: dict[str, int]
    overdue: int
    retests: RetestMirror


def board_tasks(*, user, incident: Incident) -> QuerySet[Task]:
    """The tasks of the incident's board, open first, in the order the board pages them."""
    require_view(user)
    return (
        Task.objects.filter(within_q(board_area(user, incident)))
        .select_related("assignee")
        .order_by("state", "due_at", "id")
    )


def task_board(*, user, incident: Incident, rows: Sequence[Task] | None = None, now=None) -> Board:
    """The tasks in the incident's area (door-knocking, zone daily rounds, check-ins, …) by
    assignee and state, and the retest orders still open there. Four queries.

    ``rows`` is the page of ``board_tasks`` to lay out in lanes (the first page when omitted);
    the counts are over every task of the area.
    """

    require_view(user)
    now = now or timezone.now()
    area = board_area(user, incident)
    tasks = Task.objects.filter(within_q(area))
    counts = dict.fromkeys(TaskState.values, 0)
    by_assignee: dict[int | None, dict[str, int]] = {}
    overdue = 0
    for assignee_id, state, n, late in (
        tasks.values_list("assignee_id", "state")
        .annotate(n=Count("id"), late=Count("id", filter=Q(state=TaskState.OPEN, due_at__lt=now)))
        .order_by()
    ):
        counts[state] += n
        overdue += late
        by_assignee.setdefault(assignee_id, dict.fromkeys(TaskState.values, 0))[state] = n
    if rows is None:
        rows = board_tasks(user=user, incident=incident)[:PAGE_SIZE]
    lanes: dict[int | None, Lane] = {}
    for t in rows:
        lane = lanes.setdefault(t.assignee_id, Lane(assignee=t.assignee))
        getattr(lane, t.state).append(t)
    for key, lane in lanes.items():
        lane.counts = by_assignee.get(key, {})
    ordered = sorted(lanes.values(), key=lambda ln: (ln.assignee is None, ln.name))

    mirror = RetestMirror(by_state={RetestState.PENDING: 0, RetestState.SAMPLED: 0})
    orders = open_retests(area_code=area)
    teams: dict[str, list[int]] = {}
    for team, state, n in (
        orders.values_list("station__name", "state").annotate(n=Count("id")).order_by()
    ):
        mirror.by_state[state] += n
        pair = teams.setdefault(team or "", [0, 0])
        pair[0 if state == RetestState.PENDING else 1] += n
    mirror.by_team = sorted((t, p, s) for t, (p, s) in teams.items())
    if mirror.total and can(user, "view_residents", area):
        mirror.rows = list(
            orders.select_related(
                "resident__household__building", "station", "source_tube"
            ).order_by("state", "area_code", "resident__household__code", "id")[:RETEST_LIMIT]
        )
    return Board(
        lanes=ordered,
        counts=counts,
        overdue=overdue,
        retests=mirror,
    )


# ---------------------------------------------------------------------------------------------
# Bulletins and the inbox


def bulletins_for_user(user) -> QuerySet[Bulletin]:
    require_view(user)
    return Bulletin.objects.filter(meets_q(user.scope_code, "scope_code")).select_related(
        "incident", "created_by"
    )


def get_bulletin(*, user, pk: int) -> Bulletin | None:
    """The bulletin, or None when there is none; one outside the user's area is refused."""
    bulletin = bulletins_for_user(user).filter(pk=pk).first()
    if bulletin is None:
        area_code = Bulletin.objects.filter(pk=pk).values_list("scope_code", flat=True).first()
        if area_code is not None:
            raise out_of_scope(object_type="bulletin", object_id=pk, area_code=area_code)
    return bulletin


def inbox(user) -> QuerySet[Notification]:
    """The user's in-app notifications, newest first."""
    return Notification.objects.filter(user=user, channel=Channel.IN_APP).select_related("incident")


def unread_count(user) -> int:
    return inbox(user).filter(read_at__isnull=True).count()


def open_incident_count(user) -> int:
    return incidents_for_user(user, status=IncidentStatus.OPEN).count()


def my_roll_calls(user) -> list[RollCall]:
    """The roll calls addressed to this person in incidents still open, unanswered first."""
    return list(
        RollCall.objects.filter(user=user, incident__status=IncidentStatus.OPEN)
        .select_related("incident")
        .order_by(F("at").asc(nulls_first=True), "-called_at", "id")
    )
