"""Tasks by hand: check-ins, retest visits, transfers, deliveries, handed out within an
incident; and every task's state changes (done, cancelled, reopened) by its assignee or the
incident's leads.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.permissions import can
from fangkong.accounts.services import deny
from fangkong.core.areas import is_within
from fangkong.core.errors import RuleViolation
from fangkong.geo.selectors import area_exists
from fangkong.work.models import Task, TaskState

from ..models import Incident, IncidentTask, TimelineEntry
from ..scope import meets
from .incidents import may_lead, require_lead, require_open, stored_text

MANUAL_TASK_KINDS = ("check_in", "retest_visit", "transfer", "delivery", "other")


def create_task(
    *,
    incident: Incident,
    user,
    title: str,
    kind: str = "check_in",
    area_code: str | None = None,
    assignee=None,
    due_at: dt.datetime | None = None,
) -> Task:
    require_lead(user, incident, "manage_incidents")
    require_open(incident)
    title = (title or "").strip()
    if not title:
        raise RuleViolation(field="title", code="required", message=_("A title is required."))
    if kind not in MANUAL_TASK_KINDS:
        raise RuleViolation(field="kind", code="choice", message=_("Unknown task kind."))
    area_code = area_code or incident.area_code
    if not is_within(area_code, incident.area_code) or not area_exists(area_code):
        raise RuleViolation(
            field="area_code",
            code="out_of_scope",
            message=_("The task lies outside the incident's area."),
        )
    if assignee is not None and not (
        getattr(assignee, "is_active", False) and meets(area_code, assignee.scope_code)
    ):
        raise RuleViolation(
            field="assignee", code="out_of_scope", message=_("This person works in another area.")
        )
    with transaction.atomic():
        task = Task.objects.create(
            key=f"incident:{incident.pk}:{uuid.uuid4().hex}",
            kind=kind,
            title=title[:200],
            detail={"created_by": user.get_username()},
            area_code=area_code,
            assignee=assignee,
            due_at=due_at,
        )
        IncidentTask.objects.create(task=task, incident=incident)
        TimelineEntry.objects.create(
            incident=incident,
            at=timezone.now(),
            kind="task",
            author=user,
            text=stored_text(
                _("Task for %(assignee)s: %(title)s")
                % {"assignee": assignee or _("anyone"), "title": task.title}
            ),
        )
    return task


def incident_of(task: Task) -> Incident | None:
    """The incident a task was created for by hand, if any."""
    link = IncidentTask.objects.filter(task=task).select_related("incident").first()
    return link.incident if link else None


TRANSITIONS = {
    TaskState.OPEN: {TaskState.DONE, TaskState.CANCELLED},
    TaskState.DONE: {TaskState.OPEN},
    TaskState.CANCELLED: {TaskState.OPEN},
}


def set_task_state(*, task: Task, user, state: str, now: dt.datetime | None = None) -> Task:
    """Done, cancelled or reopened. The assignee may finish their own task; leads of the
    incident (or commanders in scope) may do any move. Setting the same state twice is a no-op."""
    if state not in TaskState.values:
        raise RuleViolation(field="state", code="choice", message=_("Unknown task state."))
    incident = incident_of(task)
    own = task.assignee_id == getattr(user, "pk", None) and state == TaskState.DONE
    lead = (
        may_lead(user, incident)
        if incident is not None
        else can(user, "manage_incidents", task.area_code)
    )
    if not (own or lead) or not can(user, "view_areas", task.area_code):
        deny(
            actor=user,
            action="manage_incidents",
            area_code=task.area_code,
            object_type="task",
            object_id=task.pk,
        )
    if task.state == state:
        return task
    if state not in TRANSITIONS[TaskState(task.state)]:
        raise RuleViolation(
            field="state",
            code="transition",
            message=_("A task cannot move to that state from here."),
            status_code=409,
        )
    now = now or timezone.now()
    task.state = state
    task.done_at = now if state == TaskState.DONE else None
    task.detail = {**(task.detail or {}), f"{state}_by": user.get_username()}
    task.save(update_fields=["state", "done_at", "detail", "updated_at"])
    return task
