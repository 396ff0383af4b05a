"""Tasks: field work for someone, created by the domain apps (door-knocking, daily rounds, …).

The app sits below every domain app, so testing, zones and the apps to come create work
items without importing the command centre; the command centre links tasks to incidents
from its own side.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.core.models import TimeStampedModel


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# Task kinds are plain strings each app chooses (door-knocking from testing, the daily round
# from zones, the incident board's own); these are the ones staff see named.
TASK_KIND_LABELS = {
    "door_knock": _("Door-knocking"),
    "zone_daily": _("Zone daily round"),
    "check_in": _("Check-in (visit or call)"),
    "retest_visit": _("Retest visit"),
    "transfer": _("Closed-loop transfer"),
    "delivery": _("Supplies delivery"),
    "case_overdue": _("Overdue case"),
    "case_clock": _("Overdue case investigation"),
    "follow_up_missed": _("Missed follow-up report"),
    "verification": _("Pushed-list verification"),
    "request_overdue": _("Overdue resident request"),
    "welfare_check": _("Welfare check"),
    "care_dialysis": _("Dialysis escort"),
    "care_refill": _("Medicine refill"),
    "care_maternity": _("Maternity contact"),
    "care_contact": _("Care call"),
    "result_review": _("Borderline result review"),
    "other": _("Other"),
}


def task_kind_label(kind: str) -> str:
    return str(TASK_KIND_LABELS.get(kind, kind))


class Task(TimeStampedModel):
    """A piece of field work for someone: door-knocking in a building, a retest visit, a check-in.

    `key` makes task creation idempotent (e.g. "doorknock:<round>:<building>"): regenerating
    a list never duplicates tasks.
    """

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=32)
    title = models.CharField(_("title"), max_length=200)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    area_code = models.CharField(_("area"), max_length=64, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
        verbose_name=_("assignee"),
    )
    state = models.CharField(
        _("state"), max_length=16, choices=TaskState.choices, default=TaskState.OPEN
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        # The table the command centre created when tasks lived there: moving the model
        # between apps moved no row.
        db_table = "command_task"
        ordering = ["state", "due_at", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        # Kind and state are matched whole, never by prefix: declared here rather than with
        # db_index, PostgreSQL builds no second, pattern-operator index for each, which no
        # query read and every task written (a sweep's backlog: tens of thousands) paid for.
        indexes = [
            models.Index(fields=["kind"], name="task_kind"),
            models.Index(fields=["state"], name="task_state"),
        ]

    @property
    def kind_label(self) -> str:
        return task_kind_label(self.kind)

    def __str__(self) -> str:
        return self.title
